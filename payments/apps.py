from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        # Registers the payment messages with the outbox, and why an order with a payment sent expires.
        from . import notifications, services  # noqa: F401, PLC0415
