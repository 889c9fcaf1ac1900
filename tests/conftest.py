import pytest
from django.contrib.auth import get_user_model
from django.db import connection

import orders.outbox
import preorder_shop.client
from campaigns.demo import demo_seller_ensure
from preorder_shop.celery import app
from tests.s3_server import S3Server, s3_server_start, shop_settings


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files from tests go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _broker_not_backed_off():
    """A test with the broker down, or whose nudged sweep never ran, must not leave later tests' nudges skipped."""
    orders.outbox._broker_down_until = 0.0
    preorder_shop.client._cache_down_until = 0.0
    orders.outbox.outbox_nudge_clear()
    yield
    orders.outbox._broker_down_until = 0.0
    preorder_shop.client._cache_down_until = 0.0
    orders.outbox.outbox_nudge_clear()


@pytest.fixture(autouse=True)
def _no_throttles(settings):
    """Throttles and the unpaid-order cap have tests of their own; elsewhere one client places many orders."""
    settings.CHECKOUT_RATE = settings.LOOKUP_RATE = settings.INTEREST_RATE = "100000/m"
    settings.UNPAID_ORDERS_PER_CLIENT = 0
    settings.PAGE_CACHE_SECONDS = 0  # the page cache has tests of its own; elsewhere pages show each change


@pytest.fixture
def seller_client(client):
    """The test client logged in as the demo seller (staff in the seller group)."""
    login = demo_seller_ensure(password="rahasia-penjual-123")
    # The admin's login form (with its lock-out) is tested on its own; here the seller is simply in.
    client.force_login(get_user_model().objects.get(username=login.username))
    return client


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in the test's own process, as soon as they are sent."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _live_worker_queue_emptied(request):
    """A live worker runs only what its own test queued: earlier tests' nudges (a page served by a live server
    nudges the sweep for real) wait in the broker, and a worker would run them too and upset its counts."""
    if request.node.get_closest_marker("live_worker") is not None:
        app.control.purge()


@pytest.fixture(autouse=True)
def _live_worker_connections_dropped(request):
    """A worker run in a thread keeps its database connection, as a worker does; it goes when the test ends."""
    yield
    if request.node.get_closest_marker("live_worker") is None:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


# The shop's files on a local S3-compatible server (rclone serve s3), for the object storage tests.
@pytest.fixture(scope="session")
def s3_server():
    server = s3_server_start()
    yield server
    server.stop()


class Bucket:
    """The bucket the shop stores its files in during one test, looked into with the server's own keys."""

    def __init__(self, server: S3Server, name: str):
        self.server, self.name = server, name

    def keys(self, prefix: str = "") -> list[str]:
        return self.server.keys(self.name, prefix)

    def read(self, key: str) -> bytes:
        return self.server.read(self.name, key)


@pytest.fixture
def bucket(s3_server, settings, tmp_path):
    """A fresh bucket the shop's two storages point at; local folders that must stay empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    name = s3_server.bucket_create()
    for setting, value in shop_settings(s3_server, bucket=name).items():
        setattr(settings, setting, value)
    yield Bucket(s3_server, name)
    s3_server.bucket_remove(name)
