"""Flash PO: hundreds of buyers rush a small quota on one small server; count and time what came of it.

    .venv/bin/python bench/flash.py [--buyers 500] [--quota 100] [--sustained-seconds 20]
                                    [--workers 3] [--worker-class sync] [--threads 4] [--front nginx|none]
                                    [--check] [--keep]

Runs the shop as deployed on one small server (nginx in front with the
snippets of deploy/nginx/, at nice --front-nice; gunicorn with --workers of
--worker-class, --threads each for gthread, for the pages and
--checkout-workers more for the checkout; and one Celery worker; --front none:
one gunicorn pool alone) against a
fresh PostgreSQL database (`prapesan_flash`, dropped first and at the end) and
Redis db 12 (flushed first and at the end), with DEBUG=false,
BENCHMARK_VIEWS=true for the baseline view /_bench/bare/, CHECKOUT_RATE high
and UNPAID_ORDERS_PER_CLIENT=0 (every buyer comes from 127.0.0.1) and
LOG_LEVEL=DEBUG for the "orders.lock" lines (the worker logs at INFO). It seeds
a flash PO (one product in 4 sizes, campaign quota --quota, each size half of
it, open now), a PO without any quota, a third PO for the quiet checkouts, and
a bank account.

1. Idle: --idle-requests requests (--concurrency at a time) to the bare view,
   the flash PO's page, the home page and the checkout form: requests/s, p50, p95.
2. One at a time: 30 checkouts in a row (after a few to warm every worker):
   the campaign lock's time with nobody waiting for it.
3. Rush: --buyers buyers arrive within --rush-spread seconds, each with a cookie
   jar of their own: the PO's page (a size shown sold out is not picked), the
   checkout form (csrftoken cookie and csrfmiddlewaretoken), 0.2-1 s to fill it
   in, then "Order" for 1 unit. Meanwhile --browsers visitors keep loading the
   bare view, the PO's page and the home page (20 to 100 ms apart, some 120
   loads of each in a rush: a p95 of 30 is about the slowest two). Each POST is accepted (302 to an
   order page), refused (200 with the sold-out message), a 5xx, no answer
   (60 s), or something else.
4. Sustained: for --sustained-seconds, --sustained-concurrency buyers at a time
   check out one after another on the PO without quota (a new buyer each time).
5. The database: orders on the flash PO == min(quota, buyers), nothing oversold
   (campaign and each item), the counters match the order lines, and every
   accepted order (by the token in its redirect) exists exactly once.

Then it prints the report: checkouts, orders/s, p50/p95 of each page idle and
during the rush with the ratios, the checkout's p50/p95, the campaign lock time
per order from the "orders.lock" lines in gunicorn's log, and per phase where
the 2 cores went (gunicorn, worker, PostgreSQL, Redis, this script, and
the rest, unattributed: other work on the machine makes a run slower, so it shows).

The client is aiohttp, one connection pool without a limit (no queue on the
client's side); an idle connection is dropped after 1 s, before gunicorn's 2 s
keep-alive (gthread) closes it, or a reused one gets a reset now and then.

Exit code with --check: 1 on any oversell, any 5xx or request without an answer,
or a database check that fails; 0 otherwise. Without --check: 0 once the run
finished (the report says PASS or FAIL); 2 when the shop could not be set up.
Gunicorn and the worker are always stopped, the database dropped and Redis db
12 flushed; PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis
(127.0.0.1:6379) must be running and are left running. Traffic goes to
127.0.0.1 only.
"""

import argparse
import asyncio
import json
import math
import os
import pwd
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psycopg2
import redis

# bench/ is on sys.path when this runs as a script: the drill's process and setup helpers.
from drill import (
    Processes,
    database_drop,
    database_query,
    database_recreate,
    free_port,
    health_ok,
    log,
    manage,
    pg_ready,
    redis_ready,
    wait_until,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = BASE_DIR / ".venv" / "bin"

DATABASE = "prapesan_flash"
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
REDIS_DB = 12
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"

KEEPALIVE = 1.0  # seconds the client keeps an idle connection; gunicorn's --keep-alive is 2
REQUEST_TIMEOUT = 60  # seconds, as a proxy's read timeout; gunicorn kills a worker silent for 30
RUSH_TIMEOUT = 300  # the whole rush, at most
FILL_IN = (0.2, 1.0)  # seconds a rushing buyer takes between the form and "Order" (autofill)
WARM_UP = 12  # requests per page before the idle measurement (imports, templates, connections)
QUIET_ORDERS = 30  # checkouts one at a time, for the lock's hold time without waiting
SIZES = ["S", "M", "L", "XL"]
COLOURS = ["Hitam", "Putih", "Navy"]
ORDER_PAGE = re.compile(r"/pesanan/([A-Za-z0-9_-]{16,64})/terima-kasih/$")
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
QTY_INPUT = re.compile(rb'<input[^>]*name="qty-(\d+)"[^>]*>')
MESSAGE = re.compile(rb'<li class="message[^"]*">(.*?)</li>', re.S)
# QuotaExceeded, in Indonesian (the shop's language without a language cookie) and in English.
SOLD_OUT = ("baru saja habis", "has just sold out", "kurangi jumlahnya", "lower the quantity")
LOCK_LINE = re.compile(r"order (PO-\d{4}-\d+): campaign lock held ([\d.]+) ms \(waited ([\d.]+) ms for it\)")

SEED = """
import datetime, json, math, os
from django.utils import timezone
from orders.models import BankAccount
from tests.factories import campaign_with_products

wanted = json.loads(os.environ["FLASH_SEED"])
quota = wanted["quota"]
now = timezone.now()
flash = campaign_with_products(
    products=1, options={"Ukuran": wanted["sizes"]}, title="PO Kilat Kaos Band", slug="po-kilat",
    quota_total=quota, opens_at=now - datetime.timedelta(seconds=5),
)
per_item = math.ceil(quota / 2)  # the campaign's quota binds first; an item can still sell out on its own
flash.items.update(quota=per_item)
steady = campaign_with_products(
    products=1, options={"Warna": wanted["colours"]}, title="PO Reguler Tote Bag", slug="po-reguler",
)
quiet = campaign_with_products(products=1, options={}, title="PO Tenang Stiker", slug="po-tenang")
BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Kilat")
print(json.dumps({
    "flash": {"id": flash.pk, "slug": flash.slug, "items": list(flash.items.order_by("pk").values_list("pk", flat=True)),
              "item_quota": per_item},
    "steady": {"id": steady.pk, "slug": steady.slug,
               "items": list(steady.items.order_by("pk").values_list("pk", flat=True))},
    "quiet": {"id": quiet.pk, "slug": quiet.slug, "items": [quiet.items.get().pk]},
}))
"""


# The front as deployed (deploy/nginx/prapesan.conf, with its two snippets included as they are): the pages the
# shop marks as the same for everyone are kept a moment, and the checkout has a gunicorn pool of its own.
NGINX_CONF = """
worker_processes 1;
{user}
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    proxy_cache_path {work}/nginx-cache keys_zone=prapesan_pages:10m max_size=100m inactive=10m;
    client_max_body_size 6m;
    upstream prapesan_pages {{ server 127.0.0.1:{pages_port}; }}
    upstream prapesan_checkout {{ server 127.0.0.1:{checkout_port}; }}
    server {{
        listen 127.0.0.1:{port};
        location ~ ^/po/[^/]+/pesan/$ {{
            include {deploy}/proxy-headers.conf;
            proxy_pass http://prapesan_checkout;
        }}
        location / {{
            include {deploy}/proxy-headers.conf;
            include {deploy}/pages-cache.conf;
            proxy_pass http://prapesan_pages;
        }}
    }}
}}
"""
DEPLOY_NGINX = BASE_DIR / "deploy" / "nginx"


# --- the database and Redis ----------------------------------------------------------------------------


def redis_flush() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=10).flushdb()
    except redis.RedisError as error:
        log(f"WARNING: could not flush Redis db {REDIS_DB}: {error}")


