from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        from .models import ShopProfile, Variant
        from .page_cache import pages_change_on_writes

        # What buyers' pages show besides campaigns and products (whose admin moves the version itself).
        pages_change_on_writes(ShopProfile, Variant)
