from django.urls import path

import orders.converters  # noqa: F401 - registers <token:>

from . import views

app_name = "demand"

urlpatterns = [
    path("po/<slug:slug>/ingatkan/", views.interest_register_view, name="register"),
    path("po/<slug:slug>/kabari/", views.waitlist_join_view, name="waitlist"),
    path("ingatkan/<token:token>/berhenti/", views.interest_stop_view, name="stop"),
]
