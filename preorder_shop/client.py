"""Who a request comes from, for throttles and caps: the address our own proxy saw."""

import functools
import hashlib
import logging

from django.conf import settings
from django_ratelimit.core import is_ratelimited

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    """REMOTE_ADDR, or behind PROXY_COUNT proxies the address the first of them saw.

    Each proxy appends to X-Forwarded-For, so the entries a client can forge are
    on the left: count from the right.
    """
    proxies = settings.PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"


def client_key(request) -> str:
    """A stable pseudonym for the client's address: counted, never stored in the clear."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip(request)}".encode()).hexdigest()[:32]


def throttle(*, group: str, rate_setting: str):
    """Mark request.limited when this client went past settings.<rate_setting> on POST.

    django-ratelimit counts in the shared cache; when the cache (Redis) is down the
    request goes through unthrottled rather than failing: a side part never turns
    an order into an error page.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            request.limited = False
            if request.method == "POST":
                try:
                    request.limited = is_ratelimited(
                        request,
                        group=group,
                        key=lambda _group, request: client_ip(request),
                        rate=getattr(settings, rate_setting),
                        increment=True,
                    )
                except Exception:  # noqa: BLE001 - any cache failure: serve, and say so in the log
                    logger.warning("Throttle %s skipped: the cache is unreachable.", group, exc_info=True)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