def query(sql: str, params=()) -> list[tuple]:
    return database_query(sql, params, name=DATABASE)


# --- measuring -----------------------------------------------------------------------------------------


@dataclass
class Hit:
    """One request: what was asked, when (seconds on the run's clock), and what came back."""

    kind: str
    started: float
    finished: float
    status: int  # 0: no answer (refused, reset, timed out)
    error: str = ""

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value * 1000:.0f}"


def ratio(a: float, b: float) -> str:
    return "-" if not b or math.isnan(a) or math.isnan(b) else f"{a / b:.2f}"


class CpuMeter:
    """Where the machine's CPU went over a phase: the shop's processes, this load generator, and the rest.

    "unattributed" is the machine's busy time that no process of this run shows: other sessions' work (a
    run with much of it is slower), and time no process shows at all (about 0.35 of a core in the
    sustained phase of every run on the 2-core container, the kernel's share presumably)."""

    groups: dict[str, int] = {}  # name -> process group id (gunicorn, worker), filled in by run()

    @staticmethod
    def _machine() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields_ = [int(value) for value in stat.readline().split()[1:]]
        idle = fields_[3] + (fields_[4] if len(fields_) > 4 else 0)
        return sum(fields_[:8]), idle

    @classmethod
    def _processes(cls) -> dict[str, int]:
        """Clock ticks so far per part; a group's ticks include its reaped children's."""
        ticks = dict.fromkeys([*cls.groups, "PostgreSQL", "Redis", "load generator"], 0)
        by_group = {group: name for name, group in cls.groups.items()}
        me = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    comm, rest = stat.read().rsplit(")", 1)
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    command = cmdline.read(300).replace(b"\0", b" ")
            except OSError:
                continue
            parts = rest.split()
            pid, group = int(entry), int(parts[2])
            own, children = int(parts[11]) + int(parts[12]), int(parts[13]) + int(parts[14])
            if group in by_group:
                ticks[by_group[group]] += own + (children if pid == group else 0)
            elif pid == me:
                ticks["load generator"] += own
            elif DATABASE.encode() in command and b"postgres" in command:
                ticks["PostgreSQL"] += own  # this run's backends
            elif comm.endswith("(redis-server"):
                ticks["Redis"] += own
        return ticks

    def __enter__(self):
        self.total, self.idle = self._machine()
        self.parts = self._processes()
        self.wall = time.monotonic()
        return self

    def __exit__(self, *_exc):
        total, idle = self._machine()
        parts = self._processes()
        self.seconds = time.monotonic() - self.wall
        hertz = os.sysconf("SC_CLK_TCK")
        cores = os.cpu_count() or 1
        # /proc/stat counts every core: its ticks over the phase, shared out to one core's worth of wall time.
        busy_ticks = (total - self.total) - (idle - self.idle)
        self.busy = busy_ticks / max(total - self.total, 1)
        self.cores = {name: (parts[name] - self.parts.get(name, 0)) / hertz / self.seconds for name in parts}
        machine_cores = self.busy * cores
        self.cores["unattributed"] = max(machine_cores - sum(self.cores.values()), 0.0)
        self.client_seconds = self.cores["load generator"] * self.seconds
        return False

    def line(self) -> str:
        shares = ", ".join(f"{name} {value:.2f}" for name, value in self.cores.items())
        return f"over {self.seconds:.1f} s, machine {self.busy * 100:.0f}% busy; cores used: {shares}"


class Client:
    """aiohttp over one shared connection pool (no client-side queue); a cookie jar per buyer."""

    def __init__(self, base_url: str, epoch: float):
        self.base_url, self.epoch = base_url, epoch
        # An idle connection is dropped after 1 s, before gunicorn's keep-alive (2 s) closes it: reusing one the
        # server is closing at that moment gets a reset (as a proxy's upstream keepalive_timeout must be shorter).
        self.connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE, enable_cleanup_closed=True)
        self.timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)

    def session(self) -> aiohttp.ClientSession:
        # unsafe=True: keep cookies from an IP address host (127.0.0.1).
        return aiohttp.ClientSession(
            connector=self.connector,
            connector_owner=False,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=self.timeout,
        )

    def now(self) -> float:
        return time.monotonic() - self.epoch

    async def request(self, session, kind: str, method: str, path: str, data: dict | None = None):
        """(Hit, body, Location); never raises for an HTTP or connection failure."""
        started = self.now()
        try:
            async with session.request(method, self.base_url + path, data=data, allow_redirects=False) as response:
                body = await response.read()
                return Hit(kind, started, self.now(), response.status), body, response.headers.get("Location", "")
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return Hit(kind, started, self.now(), 0, f"{type(error).__name__}: {error}"[:200]), b"", ""

    async def close(self):
        await self.connector.close()


