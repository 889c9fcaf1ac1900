"""Django's Redis cache, with one redis-py client per connection pool, that leaves a hung Redis alone.

Django wraps its pool in a new `redis.Redis` on every cache call; building one
(its table of response callbacks) costs about as much as the call's round trip
to Redis. A client is safe to share between threads, and the pools stay Django's.

Every call to a Redis that accepts connections but never answers costs REDIS_TIMEOUT_SECONDS. Once one
failed, the process notes it (preorder_shop.client.cache_down_note) and, while the note lasts, a new
connection fails at once instead: the throttles, the page cache and the outbox's nudge of one request then
cost a second between them, not a second each. redis-py drops a connection that timed out, so the next
call connects again and meets the note.
"""

import redis
from django.core.cache.backends import redis as django_redis

from .client import cache_down, cache_down_note

REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class NotedConnection(redis.connection.Connection):
    def connect(self, *args, **kwargs):
        if cache_down():
            raise redis.exceptions.ConnectionError("Redis did not answer a moment ago; not tried again yet.")
        try:
            return super().connect(*args, **kwargs)
        except REDIS_DOWN:
            cache_down_note()
            raise

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except REDIS_DOWN:
            cache_down_note()
            raise


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, servers, *args, **kwargs):
        super().__init__(servers, *args, **kwargs)
        self._clients = {}
        if all(server.startswith("redis://") for server in servers):  # TLS (rediss://) keeps redis-py's own
            self._pool_options.setdefault("connection_class", NotedConnection)

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
