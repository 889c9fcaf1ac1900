"""What buyers read, cached for a few seconds in the shared cache, per language and host.

Units left may be that stale on a page (checkout counts them under a lock);
everything else the seller changes bumps the version, so it shows at once. A
cache that is down only means rendering afresh: reads never fail because of it.

A page without a form or a message for this visitor is the same for every
visitor of its language: the proxy in front (deploy/nginx/) may keep it for
PROXY_CACHE_SECONDS more, so a rush of buyers opening a PO is answered there
while gunicorn takes the orders.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)
VERSION_KEY = "pages:version"


class PageKey(str):
    """A cache key of what buyers read; `version` is the pages' version read with it (None: not yet,
    -1: no cache), which what is stored under it is marked with."""

    version: int | None = None


def page_key(request, name: str) -> PageKey | None:
    """The cache key of page `name` as this request shows it (language, host, path); None: do not cache."""
    if not settings.PAGE_CACHE_SECONDS:
        return None
    path = request.get_full_path()
    if len(path) > 500:
        return None
    return PageKey(f"pages:{name}:{translation.get_language()}:{request.get_host()}:{path}")


def cached_data(name: str, build) -> tuple[object, bool]:
    """(`build()`, True) or what it gave a few seconds ago, (value, False): kept like a page, for
    PAGE_CACHE_SECONDS and until the seller's next change."""
    if not settings.PAGE_CACHE_SECONDS:
        return build(), True
    key = PageKey(f"pages:{name}")
    value = page_get(key)
    if value is not None:
        return value, False
    value = build()
    page_set(key, value)
    return value, True


def page_get(key: PageKey | None):
    """What `key` holds for the pages' current version, or None; the version and the value are read in
    one round trip, and the version is kept on `key` for storing."""
    if key is None:
        return None
    try:
        found = cache.get_many([VERSION_KEY, key])
    except Exception:  # noqa: BLE001
        logger.warning("Page cache unreachable; rendering afresh.", exc_info=True)
        key.version = -1
        return None
    key.version = found.get(VERSION_KEY) or 0
    stored = found.get(key)
    if stored is not None and stored[0] == key.version:
        return stored[1]
    return None


def page_set(key: PageKey | None, value) -> None:
    """Keep `value` under `key` for the version read with it (one changed since is not overwritten by an
    older one: the next read sees the mark differ)."""
    if key is None or key.version is None or key.version < 0:
        return
    try:
        cache.set(key, (key.version, value), settings.PAGE_CACHE_SECONDS)
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


def _changed_on_commit(**_kwargs) -> None:
    transaction.on_commit(pages_changed)


def pages_change_on_writes(*models) -> None:
    """Any save or delete of these models' rows makes every cached page stale once it commits."""
    for model in models:
        post_save.connect(_changed_on_commit, sender=model, dispatch_uid=f"pages-changed-save-{model._meta.label}")
        post_delete.connect(_changed_on_commit, sender=model, dispatch_uid=f"pages-changed-delete-{model._meta.label}")


# Stands in for the visitor's CSRF token in a cached page; each answer gets its own.
CSRF_PLACEHOLDER = "csrf-token-of-this-visitor-7c1e9a4f3b"
# Where base.html shows the visitor's messages; a cached page has none there.
MESSAGES_MARK = "<!--messages-->"
PROXY_CACHE_HEADER = "X-Accel-Expires"


def page_cached(request, key: PageKey | None) -> HttpResponse | None:
    """The cached page for `key` as this visitor sees it (their CSRF token, their messages), or None."""
    html = page_get(key)
    if html is None:
        return None
    return _for_visitor(request, html)


def page_store(request, key: PageKey | None, render_page) -> HttpResponse:
    """Render the page with `render_page(csrf_token)`, store it under `key`, and answer it to this visitor."""
    if key is None:
        return HttpResponse(render_page(None))
    html = render_page(CSRF_PLACEHOLDER)
    page_set(key, html)
    return _for_visitor(request, html)


def whole_page(request, key: PageKey | None, render_page) -> HttpResponse:
    """The whole page for `key` from the cache, or rendered by `render_page(csrf_token)` and stored.

    A page is the same for every visitor but for the CSRF token in its forms
    and the messages left for them (after a redirect), both put in per answer.
    """
    cached = page_cached(request, key)
    return cached if cached is not None else page_store(request, key, render_page)


def _for_visitor(request, html: str) -> HttpResponse:
    """The page as this visitor sees it; one the same for everyone says how long a proxy may keep it."""
    personal = False
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
        personal = True
    waiting = messages.get_messages(request)
    if len(waiting):
        html = html.replace(MESSAGES_MARK, render_to_string("_messages.html", {"messages": waiting}), 1)
        personal = True
    response = HttpResponse(html)
    if not personal and settings.PROXY_CACHE_SECONDS:
        # nginx's own header (it passes it on to no one): the same page for everyone of this language, for a
        # moment. Not Cache-Control, which browsers and other caches would keep too.
        response[PROXY_CACHE_HEADER] = str(settings.PROXY_CACHE_SECONDS)
    return response


def page_render(request, template: str, context: dict, csrf_token: str | None) -> str:
    """`template` rendered for this request; with `csrf_token`, one to cache: a stand-in token and no messages."""
    if csrf_token is not None:
        context = {**context, "csrf_token": csrf_token, "messages": ()}
    return render_to_string(template, context, request=request)
