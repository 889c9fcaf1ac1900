from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from catalog.page_cache import pages_change_on_writes

        from . import notifications  # noqa: F401 - registers the order messages with the outbox
        from .models import BankAccount

        pages_change_on_writes(BankAccount)  # the checkout page names the banks
