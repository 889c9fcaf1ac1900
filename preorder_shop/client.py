"""Who a request comes from, for throttles and caps: the address our own proxy saw, and its network.

An IPv6 client is counted by its /64 (RATELIMIT_IPV6_MASK): a home line or a
phone is given a whole /64 and may pick any address in it, so one client
counted by address could come back as many. An IPv4 client is counted by its
address (RATELIMIT_IPV4_MASK 32): many buyers share one address behind a
carrier's NAT already, and a wider mask would lump whole neighbourhoods together.

Throttles count in the shared cache (Redis); whether it answers is noted here
too, so that a Redis that hangs costs a process one slow call, not every request.
"""

import functools
import hashlib
import ipaddress
import logging
import time

import redis
from django.conf import settings
from django_ratelimit.core import is_ratelimited

logger = logging.getLogger(__name__)

# What a cache call raises when Redis (or the file cache's disk) cannot be reached or does not answer in time.
CACHE_DOWN_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
# After the shared cache failed to answer, this process leaves it alone this long: each call to a Redis that
# hangs costs REDIS_TIMEOUT_SECONDS, and what asks it on a request's way does without it meanwhile (throttles
# let requests through, the outbox's nudge leaves its messages to the sweep).
CACHE_BACKOFF_SECONDS = 10.0
_cache_down_until = 0.0


def cache_down() -> bool:
    """Whether the shared cache failed to answer in this process a moment ago (see CACHE_BACKOFF_SECONDS)."""
    return time.monotonic() < _cache_down_until


def cache_down_note() -> None:
    """The shared cache just failed to answer: leave it alone for CACHE_BACKOFF_SECONDS."""
    global _cache_down_until
    _cache_down_until = time.monotonic() + CACHE_BACKOFF_SECONDS


def _address(raw: str) -> str:
    """The address as the ipaddress module writes it; an IPv4 address seen through a dual-stack socket
    (::ffff:192.0.2.1) as the IPv4 address it is. Something that is no address at all counts as 0.0.0.0."""
    try:
        address = ipaddress.ip_address(raw.strip().strip("[]"))
    except ValueError:
        return "0.0.0.0"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def client_ip(request) -> str:
    """REMOTE_ADDR, or behind PROXY_COUNT proxies the address the first of them saw.

    Each proxy appends to X-Forwarded-For, so the entries a client can forge are
    on the left: count from the right.
    """
    proxies = settings.PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return _address(forwarded[-proxies])
    return _address(request.META.get("REMOTE_ADDR") or "0.0.0.0")


def client_network(request) -> str:
    """The client as throttles and caps count it: its IPv6 /64 (RATELIMIT_IPV6_MASK), or its IPv4 address
    (RATELIMIT_IPV4_MASK), written as the network's first address, as django-ratelimit's "ip" key is."""
    address = ipaddress.ip_address(client_ip(request))
    mask = settings.RATELIMIT_IPV6_MASK if address.version == 6 else settings.RATELIMIT_IPV4_MASK
    return str(ipaddress.ip_network(f"{address}/{mask}", strict=False).network_address)


def client_key(request) -> str:
    """A stable pseudonym for the client's network (client_network): counted, never stored in the clear."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{client_network(request)}".encode()).hexdigest()[:32]


def throttle(*, group: str, rate_setting: str):
    """Mark request.limited when this client went past settings.<rate_setting> on POST.

    django-ratelimit counts in the shared cache, per client network (its "ip" key
    reads client_ip through RATELIMIT_IP_META_KEY and applies the masks); when the
    cache (Redis) is down or hangs the request goes through unthrottled rather than
    failing: a side part never turns an order into an error page.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            request.limited = False
            if request.method == "POST" and not cache_down():
                try:
                    request.limited = is_ratelimited(
                        request, group=group, key="ip", rate=getattr(settings, rate_setting), increment=True
                    )
                except CACHE_DOWN_ERRORS:
                    cache_down_note()
                    logger.warning("Throttle %s skipped: the cache is unreachable.", group, exc_info=True)
                except Exception:  # noqa: BLE001 - any other cache failure: serve, and say so in the log
                    logger.warning("Throttle %s skipped: the cache failed.", group, exc_info=True)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
