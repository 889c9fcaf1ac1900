from django.urls import path

import orders.converters  # noqa: F401 - registers <token:> and <id:>

from . import views

app_name = "payments"

urlpatterns = [
    path("pesanan/<token:token>/batal/", views.order_cancel_view, name="cancel"),
    path("pesanan/<token:token>/bukti/<id:payment_id>/", views.proof_for_buyer, name="proof"),
    path("pesanan/<token:token>/gateway/", views.gateway_start, name="gateway_start"),
    path("bukti-transfer/<id:payment_id>/", views.proof_for_staff, name="proof_staff"),
    path("gateway/midtrans/notification/", views.midtrans_notification, name="midtrans_notification"),
]