async def hammer(
    client: Client, session, kind: str, path: str, *, count: int, concurrency: int
) -> tuple[list[Hit], float]:
    """`count` GETs of `path`, `concurrency` in flight at a time: the hits and the wall time."""
    hits: list[Hit] = []
    left = iter(range(count))

    async def lane():
        for _ in left:
            hit, _body, _location = await client.request(session, kind, "GET", path)
            hits.append(hit)

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(lane() for _ in range(concurrency))), timeout=count * REQUEST_TIMEOUT)
    return hits, time.monotonic() - started


# --- the buyers ----------------------------------------------------------------------------------------


@dataclass
class Checkout:
    number: int
    phase: str
    item: int
    started: float = 0.0
    outcome: str = ""  # accepted, refused, 5xx, no answer, no form, other
    refused_when: str = ""  # before the form (sold out when it was asked for), at ordering
    earliest: float = 0.0  # seconds into the rush this buyer would post to a shop that answers at once
    form: Hit | None = None
    post: Hit | None = None
    token: str = ""
    detail: str = ""
    hits: list[Hit] = field(default_factory=list)


def buyer_form(number: int, item: int, plan: str, token: str) -> dict:
    """What the checkout form posts, filled in as tests/factories.py's checkout_form does, one buyer each."""
    return {
        f"qty-{item}": "1",
        "payment_plan": plan,
        "buyer_name": f"Pembeli Kilat {number}",
        "phone": f"0812{90_000_000 + number:08d}",
        "email": f"pembeli{number:06d}@flash.example",
        "province": "DI Yogyakarta",
        "city": "Kota Yogyakarta",
        "district": "Gondokusuman",
        "postal_code": "55223",
        "street": f"Jl. Kaliurang No. {number}, RT 03/RW 05",
        "terms_accepted": "on",
        "csrfmiddlewaretoken": token,
    }


def sold_out_said(body: bytes) -> bool:
    messages = " | ".join(m.decode(errors="replace").strip() for m in MESSAGE.findall(body))
    return any(text in messages for text in SOLD_OUT)


async def refusal_read(client: Client, session, checkout: Checkout, location: str, slug: str, when: str) -> bool:
    """A redirect back to the PO's page: follow it, as a browser does; refused if the page says sold out."""
    if location.split("?")[0].rstrip("/").endswith(f"/po/{slug}") is False:
        return False
    hit, body, _location = await client.request(session, "buyer: PO page after a refusal", "GET", location)
    checkout.hits.append(hit)
    if hit.status == 200 and sold_out_said(body):
        checkout.outcome, checkout.refused_when = "refused", when
        return True
    return False


async def classify(client: Client, session, checkout: Checkout, hit: Hit, body: bytes, location: str, slug: str):
    checkout.post = hit
    found = ORDER_PAGE.search(location)
    if hit.status == 302 and found:
        checkout.outcome, checkout.token = "accepted", found.group(1)
    elif hit.status == 0:
        checkout.outcome, checkout.detail = "no answer", hit.error
    elif hit.status >= 500:
        checkout.outcome = "5xx"
    elif hit.status == 302 and await refusal_read(client, session, checkout, location, slug, "at ordering"):
        pass
    elif hit.status == 200 and sold_out_said(body):
        checkout.outcome, checkout.refused_when = "refused", "at ordering"
    else:
        messages = " | ".join(m.decode(errors="replace").strip() for m in MESSAGE.findall(body))
        checkout.outcome = "other"
        checkout.detail = f"{hit.status} {location or messages or body[:120].decode(errors='replace')}"[:200]


async def checkout_once(
    client: Client, session, checkout: Checkout, *, slug: str, plan: str, browse: bool, think: float
):
    """The PO's page (when `browse`), the checkout form, `think` seconds, "Order"."""
    if browse:
        hit, body, _location = await client.request(session, "buyer: PO page", "GET", f"/po/{slug}/")
        checkout.hits.append(hit)
        if hit.status != 200:
            checkout.outcome = "5xx" if hit.status >= 500 else ("no answer" if hit.status == 0 else "no form")
            checkout.detail = f"PO page {hit.status} {hit.error}"
            return
        # A size the page shows as sold out is not the one a buyer picks, if another is left.
        open_items = [int(m.group(1)) for m in QTY_INPUT.finditer(body) if b"disabled" not in m.group(0)]
        if open_items and checkout.item not in open_items:
            checkout.item = open_items[checkout.number % len(open_items)]
    hit, body, _location = await client.request(
        session, "buyer: checkout form", "GET", f"/po/{slug}/pesan/?qty-{checkout.item}=1"
    )
    checkout.form = hit
    checkout.hits.append(hit)
    if hit.status == 302 and await refusal_read(client, session, checkout, _location, slug, "before the form"):
        return
    found = CSRF_FIELD.search(body)
    if hit.status != 200 or not found or not any(cookie.key == "csrftoken" for cookie in session.cookie_jar):
        checkout.outcome = "5xx" if hit.status >= 500 else ("no answer" if hit.status == 0 else "no form")
        checkout.detail = f"checkout form {hit.status} {hit.error}"
        return
    if think:
        await asyncio.sleep(think)
    form = buyer_form(checkout.number, checkout.item, plan, found.group(1).decode())
    hit, body, location = await client.request(session, "checkout POST", "POST", f"/po/{slug}/pesan/", form)
    checkout.hits.append(hit)
    await classify(client, session, checkout, hit, body, location, slug)


