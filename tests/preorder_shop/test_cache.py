"""The Redis cache keeps one client per connection pool (Django's builds one per call)."""

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis cache is used only with REDIS_URL")


def test_the_redis_cache_reuses_its_client_and_still_reads_what_it_wrote():
    backend = cache._cache
    assert backend.get_client() is backend.get_client(write=True)
    cache.set("cache-test", {"a": 1}, 5)
    assert cache.get("cache-test") == {"a": 1}
    assert cache.add("cache-test", 2, 5) is False
    cache.set("cache-counter", 1, 5)
    assert cache.incr("cache-counter", 2) == 3
    cache.delete_many(["cache-test", "cache-counter"])
    assert cache.get("cache-test") is None
