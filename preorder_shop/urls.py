from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

import orders.converters  # noqa: F401 - registers <token:> and <id:>
from fulfilment.views import order_page

from .health import health
from .pages import bare, language_set, privacy

admin.site.site_header = _("Prapesan seller admin")
admin.site.site_title = _("Prapesan")
admin.site.index_title = _("Run your pre-orders")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/setlang/", language_set, name="set_language"),
    path("health/", health, name="health"),
    path("privasi/", privacy, name="privacy"),
    path("", include("orders.urls")),
    path("", include("demand.urls")),
    path("", include("payments.urls")),
    path("", include("fulfilment.urls")),
    # The buyer's order page, after the fixed /pesanan/... routes: its model
    # (orders) names it, fulfilment (which sees every floor of it) draws it.
    path("pesanan/<token:token>/", order_page, name="order_page"),
    path("", include("campaigns.urls")),
]

if settings.BENCHMARK_VIEWS:
    urlpatterns.insert(0, path("_bench/bare/", bare))

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