async def rush(client: Client, options, seeded) -> tuple[list[Checkout], list[Hit], float, float]:
    """--buyers buyers within --rush-spread seconds on the flash PO, --browsers visitors meanwhile."""
    flash = seeded["flash"]
    chooser = random.Random(2612)
    buyers = [
        Checkout(number + 1, "rush", flash["items"][number % len(flash["items"])]) for number in range(options.buyers)
    ]
    offsets = sorted(chooser.uniform(0, options.rush_spread) for _ in buyers)
    plans = [chooser.choice(["dp", "full"]) for _ in buyers]
    thinks = [chooser.uniform(*FILL_IN) for _ in buyers]
    for checkout, offset, think in zip(buyers, offsets, thinks, strict=True):
        checkout.earliest = offset + think
    done = asyncio.Event()
    browsing: list[Hit] = []
    started = time.monotonic()

    async def buyer(index: int):
        checkout = buyers[index]
        await asyncio.sleep(max(started + offsets[index] - time.monotonic(), 0))
        checkout.started = client.now()
        async with client.session() as session:
            await checkout_once(
                client, session, checkout, slug=flash["slug"], plan=plans[index], browse=True, think=thinks[index]
            )

    async def browser(number: int):
        pauses = random.Random(number)
        pages = [("bare", "/_bench/bare/"), ("campaign", f"/po/{flash['slug']}/"), ("home", "/")]
        async with client.session() as session:
            turn = number
            while not done.is_set():
                kind, path = pages[turn % len(pages)]
                hit, _body, _location = await client.request(session, kind, "GET", path)
                browsing.append(hit)
                turn += 1
                try:
                    await asyncio.wait_for(done.wait(), timeout=pauses.uniform(0.02, 0.1))
                except TimeoutError:
                    pass

    browsers = [asyncio.ensure_future(browser(number)) for number in range(options.browsers)]
    try:
        await asyncio.wait_for(asyncio.gather(*(buyer(index) for index in range(len(buyers)))), timeout=RUSH_TIMEOUT)
    finally:
        finished = time.monotonic()
        done.set()
        await asyncio.wait(browsers, timeout=REQUEST_TIMEOUT + 5)
    return buyers, browsing, started - client.epoch, finished - client.epoch


async def sustained(client: Client, options, seeded) -> tuple[list[Checkout], float]:
    """For --sustained-seconds, --sustained-concurrency buyers at a time, one checkout after another."""
    steady = seeded["steady"]
    checkouts: list[Checkout] = []
    deadline = time.monotonic() + options.sustained_seconds
    numbers = iter(range(100_001, 10_000_000))

    async def lane(lane_number: int):
        chooser = random.Random(lane_number)
        async with client.session() as session:
            while time.monotonic() < deadline:
                session.cookie_jar.clear()  # a new buyer
                checkout = Checkout(next(numbers), "sustained", chooser.choice(steady["items"]), started=client.now())
                checkouts.append(checkout)
                await checkout_once(
                    client,
                    session,
                    checkout,
                    slug=steady["slug"],
                    plan=chooser.choice(["dp", "full"]),
                    browse=False,
                    think=0,
                )

    started = time.monotonic()
    await asyncio.wait_for(
        asyncio.gather(*(lane(number) for number in range(options.sustained_concurrency))),
        timeout=options.sustained_seconds + 2 * REQUEST_TIMEOUT + 10,
    )
    return checkouts, time.monotonic() - started


async def one_at_a_time(client: Client, seeded, lanes: int) -> tuple[list[Checkout], list[Checkout]]:
    """QUIET_ORDERS checkouts in a row, nothing else running: what an order costs without any contention.

    First two rounds of `lanes` at once, left out of the lock figures, so that every gunicorn worker has
    made its first connection to the broker (the first nudge of a process takes some 50 ms more).
    """
    quiet = seeded["quiet"]
    warm: list[Checkout] = []
    numbers = iter(range(40_001, 50_000))

    async def warm_up():
        async with client.session() as session:
            checkout = Checkout(next(numbers), "warm-up", quiet["items"][0], started=client.now())
            warm.append(checkout)
            await checkout_once(client, session, checkout, slug=quiet["slug"], plan="dp", browse=False, think=0)

    for _round in range(2):
        await asyncio.wait_for(asyncio.gather(*(warm_up() for _ in range(lanes))), timeout=2 * REQUEST_TIMEOUT)
    await asyncio.sleep(0.5)  # the worker sends their e-mails
    checkouts = []
    async with client.session() as session:
        for number in range(50_001, 50_001 + QUIET_ORDERS):
            session.cookie_jar.clear()
            checkout = Checkout(number, "quiet", quiet["items"][0], started=client.now())
            checkouts.append(checkout)
            await checkout_once(client, session, checkout, slug=quiet["slug"], plan="dp", browse=False, think=0)
            await asyncio.sleep(0.02)  # the worker's e-mail job runs in between, not during the next order
    return warm, checkouts


async def measure(options, base_url: str, seeded) -> dict:
    epoch = time.monotonic()
    client = Client(base_url, epoch)
    results: dict = {}
    try:
        flash = seeded["flash"]
        pages = [
            ("bare", "/_bench/bare/"),
            ("campaign", f"/po/{flash['slug']}/"),
            ("home", "/"),
            ("checkout form", f"/po/{flash['slug']}/pesan/?qty-{flash['items'][0]}=1"),
        ]
        async with client.session() as session:
            for kind, path in pages:  # every worker (and thread) imports, compiles templates, connects
                await hammer(client, session, kind, path, count=WARM_UP, concurrency=6)
            log(f"idle: {options.idle_requests} requests per page, {options.concurrency} at a time")
            idle = {}
            with CpuMeter() as idle_cpu:
                for kind, path in pages:
                    hits, seconds = await hammer(
                        client, session, kind, path, count=options.idle_requests, concurrency=options.concurrency
                    )
                    idle[kind] = (hits, seconds)
        results["idle"], results["idle_cpu"] = idle, idle_cpu

        log(f"one at a time: {QUIET_ORDERS} checkouts in a row on a third PO (the lock held without a wait)")
        checkout_workers = options.checkout_workers if options.front == "nginx" else options.workers
        lanes = checkout_workers * (options.threads if options.worker_class == "gthread" else 1)
        results["quiet_warm"], results["quiet"] = await one_at_a_time(client, seeded, lanes)

        log(f"rush: {options.buyers} buyers within {options.rush_spread:g} s on a quota of {options.quota}, "
            f"{options.browsers} visitors browsing")  # fmt: skip
        with CpuMeter() as rush_cpu:
            buyers, browsing, rush_start, rush_end = await rush(client, options, seeded)
        results.update(buyers=buyers, browsing=browsing, rush_start=rush_start, rush_end=rush_end, rush_cpu=rush_cpu)

        log(
            f"sustained: {options.sustained_seconds:g} s, {options.sustained_concurrency} buyers at a time on the PO without quota"
        )
        with CpuMeter() as steady_cpu:
            steady, steady_seconds = await sustained(client, options, seeded)
        results.update(steady=steady, steady_seconds=steady_seconds, steady_cpu=steady_cpu)
    finally:
        await client.close()
    return results


