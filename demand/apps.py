from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandConfig(AppConfig):
    name = "demand"
    verbose_name = _("Cek ombak: demand before and after a PO")

    def ready(self):
        from . import (  # noqa: PLC0415 - imported once the app registry is ready, as Django requires
            notifications,  # noqa: F401 - registers the messages about interest with the outbox
            tasks,  # noqa: F401 - registers the job with Celery
        )
