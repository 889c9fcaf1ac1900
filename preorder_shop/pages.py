"""Pages of the shop itself, not of a PO."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe

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
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")
