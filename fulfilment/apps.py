from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfilmentConfig(AppConfig):
    name = "fulfilment"
    verbose_name = _("After the PO")

    def ready(self):
        from . import notifications  # noqa: F401, PLC0415 - registers the fulfilment messages with the outbox
