"""Who a request comes from, for throttles and caps: the address our own proxy saw."""

import hashlib

from django.conf import settings


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