# --- the database check --------------------------------------------------------------------------------


def database_check(seeded, buyers: list[Checkout], steady: list[Checkout], quiet: list[Checkout], quota: int) -> dict:
    flash_id, steady_id, quiet_id = seeded["flash"]["id"], seeded["steady"]["id"], seeded["quiet"]["id"]
    live = "('pending_payment', 'dp_paid', 'paid', 'shipped', 'completed')"
    ((campaign_quota, campaign_reserved),) = query(
        "SELECT quota_total, units_reserved FROM campaigns_campaign WHERE id = %s", [flash_id]
    )
    items = query(
        f"""SELECT i.id, i.quota, i.units_reserved,
                   COALESCE((SELECT sum(l.quantity) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
                             WHERE l.campaign_item_id = i.id AND o.status IN {live}), 0)
            FROM campaigns_campaignitem i WHERE i.campaign_id = %s ORDER BY i.id""",
        [flash_id],
    )
    ((orders, units),) = query(
        f"SELECT count(*), COALESCE(sum(units), 0) FROM orders_order WHERE campaign_id = %s AND status IN {live}",
        [flash_id],
    )
    all_orders = {
        campaign_id: count
        for campaign_id, count in query("SELECT campaign_id, count(*) FROM orders_order GROUP BY campaign_id")
    }
    statuses = dict(
        query("SELECT status, count(*) FROM orders_order WHERE campaign_id = %s GROUP BY status", [flash_id])
    )

    def found_once(checkouts: list[Checkout], campaign_id: int) -> tuple[int, int, int]:
        tokens = [c.token for c in checkouts if c.outcome == "accepted"]
        rows = (
            dict(
                query(
                    "SELECT token, count(*) FROM orders_order WHERE token = ANY(%s) AND campaign_id = %s GROUP BY token",
                    [tokens, campaign_id],
                )
            )
            if tokens
            else {}
        )
        once = sum(1 for token in tokens if rows.get(token) == 1)
        return len(tokens), once, len(tokens) - once

    item_oversold = sum(
        max(reserved - item_quota, 0) + max(lines - item_quota, 0) for _id, item_quota, reserved, lines in items
    )
    return {
        "campaign_quota": campaign_quota,
        "campaign_reserved": campaign_reserved,
        "orders": orders,
        "units": units,
        "statuses": statuses,
        "items": items,
        "oversold": max(units - campaign_quota, 0) + max(campaign_reserved - campaign_quota, 0) + item_oversold,
        "counters_match": campaign_reserved == units and all(reserved == lines for _i, _q, reserved, lines in items),
        "expected": min(quota, len(buyers)),
        "flash_once": found_once(buyers, flash_id),
        "steady_once": found_once(steady, steady_id),
        "flash_rows": all_orders.get(flash_id, 0),
        "steady_rows": all_orders.get(steady_id, 0),
        "quiet_once": found_once(quiet, quiet_id),
        "quiet_rows": all_orders.get(quiet_id, 0),
    }


def lock_times(
    log_paths: list[Path], seeded, skip: list[Checkout]
) -> tuple[dict[str, list[tuple[float, float]]], int, int]:
    """{phase: [(lock held ms, ms waited for the lock)]} from gunicorn's logs, less the orders in `skip`; line counts."""
    by_number = dict(query("SELECT number, campaign_id FROM orders_order"))
    skipped = [c.token for c in skip if c.token]
    for (number,) in query("SELECT number FROM orders_order WHERE token = ANY(%s)", [skipped]) if skipped else []:
        by_number.pop(number, None)
    phase_of = {seeded["flash"]["id"]: "rush", seeded["steady"]["id"]: "sustained", seeded["quiet"]["id"]: "quiet"}
    times: dict[str, list[tuple[float, float]]] = {"rush": [], "sustained": [], "quiet": []}
    lines = matched = 0
    for path in log_paths:
        with open(path, errors="replace") as stream:
            for line in stream:
                lines += 1
                if "campaign lock held" not in line:
                    continue
                found = LOCK_LINE.search(line)
                if found:
                    matched += 1
                    phase = phase_of.get(by_number.get(found.group(1)))
                    if phase:
                        times[phase].append((float(found.group(2)), float(found.group(3))))
    return times, lines, matched


# --- the report ----------------------------------------------------------------------------------------


def layout(options) -> str:
    threads = f", {options.threads} threads each" if options.worker_class == "gthread" else ""
    web = f"gunicorn {options.workers} x {options.worker_class}{threads}"
    if options.front == "nginx":
        web = (f"nginx at nice {options.front_nice} in front of {web} for the pages and {options.checkout_workers} x "
               f"{options.worker_class}{threads} at nice {options.checkout_nice} for the checkout")  # fmt: skip
    return f"{web}, 1 Celery worker at nice {options.worker_nice}"


