from django.urls import path

import orders.converters  # noqa: F401 - registers <token:>

from . import views

app_name = "fulfilment"

urlpatterns = [
    path("pesanan/<token:token>/bayar/", views.payment_submit_view, name="payment_submit"),
    path("pesanan/<token:token>/penundaan/", views.delay_respond_view, name="delay_respond"),
    path("pesanan/<token:token>/diterima/", views.receipt_confirm_view, name="receipt"),
]
