"""A Redis that takes connections and never answers (a hung server, a half-open link) costs a buyer a
second or two, never an error page: the order commits, its page shows, its message waits in the outbox.

The shop runs as deployed, in gunicorn started with REDIS_URL pointing at such a server, so the cache and
the Celery broker are set up from the environment by the settings themselves."""

import contextlib
import http.cookiejar
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import redis
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

import orders.outbox
import preorder_shop.client
from campaigns.models import CampaignItem
from orders.models import BankAccount, Message, Order
from orders.outbox import messages_deliver_due
from orders.tasks import messages_deliver_due_task
from tests.factories import BUYER_DEFAULTS, campaign_with_products, checkout_form
from tests.helpers import wait_until

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
# What a buyer may wait for a page whose change committed, whatever Redis does.
PAGE_SECONDS = 3.0
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class HungRedis(threading.Thread):
    """A TCP server that accepts every connection, reads nothing and answers nothing."""

    def __init__(self):
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []

    def run(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted.append(client)

    def close(self):
        self.listener.close()
        for client in self.accepted:
            client.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Buyer:
    """A browser of sorts: keeps its cookies, follows no redirect, times each answer."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect)

    def open(self, path: str, data: dict | None = None) -> tuple[int, str, str, float]:
        """(status, Location, body, seconds)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, headers={"Accept-Language": "en"})
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=60) as answer:
                status, location, text = answer.status, answer.headers.get("Location", ""), answer.read().decode()
        except urllib.error.HTTPError as answer:
            status, location, text = answer.code, answer.headers.get("Location", ""), answer.read().decode()
        seconds = time.monotonic() - started
        print(f"{'POST' if data is not None else 'GET'} {path}: {status} in {seconds:.2f} s")  # shown on failure
        return status, location, text, seconds


def _database_url(tmp_path: Path) -> str:
    """The test's database as a server in another process reaches it: PostgreSQL's test database as it is
    (the test commits), SQLite's in-memory one copied to a file."""
    if connection.vendor == "postgresql":
        return _postgres_url(connection.settings_dict)
    copy = tmp_path / "shop.sqlite3"
    with contextlib.closing(sqlite3.connect(copy)) as target:
        connection.ensure_connection()
        connection.connection.backup(target)
    return f"sqlite:///{copy}"


def _postgres_url(database: dict) -> str:
    user = urllib.parse.quote(database.get("USER") or "")
    password = f":{urllib.parse.quote(database['PASSWORD'])}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{database['NAME']}"


def _what_the_server_wrote(database_url: str) -> None:
    """On SQLite, read the server's file back into the test's database; PostgreSQL's is the same one."""
    if connection.vendor != "sqlite":
        return
    with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as source:
        connection.ensure_connection()
        source.backup(connection.connection)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def hung_redis():
    server = HungRedis()
    server.start()
    yield server
    server.close()