def report(options, seeded, results, db, locks, log_lines, lock_lines, versions) -> list[str]:
    problems = []
    print()
    print(f"Flash PO on one small server: {layout(options)}; {os.cpu_count()} cores; {versions}")
    print(code_line())
    print(f"Flash PO: quota {options.quota} units over {len(SIZES)} sizes ({seeded['flash']['item_quota']} each); "
          f"{options.buyers} buyers within {options.rush_spread:g} s, {options.browsers} visitors browsing meanwhile")  # fmt: skip
    print()

    idle = results["idle"]
    idle_p95 = {}
    print(f"Idle: {options.idle_requests} requests per page, {options.concurrency} at a time")
    print("| page                 |  req/s | p50 ms | p95 ms | req/s vs bare | failed |")
    print("|----------------------|-------:|-------:|-------:|--------------:|-------:|")
    bare_rps = len(idle["bare"][0]) / idle["bare"][1]
    for kind, label in (("bare", "bare /_bench/bare/"), ("campaign", "campaign page"), ("home", "home page"),
                        ("checkout form", "checkout form (GET)")):  # fmt: skip
        hits, seconds = idle[kind]
        good = [h.seconds for h in hits if h.status == 200]
        failed = len(hits) - len(good)
        rps = len(hits) / seconds
        idle_p95[kind] = percentile(good, 95)
        print(f"| {label:<20} | {rps:6.0f} | {ms(percentile(good, 50)):>6} | {ms(idle_p95[kind]):>6} | "
              f"{ratio(rps, bare_rps):>13} | {failed:6d} |")  # fmt: skip
        if failed:
            problems.append(f"{failed} idle {kind} requests failed")
    print(f"CPU: {results['idle_cpu'].line()}")
    print()

    buyers: list[Checkout] = results["buyers"]
    outcomes = {
        name: [c for c in buyers if c.outcome == name]
        for name in ("accepted", "refused", "5xx", "no answer", "no form", "other")
    }
    accepted = outcomes["accepted"]
    posts = [c.post for c in buyers if c.post]
    rush_start, rush_end = results["rush_start"], results["rush_end"]
    last_accept = max((c.post.finished for c in accepted), default=rush_start)
    post_window = (max(h.finished for h in posts) - min(h.started for h in posts)) if posts else 0
    print(f"Rush: {len(buyers)} buyers, {rush_end - rush_start:.1f} s from the first buyer to the last answer; "
          f"the last accepted order answered {last_accept - rush_start:.1f} s in")  # fmt: skip
    before_form = sum(1 for c in outcomes["refused"] if c.refused_when == "before the form")
    print("checkouts: " + ", ".join(f"{name} {len(group)}" for name, group in outcomes.items())
          + f" ({before_form} of the refused told so before the form, {len(outcomes['refused']) - before_form} at ordering)")  # fmt: skip
    others = [c.detail for c in buyers if c.outcome in ("other", "no form", "no answer", "5xx") and c.detail]
    for detail in sorted(set(others))[:8]:
        print(f"  e.g. {detail}")
    print(f"orders/s: {len(accepted) / max(last_accept - rush_start, 1e-9):.1f} accepted orders/s until sold out; "
          f"{len(posts) / max(post_window, 1e-9):.1f} checkout POSTs answered/s over the {post_window:.1f} s they took")  # fmt: skip
    earliest = sorted(c.earliest for c in buyers)
    if accepted and len(earliest) >= len(accepted):
        # Buyers arrive over --rush-spread s and take 0.2-1 s to fill the form in: even a shop that answered
        # at once could not take the quota-th order before the quota-th earliest "Order" press.
        bound = earliest[len(accepted) - 1]
        print(f"  the buyers' own pace: a shop answering at once would take these {len(accepted)} orders by "
              f"{bound:.2f} s, {len(accepted) / bound:.1f} orders/s; this one took {last_accept - rush_start:.2f} s "
              f"({bound / max(last_accept - rush_start, 1e-9):.2f} of that pace)")  # fmt: skip
    browsing: list[Hit] = results["browsing"]
    buyer_hits = [h for c in buyers for h in c.hits]
    print("| during the rush           |     n | p50 ms | p95 ms | p95 vs idle p95 | failed |")
    print("|---------------------------|------:|-------:|-------:|----------------:|-------:|")
    rows = [
        ("bare (visitors)", [h for h in browsing if h.kind == "bare"], idle_p95["bare"]),
        ("campaign page (visitors)", [h for h in browsing if h.kind == "campaign"], idle_p95["campaign"]),
        ("home page (visitors)", [h for h in browsing if h.kind == "home"], idle_p95["home"]),
        ("campaign page (buyers)", [h for h in buyer_hits if h.kind == "buyer: PO page"], idle_p95["campaign"]),
        (
            "checkout form (buyers)",
            [h for h in buyer_hits if h.kind == "buyer: checkout form"],
            idle_p95["checkout form"],
        ),
        ("checkout POST, accepted", [c.post for c in accepted], None),
        ("checkout POST, refused", [c.post for c in outcomes["refused"] if c.post], None),
        (
            "PO page after a refusal",
            [h for h in buyer_hits if h.kind == "buyer: PO page after a refusal"],
            idle_p95["campaign"],
        ),
    ]
    for label, hits, idle_value in rows:
        good = [h.seconds for h in hits if 200 <= h.status < 400]
        failed = len(hits) - len(good)
        versus = ratio(percentile(good, 95), idle_value) if idle_value is not None else ""
        print(f"| {label:<25} | {len(hits):5d} | {ms(percentile(good, 50)):>6} | {ms(percentile(good, 95)):>6} | "
              f"{versus:>15} | {failed:6d} |")  # fmt: skip
    rush_checkout = [c.post.seconds for c in buyers if c.post and c.outcome in ("accepted", "refused")]
    print(
        f"checkout POST (all answered): p50 {ms(percentile(rush_checkout, 50))} ms, p95 {ms(percentile(rush_checkout, 95))} ms"
    )
    print(f"CPU: {results['rush_cpu'].line()}")
    print()

    steady: list[Checkout] = results["steady"]
    steady_ok = [c for c in steady if c.outcome == "accepted"]
    steady_counts = {
        name: sum(1 for c in steady if c.outcome == name)
        for name in ("accepted", "refused", "5xx", "no answer", "no form", "other")
    }
    steady_posts = [c.post.seconds for c in steady_ok]
    steady_forms = [h.seconds for c in steady for h in c.hits if h.kind == "buyer: checkout form" and h.status == 200]
    print(f"Sustained: {results['steady_seconds']:.1f} s, {options.sustained_concurrency} buyers at a time on the PO "
          f"without quota (checkout form, then POST)")  # fmt: skip
    print("checkouts: " + ", ".join(f"{name} {count}" for name, count in steady_counts.items()))
    for detail in sorted({c.detail for c in steady if c.outcome != "accepted" and c.detail})[:5]:
        print(f"  e.g. {detail}")
    print(f"orders/s: {len(steady_ok) / results['steady_seconds']:.1f} accepted orders/s; checkout POST p50 "
          f"{ms(percentile(steady_posts, 50))} ms, p95 {ms(percentile(steady_posts, 95))} ms; checkout form p50 "
          f"{ms(percentile(steady_forms, 50))} ms, p95 {ms(percentile(steady_forms, 95))} ms")  # fmt: skip
    print(f"CPU: {results['steady_cpu'].line()}")
    print()

    print(f'Campaign lock per order ("orders.lock" lines: {lock_lines} of {log_lines} lines in gunicorn\'s log)')
    print("| orders of          |     n | held ms: min | median |   p95 |    max |")
    print("|--------------------|------:|-------------:|-------:|------:|-------:|")
    for phase, label in (("quiet", "one at a time"), ("rush", "the rush (flash)"), ("sustained", "sustained")):
        held = [h for h, _waited in locks[phase]]
        if not held:
            print(f"| {label:<18} |     0 |              |        |       |        |")
            continue
        print(f"| {label:<18} | {len(held):5d} | {min(held):12.2f} | {statistics.median(held):6.2f} | "
              f"{percentile(held, 95):5.2f} | {max(held):6.2f} |")  # fmt: skip
    print("  (from the moment the campaign row is locked to just after COMMIT; the wait for the lock is not")
    print("   counted. Under a rush on 2 cores the holder also waits for a CPU, which counts.)")
    total_orders = db["flash_rows"] + db["steady_rows"] + db["quiet_rows"]
    if lock_lines < total_orders:
        print(f"  (only {lock_lines} lock lines for {total_orders} orders: is LOG_LEVEL=DEBUG reaching the workers?)")
    print()

    print("Database")
    print(f"flash PO: {db['orders']} live orders (expected {db['expected']}), {db['units']} units, "
          f"units reserved {db['campaign_reserved']} of {db['campaign_quota']}; statuses {db['statuses']}")  # fmt: skip
    for item_id, item_quota, reserved, lines in db["items"]:
        print(f"  item {item_id}: reserved {reserved} of {item_quota}, order lines {lines}")
    print(
        f"units oversold: {db['oversold']}; counters match the order lines: {'yes' if db['counters_match'] else 'NO'}"
    )
    flash_tokens, flash_once, flash_missing = db["flash_once"]
    steady_tokens, steady_once, steady_missing = db["steady_once"]
    quiet_tokens, quiet_once, quiet_missing = db["quiet_once"]
    print(f"accepted orders found exactly once: rush {flash_once} of {flash_tokens}, sustained {steady_once} of "
          f"{steady_tokens}, one at a time {quiet_once} of {quiet_tokens}; orders in the database: flash "
          f"{db['flash_rows']}, sustained PO {db['steady_rows']}, third PO {db['quiet_rows']}")  # fmt: skip

    everyone = buyers + steady + results["quiet"] + results["quiet_warm"]
    fives = sum(1 for c in everyone for h in c.hits if h.status >= 500) + sum(1 for h in browsing if h.status >= 500)
    no_answer = sum(1 for c in everyone for h in c.hits if h.status == 0) + sum(1 for h in browsing if h.status == 0)
    print(f"5xx: {fives}; no answer: {no_answer}")
    if db["oversold"]:
        problems.append(f"{db['oversold']} units oversold")
    if fives:
        problems.append(f"{fives} answers 5xx")
    if no_answer:
        problems.append(f"{no_answer} requests without an answer")
    if db["orders"] != db["expected"] or len(accepted) != db["expected"]:
        problems.append(f"{len(accepted)} accepted, {db['orders']} orders on the flash PO, {db['expected']} expected")
    if not db["counters_match"]:
        problems.append("units_reserved does not match the order lines")
    if (
        flash_missing or steady_missing or quiet_missing or quiet_tokens != QUIET_ORDERS + len(results["quiet_warm"])
        or (db["flash_rows"], db["steady_rows"], db["quiet_rows"]) != (flash_tokens, steady_tokens, quiet_tokens)
    ):  # fmt: skip
        problems.append("accepted orders and the orders in the database differ")
    return problems


