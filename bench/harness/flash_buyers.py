"""The flash PO's buyers and visitors, on aiohttp: idle pages, one checkout at a time, the rush, sustained."""

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.harness.cpu import CpuMeter
from bench.harness.load import Client, Hit, hammer
from bench.harness.pages import (
    CSRF_FIELD,
    ORDER_PAGE,
    QTY_INPUT,
    REQUEST_TIMEOUT,
    checkout_form,
    checkout_path,
    messages_said,
    sold_out_said,
)
from bench.harness.services import log

RUSH_TIMEOUT = 300  # the whole rush, at most
FILL_IN = (0.2, 1.0)  # seconds a rushing buyer takes between the form and "Order" (autofill)
WARM_UP = 12  # requests per page before the idle measurement (imports, templates, connections)
QUIET_ORDERS = 30  # checkouts one at a time, for the lock's hold time without waiting
OUTCOMES = ("accepted", "refused", "5xx", "no answer", "no form", "other")


@dataclass
class Checkout:
    number: int
    phase: str
    item: int
    started: float = 0.0
    outcome: str = ""  # one of OUTCOMES
    refused_when: str = ""  # before the form (sold out when it was asked for), at ordering
    earliest: float = 0.0  # seconds into the rush this buyer would post to a shop that answers at once
    form: Hit | None = None
    post: Hit | None = None
    token: str = ""
    detail: str = ""
    hits: list[Hit] = field(default_factory=list)


def buyer_form(number: int, item: int, plan: str, token: str) -> dict:
    """What the checkout form posts: 1 unit of `item`, one buyer each."""
    form = checkout_form(
        number=number,
        item=item,
        quantity=1,
        plan=plan,
        name=f"Pembeli Kilat {number}",
        email=f"pembeli{number:06d}@flash.example",
    )
    return {**form, "csrfmiddlewaretoken": token}


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
        checkout.outcome = "other"
        checkout.detail = f"{hit.status} {location or messages_said(body) or body[:120].decode(errors='replace')}"[:200]


def no_form(checkout: Checkout, hit: Hit, page: str) -> None:
    checkout.outcome = "5xx" if hit.status >= 500 else ("no answer" if hit.status == 0 else "no form")
    checkout.detail = f"{page} {hit.status} {hit.error}"


async def checkout_once(
    client: Client, session, checkout: Checkout, *, slug: str, plan: str, browse: bool, think: float
):
    """The PO's page (when `browse`), the checkout form, `think` seconds, "Order"."""
    if browse:
        hit, body, _location = await client.request(session, "buyer: PO page", "GET", f"/po/{slug}/")
        checkout.hits.append(hit)
        if hit.status != 200:
            no_form(checkout, hit, "PO page")
            return
        # A size the page shows as sold out is not the one a buyer picks, if another is left.
        open_items = [int(m.group(1)) for m in QTY_INPUT.finditer(body) if b"disabled" not in m.group(0)]
        if open_items and checkout.item not in open_items:
            checkout.item = open_items[checkout.number % len(open_items)]
    path = checkout_path(slug)
    hit, body, location = await client.request(session, "buyer: checkout form", "GET", f"{path}?qty-{checkout.item}=1")
    checkout.form = hit
    checkout.hits.append(hit)
    if hit.status == 302 and await refusal_read(client, session, checkout, location, slug, "before the form"):
        return
    found = CSRF_FIELD.search(body)
    if hit.status != 200 or not found or not any(cookie.key == "csrftoken" for cookie in session.cookie_jar):
        no_form(checkout, hit, "checkout form")
        return
    if think:
        await asyncio.sleep(think)
    form = buyer_form(checkout.number, checkout.item, plan, found.group(1).decode())
    hit, body, location = await client.request(session, "checkout POST", "POST", path, form)
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


async def new_buyer_checkout(
    client: Client, session, into: list[Checkout], *, number: int, phase: str, po: dict, item: int, plan: str
) -> None:
    """A checkout without browsing or a pause, by a buyer of their own (a cookie jar emptied of the last one's)."""
    session.cookie_jar.clear()
    checkout = Checkout(number, phase, item, started=client.now())
    into.append(checkout)
    await checkout_once(client, session, checkout, slug=po["slug"], plan=plan, browse=False, think=0)


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
                number, item = next(numbers), chooser.choice(steady["items"])
                await new_buyer_checkout(
                    client, session, checkouts, number=number, phase="sustained", po=steady, item=item,
                    plan=chooser.choice(["dp", "full"]),
                )  # fmt: skip

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
    item = quiet["items"][0]
    warm: list[Checkout] = []
    numbers = iter(range(40_001, 50_000))

    async def warm_up():
        async with client.session() as session:
            await new_buyer_checkout(
                client, session, warm, number=next(numbers), phase="warm-up", po=quiet, item=item, plan="dp"
            )

    for _round in range(2):
        await asyncio.wait_for(asyncio.gather(*(warm_up() for _ in range(lanes))), timeout=2 * REQUEST_TIMEOUT)
    await asyncio.sleep(0.5)  # the worker sends their e-mails
    checkouts: list[Checkout] = []
    async with client.session() as session:
        for number in range(50_001, 50_001 + QUIET_ORDERS):
            await new_buyer_checkout(
                client, session, checkouts, number=number, phase="quiet", po=quiet, item=item, plan="dp"
            )
            await asyncio.sleep(0.02)  # the worker's e-mail job runs in between, not during the next order
    return warm, checkouts


async def measure(options, base_url: str, seeded, cpu_meter: Callable[[], CpuMeter]) -> dict:
    """The four phases in turn, each phase's CPU from a new `cpu_meter()`."""
    epoch = time.monotonic()
    client = Client(base_url, epoch)
    results: dict = {}
    try:
        flash = seeded["flash"]
        pages = [
            ("bare", "/_bench/bare/"),
            ("campaign", f"/po/{flash['slug']}/"),
            ("home", "/"),
            ("checkout form", f"{checkout_path(flash['slug'])}?qty-{flash['items'][0]}=1"),
        ]
        async with client.session() as session:
            for kind, path in pages:  # every worker (and thread) imports, compiles templates, connects
                await hammer(client, session, kind, path, count=WARM_UP, concurrency=6)
            log(f"idle: {options.idle_requests} requests per page, {options.concurrency} at a time")
            idle = {}
            with cpu_meter() as idle_cpu:
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
        with cpu_meter() as rush_cpu:
            buyers, browsing, rush_start, rush_end = await rush(client, options, seeded)
        results.update(buyers=buyers, browsing=browsing, rush_start=rush_start, rush_end=rush_end, rush_cpu=rush_cpu)

        log(
            f"sustained: {options.sustained_seconds:g} s, {options.sustained_concurrency} buyers at a time on the PO without quota"
        )
        with cpu_meter() as steady_cpu:
            steady, steady_seconds = await sustained(client, options, seeded)
        results.update(steady=steady, steady_seconds=steady_seconds, steady_cpu=steady_cpu)
    finally:
        await client.close()
    return results
