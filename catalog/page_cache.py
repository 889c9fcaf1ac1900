"""What buyers read, cached for a few seconds in the shared cache, per language and host.

Units left may be that stale on a page (checkout counts them under a lock);
everything else the seller changes bumps the version, so it shows at once. A
cache that is down only means rendering afresh: reads never fail because of it.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

logger = logging.getLogger(__name__)
VERSION_KEY = "pages:version"


def _version() -> int:
    try:
        return cache.get(VERSION_KEY) or 0
    except Exception:  # noqa: BLE001 - no cache: no cached pages
        return -1


def page_key(request, name: str) -> str | None:
    version = _version()
    if version < 0 or not settings.PAGE_CACHE_SECONDS:
        return None
    return f"pages:{name}:{translation.get_language()}:{request.get_host()}:{version}"


def page_get(key: str | None):
    if key is None:
        return None
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001
        logger.warning("Page cache unreachable; rendering afresh.", exc_info=True)
        return None


def page_set(key: str | None, value) -> None:
    if key is None:
        return
    try:
        cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("Page cache unreachable; not storing.", exc_info=True)


def pages_changed() -> None:
    """The seller changed what buyers read: every cached page is stale from now."""
    try:
        if cache.add(VERSION_KEY, 1, timeout=None):
            return
        cache.incr(VERSION_KEY)
    except Exception:  # noqa: BLE001
        logger.warning("Page cache unreachable; cached pages expire by themselves.", exc_info=True)
