from django.urls import path

import orders.converters  # noqa: F401 - registers <token:> and <id:>

from . import views

app_name = "orders"

urlpatterns = [
    path("po/<slug:slug>/pesan/", views.checkout, name="checkout"),
    path("pesanan/cari/", views.order_lookup, name="lookup"),
    path("pesanan/<token:token>/terima-kasih/", views.order_placed, name="placed"),
]