@pytest.fixture
def shop(tmp_path, hung_redis):
    """The shop in gunicorn, its Redis the hung server: yields (its PO, its base URL, its DATABASE_URL)."""
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000, quota=10)
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Batik Sekar")
    database_url = _database_url(tmp_path)
    port = _free_port()
    # The shop's defaults, but for where its database and Redis are.
    unset = {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "PRODUCTION", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    unset |= {"REDIS_TIMEOUT_SECONDS", "PAGE_CACHE_SECONDS", "PROXY_COUNT", "CHECKOUT_RATE", "LOOKUP_RATE"}
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(
        DJANGO_SETTINGS_MODULE="preorder_shop.settings",
        DATABASE_URL=database_url,
        REDIS_URL=f"redis://127.0.0.1:{hung_redis.port}/0",
        VAR_DIR=str(tmp_path / "var"),
        EMAIL_URL="consolemail://",
        SITE_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(GUNICORN), "preorder_shop.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        # Up, and its first request (Django loading its URLs and templates) out of the way.
        wait_until(
            lambda: server.poll() is None and _answers(base_url + "/pesanan/cari/"),
            timeout=60,
            interval=0.5,
            message="gunicorn answered the lookup page",
        )
        yield campaign, base_url, database_url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        print((tmp_path / "gunicorn.log").read_text()[-5000:])  # shown when the test fails


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)  # the server in gunicorn reads what the test wrote
def test_a_buyer_orders_and_reads_the_shop_while_redis_hangs(shop, hung_redis):
    campaign, base_url, database_url = shop
    small = campaign.items.order_by("position").first()
    buyer = Buyer(base_url)
    checkout = f"/po/{campaign.slug}/pesan/"
    status, _, form_page, _ = buyer.open(f"{checkout}?qty-{small.pk}=1")
    assert status == 200
    form = checkout_form([(small, 1)], csrfmiddlewaretoken=CSRF_FIELD.search(form_page).group(1))

    status, placed_url, _, seconds = buyer.open(checkout, form)
    assert status == 302 and "/terima-kasih/" in placed_url, status
    assert seconds < PAGE_SECONDS, f"the checkout answered after {seconds:.1f} s"
    status, _, placed_page, seconds = buyer.open(placed_url)
    assert status == 200 and seconds < PAGE_SECONDS, (status, seconds)
    assert hung_redis.accepted, "the shop never tried its Redis"  # else the timings prove nothing

    for path in ("/", "/pesanan/cari/"):
        status, _, _, seconds = buyer.open(path)
        assert status == 200 and seconds < PAGE_SECONDS, (path, status, seconds)

    _what_the_server_wrote(database_url)
    order = Order.objects.get(campaign=campaign)
    assert order.email == BUYER_DEFAULTS["email"] and order.number in placed_page
    # The lost link asked for on the lookup page, with Redis still hanging: answered as usual, kept too.
    status, location, _, seconds = buyer.open(
        "/pesanan/cari/",
        {"number": order.number, "contact": order.email, "csrfmiddlewaretoken": _csrf_cookie(buyer)},
    )
    assert (status, location) == (302, "/pesanan/cari/") and seconds < PAGE_SECONDS, (status, seconds)

    _what_the_server_wrote(database_url)
    waiting = Message.objects.filter(order=order).order_by("pk")
    assert [(message.kind, message.status) for message in waiting] == [
        ("order_placed", Message.Status.PENDING),
        ("order_link", Message.Status.PENDING),
    ]
    # Nothing is lost: the sweep (beat's, once a worker reaches a broker) sends what the nudges could not.
    mail.outbox.clear()
    assert messages_deliver_due(now=timezone.now()) == 2
    assert [sent.to for sent in mail.outbox] == [[order.email], [order.email]]


def _csrf_cookie(buyer: Buyer) -> str:
    return next(cookie.value for cookie in buyer.cookies if cookie.name == "csrftoken")


def test_after_one_call_to_a_hung_cache_requests_leave_it_and_the_broker_alone_for_a_while(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(quota=10)
    monkeypatch.setattr(preorder_shop.client, "_cache_down_until", 0.0)
    asked, published = [], []

    def hung(name):
        def call(*args, **kwargs):
            asked.append(name)
            raise redis.exceptions.TimeoutError("Timeout reading from socket")

        return call

    for name in ("get", "add", "incr", "delete"):
        monkeypatch.setattr(cache, name, hung(name))
    monkeypatch.setattr(messages_deliver_due_task, "apply_async", lambda *args, **kwargs: published.append(kwargs))
    item = campaign.items.get()

    def order(n: int) -> int:
        form = checkout_form([(item, 1)], phone=f"08129900{n:04d}", email=f"pembeli{n}@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("orders:checkout", args=[campaign.slug]), form).status_code

    assert order(1) == 302
    assert asked == ["add"]  # the throttle's one call: a second each on a hung Redis, then the process notes it
    assert order(2) == 302
    assert asked == ["add"] and published == []  # neither the throttle nor the nudge waited on Redis again
    assert list(Message.objects.values_list("kind", "status")) == [("order_placed", Message.Status.PENDING)] * 2

    # A while later the process tries the cache again.
    monkeypatch.setattr(preorder_shop.client, "_cache_down_until", 0.0)
    assert order(3) == 302
    assert asked == ["add", "add"] and published == []
    # A nudge that meets the hung cache first (a job, the admin) gives up the same way, publishing nothing.
    monkeypatch.setattr(preorder_shop.client, "_cache_down_until", 0.0)
    orders.outbox.outbox_nudge()
    orders.outbox.outbox_nudge()
    assert asked == ["add", "add", "get"] and published == []


def test_the_cache_waits_on_a_hung_redis_once_then_fails_at_once_while_noted(hung_redis, monkeypatch):
    from preorder_shop.cache import RedisCache  # noqa: PLC0415 - the backend itself, outside the settings

    monkeypatch.setattr(preorder_shop.client, "_cache_down_until", 0.0)
    hung_cache = RedisCache(
        f"redis://127.0.0.1:{hung_redis.port}/0", {"OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}}
    )
    waits = []
    for _ in range(3):
        started = time.monotonic()
        with pytest.raises(preorder_shop.client.CACHE_DOWN_ERRORS):
            hung_cache.get("a-key")
        waits.append(time.monotonic() - started)
    assert waits[0] >= 0.45  # the first call met the hung Redis and waited its timeout
    assert max(waits[1:]) < 0.1, waits  # the next ones were refused by the note, not by waiting
    monkeypatch.setattr(preorder_shop.client, "_cache_down_until", 0.0)
    started = time.monotonic()
    with pytest.raises(preorder_shop.client.CACHE_DOWN_ERRORS):
        hung_cache.get("a-key")
    assert time.monotonic() - started >= 0.45  # the note over, Redis is tried again