def code_line() -> str:
    """Which code ran: the commit, and the files changed since (others may be editing the tree)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, timeout=10
        )
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=BASE_DIR, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "code: unknown"
    changed = [line[3:] for line in status.stdout.splitlines() if not line[3:].startswith("bench/")]
    return f"code: {head.stdout.strip() or '?'}" + (
        f" with uncommitted changes to {', '.join(changed)}" if changed else ""
    )


def versions_line() -> str:
    try:
        ((pg,),) = query("SHOW server_version")
        info = redis.Redis.from_url(REDIS_URL, socket_timeout=5).info("server")
        return f"PostgreSQL {pg.split()[0]}, Redis {info.get('redis_version')}, Python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}"
    except (psycopg2.Error, redis.RedisError):
        return ""


# --- the run -------------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=500, help="buyers in the rush (default 500)")
    parser.add_argument("--quota", type=int, default=100, help="the flash PO's quota in units (default 100)")
    parser.add_argument("--sustained-seconds", type=float, default=20, help="length of the sustained run (default 20)")
    parser.add_argument("--sustained-concurrency", type=int, default=8, help="buyers at a time in it (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class: sync or gthread (default sync)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--worker-nice", type=int, default=10, help="the Celery worker's nice value (default 10)")
    parser.add_argument(
        "--front",
        choices=["nginx", "none"],
        default="nginx",
        help="nginx in front as deployed, the checkout on a pool of its own (default), or gunicorn alone",
    )
    parser.add_argument(
        "--checkout-workers", type=int, default=2, help="gunicorn workers for the checkout, behind nginx (default 2)"
    )
    parser.add_argument("--checkout-nice", type=int, default=0, help="the checkout pool's nice value (default 0)")
    parser.add_argument("--front-nice", type=int, default=-10, help="nginx's nice value (default -10)")
    parser.add_argument("--idle-requests", type=int, default=300, help="requests per page when idle (default 300)")
    parser.add_argument("--concurrency", type=int, default=20, help="requests in flight when idle (default 20)")
    parser.add_argument("--browsers", type=int, default=10, help="visitors browsing during the rush (default 10)")
    parser.add_argument("--rush-spread", type=float, default=2.0, help="seconds over which buyers arrive (default 2)")
    parser.add_argument("--check", action="store_true", help="exit 1 on an oversell, a 5xx or a failed check")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with the logs")
    options = parser.parse_args()
    if options.worker_class not in ("sync", "gthread"):
        parser.error("--worker-class: sync or gthread")
    if options.front == "nginx" and not shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin"):
        parser.error("--front nginx needs nginx (apt-get install -y nginx-light), or run with --front none")
    if min(options.buyers, options.quota, options.workers, options.checkout_workers, options.threads, options.idle_requests,
           options.concurrency, options.sustained_concurrency) < 1 or options.browsers < 0:  # fmt: skip
        parser.error("counts must be positive")
    return options


def main() -> int:
    options = arguments()
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(1))  # a timeout or kill still cleans up
    if not (pg_ready() and redis_ready()):
        print("PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) must both be running.", file=sys.stderr)
        return 2
    work_dir = Path(tempfile.mkdtemp(prefix="prapesan-flash-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "preorder_shop.settings",
        "PRODUCTION": "false",
        "DEBUG": "false",
        "BENCHMARK_VIEWS": "true",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": REDIS_URL,
        "VAR_DIR": str(work_dir / "var"),
        "SITE_URL": base_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "dummymail://",  # the worker renders and "sends" every message, to nowhere
        "PYTHONUNBUFFERED": "1",
        # Every buyer comes from 127.0.0.1: no throttle or unpaid-order cap may turn them away.
        "PROXY_COUNT": "0",
        "CHECKOUT_RATE": "1000000/m",
        "UNPAID_ORDERS_PER_CLIENT": "0",
        # For the "orders.lock" lines; with DEBUG=false Django logs no SQL, so this stays quiet.
        "LOG_LEVEL": "DEBUG",
    }
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(name, None)
    if options.front == "nginx":
        env["PROXY_COUNT"] = "1"  # the client's address is read past nginx, as deployed
    processes = Processes(env, work_dir)
    code = 2
    try:
        code = run(options, env, processes, base_url, port, work_dir)
    except Exception as error:  # noqa: BLE001 - reported, then everything is cleaned up
        log(f"flash aborted: {type(error).__name__}: {error}")
        options.keep = True
        code = 2
    except KeyboardInterrupt:
        log("interrupted")
        code = 2
    finally:
        log("cleaning up: stopping gunicorn and the worker, dropping the database")
        processes.stop_all()
        database_drop(DATABASE)
        redis_flush()
        if options.keep:
            log(f"logs kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    return code


def run(options, env, processes: Processes, base_url: str, port: int, work_dir: Path) -> int:
    clock = time.monotonic()
    log(f"fresh database {DATABASE}, Redis db {REDIS_DB}, logs in {work_dir}")
    database_recreate(DATABASE)
    redis_flush()
    manage(env, "migrate", "--no-input", "-v", "0")
    seeded = json.loads(
        manage(
            {**env, "FLASH_SEED": json.dumps({"quota": options.quota, "sizes": SIZES, "colours": COLOURS})},
            "shell",
            "-c",
            SEED,
        )
        .strip()
        .splitlines()[-1]
    )

    web = [str(VENV_BIN / "gunicorn"), "preorder_shop.wsgi", "--worker-class", options.worker_class]
    if options.worker_class == "gthread":
        web += ["--threads", str(options.threads)]  # (sync with --threads > 1 would become gthread)
    if options.front == "nginx":
        pages_port, checkout_port = free_port(), free_port()
        processes.start("gunicorn", [*web, "--workers", str(options.workers), "--bind", f"127.0.0.1:{pages_port}"])
        processes.start(
            "checkout",
            ["nice", "-n", str(options.checkout_nice), *web, "--workers", str(options.checkout_workers),
             "--bind", f"127.0.0.1:{checkout_port}"],
        )  # fmt: skip
        conf = work_dir / "nginx.conf"
        # As root, nginx's workers would drop to "nobody", who may not write in this run's private folder.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        conf.write_text(
            NGINX_CONF.format(
                work=work_dir, port=port, pages_port=pages_port, checkout_port=checkout_port, deploy=DEPLOY_NGINX,
                user=user,
            )
        )  # fmt: skip
        nginx = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")
        processes.start(
            "nginx",
            ["nice", "-n", str(options.front_nice), nginx, "-p", str(work_dir), "-e", str(work_dir / "nginx-error.log"),
             "-c", str(conf)],
        )  # fmt: skip
    else:
        processes.start("gunicorn", [*web, "--workers", str(options.workers), "--bind", f"127.0.0.1:{port}"])
    processes.start(
        "worker",
        # At a lower priority, as deployed (systemd Nice=10): in a rush the checkouts get the cores first and
        # the e-mails follow a moment later; the outbox keeps them meanwhile.
        ["nice", "-n", str(options.worker_nice), "env", "LOG_LEVEL=INFO", str(VENV_BIN / "celery"), "-A",
         "preorder_shop", "worker", "--concurrency", "1", "--loglevel", "INFO"],
    )  # fmt: skip
    CpuMeter.groups = {name: process.pid for name, process in processes.running.items()}
    if not wait_until(lambda: health_ok(base_url), timeout=60, interval=0.5):
        raise RuntimeError(f"/health/ does not answer 200; see {work_dir}/gunicorn.log")
    dead = processes.check_alive()
    if dead:
        raise RuntimeError(f"not running: {', '.join(dead)}; see the logs in {work_dir}")
    log(f"shop up at {base_url}: {layout(options)}; "
        f"flash PO /po/{seeded['flash']['slug']}/, PO without quota /po/{seeded['steady']['slug']}/")  # fmt: skip

    results = asyncio.run(measure(options, base_url, seeded))
    time.sleep(0.5)  # the last log lines reach the file
    dead = processes.check_alive()
    db = database_check(
        seeded, results["buyers"], results["steady"], results["quiet"] + results["quiet_warm"], options.quota
    )
    web_logs = [work_dir / f"{name}.log" for name in ("gunicorn", "checkout") if name in processes.running]
    locks, log_lines, lock_lines = lock_times(web_logs, seeded, results["quiet_warm"])
    problems = report(options, seeded, results, db, locks, log_lines, lock_lines, versions_line())
    if dead:
        problems.append(f"{', '.join(dead)} died")
    print()
    print(f"{time.monotonic() - clock:.0f} s in all")
    print("RESULT:", "PASS" if not problems else "FAIL: " + "; ".join(problems))
    if problems and not options.keep:
        print("(run with --keep to keep gunicorn's and the worker's logs)")
    return (1 if problems else 0) if options.check else 0


if __name__ == "__main__":
    sys.exit(main())
