"""Pages of the shop itself, not of a PO."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language

from catalog.models import shop_profile


@require_safe
def privacy(request):
    return render(
        request,
        "privacy.html",
        {"profile": shop_profile(), "retention_days": settings.PERSONAL_DATA_DAYS},
    )


def bare(request):
    """The smallest Django answer on this server: the benchmark's baseline (BENCHMARK_VIEWS only)."""
    return HttpResponse("ok", content_type="text/plain")


def _from_another_site(request) -> bool:
    """What the browser says of where the form was posted from: its Sec-Fetch-Site, or else its Origin.

    A request that says neither (an old browser, a script) is taken as it
    comes: nothing but the language it asks for hangs on it.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc != request.get_host()


@csrf_exempt
@require_POST
def language_set(request):
    """Django's set_language, refusing a form posted from another site by what the browser says of it.

    It takes no CSRF token, so the switch on every page needs none: the
    pages stay the same for every visitor, and a proxy in front may keep
    them for a moment (catalog/page_cache.py). The language is a display
    choice: nothing of an order or a payment hangs on it.
    """
    if _from_another_site(request):
        return HttpResponseForbidden(_("The language can only be changed from this shop's own pages."))
    return set_language(request)
