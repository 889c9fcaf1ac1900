from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        # Imported once the app registry is ready, as Django requires of models and what uses them.
        from .models import ShopProfile, Variant  # noqa: PLC0415
        from .page_cache import pages_change_on_writes  # noqa: PLC0415

        # What buyers' pages show besides campaigns and products (whose admin moves the version itself).
        pages_change_on_writes(ShopProfile, Variant)
