from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("pesanan/<str:token>/bayar/", views.payment_submit_view, name="submit"),
    path("pesanan/<str:token>/batal/", views.order_cancel_view, name="cancel"),
    path("pesanan/<str:token>/penundaan/", views.delay_respond_view, name="delay_respond"),
    path("pesanan/<str:token>/diterima/", views.receipt_confirm_view, name="receipt"),
    path("pesanan/<str:token>/bukti/<int:payment_id>/", views.proof_for_buyer, name="proof"),
    path("pesanan/<str:token>/gateway/", views.gateway_start, name="gateway_start"),
    path("bukti-transfer/<int:payment_id>/", views.proof_for_staff, name="proof_staff"),
    path("gateway/midtrans/notification/", views.midtrans_notification, name="midtrans_notification"),
]
