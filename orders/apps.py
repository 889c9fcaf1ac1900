from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        # Imported once the app registry is ready, as Django requires of models and what uses them.
        from catalog.page_cache import pages_change_on_writes  # noqa: PLC0415

        from . import (  # noqa: PLC0415
            notifications,  # noqa: F401 - registers the order messages with the outbox
            tasks,  # noqa: F401 - registers the tasks the outbox queues by name
        )
        from .models import BankAccount  # noqa: PLC0415

        pages_change_on_writes(BankAccount)  # the checkout page names the banks
