"""The drill's buyers: a thread each, urllib, one more try after a failure; and a monitor on /health/."""

import http.cookiejar
import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness.pages import CSRF_FIELD, ORDER_PAGE, REQUEST_TIMEOUT, checkout_form, checkout_path, failed

FILL_IN = (2.0, 5.0)  # seconds a buyer takes between the form and "Order"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 comes back as an HTTPError we read


@dataclass
class Attempt:
    started: float
    finished: float
    method: str
    status: int  # 0: no answer (connection refused or reset, timeout)
    location: str = ""
    error: str = ""

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass
class Buyer:
    number: int
    phase: str
    quantity: int
    plan: str
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def email(self) -> str:
        return f"pembeli{self.number:04d}@drill.example"

    @property
    def address(self) -> str:
        return f"10.{self.number // 65536 % 256}.{self.number // 256 % 256}.{self.number % 256}"

    @property
    def posts(self) -> list[Attempt]:
        return [attempt for attempt in self.attempts if attempt.method == "POST"]

    @property
    def ordered(self) -> bool:
        return any(ORDER_PAGE.search(attempt.location) for attempt in self.posts)


@dataclass
class Window:
    """When something was down, in seconds on the drill's clock."""

    name: str
    start: float = 0.0
    end: float = 0.0

    def overlaps(self, attempt: Attempt) -> bool:
        return attempt.started <= self.end and attempt.finished >= self.start


class Shop:
    """The buyers' side: one cookie jar per buyer, no redirects followed, no proxy."""

    def __init__(self, base_url: str, slug: str, item_id: int, epoch: float, work_dir: Path):
        self.base_url, self.slug, self.item_id, self.epoch = base_url, slug, item_id, epoch
        self.error_pages = work_dir / "error-pages"
        self.error_pages.mkdir(exist_ok=True)

    def _open(self, opener, request) -> tuple[int, str, bytes, str]:
        try:
            with opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                return response.status, response.headers.get("Location", ""), response.read(), ""
        except urllib.error.HTTPError as error:
            body = error.read() if error.fp else b""
            return error.code, error.headers.get("Location", ""), body, ""
        except (urllib.error.URLError, OSError) as error:  # refused, reset, timed out
            reason = getattr(error, "reason", error)
            return 0, "", b"", f"{type(reason).__name__}: {reason}"

    def request(self, buyer: Buyer, opener, method: str, path: str, data: dict | None = None) -> tuple[Attempt, bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, method=method)
        # Each buyer is a client of their own, as seen behind the shop's proxy (PROXY_COUNT=1).
        request.add_header("X-Forwarded-For", buyer.address)
        started = time.monotonic()
        status, location, content, error = self._open(opener, request)
        attempt = Attempt(started - self.epoch, time.monotonic() - self.epoch, method, status, location, error)
        buyer.attempts.append(attempt)
        if status >= 500:
            (self.error_pages / f"{buyer.number:04d}-{len(buyer.attempts)}-{method}-{status}.html").write_bytes(content)
        return attempt, content

    def checkout(self, buyer: Buyer) -> None:
        """GET the form (for the CSRF token), POST it; after a failure, once more with the same details."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar), NoRedirect()
        )
        path = checkout_path(self.slug)
        form = checkout_form(
            number=buyer.number,
            item=self.item_id,
            quantity=buyer.quantity,
            plan=buyer.plan,
            name=f"Pembeli Drill {buyer.number}",
            email=buyer.email,
        )
        pauses = random.Random(buyer.number)
        token = None
        for try_ in range(2):
            if try_:
                time.sleep(pauses.uniform(1, 3))  # a moment, then "try again"
            if token is None:  # the form never came: load the page again
                attempt, content = self.request(buyer, opener, "GET", f"{path}?qty-{self.item_id}={buyer.quantity}")
                found = CSRF_FIELD.search(content)
                if failed(attempt.status) or not found:
                    continue
                token = found.group(1).decode()
                time.sleep(pauses.uniform(*FILL_IN))  # the buyer fills the form in
            # A retry sends the same form again, as the browser's "resubmit" does.
            attempt, _content = self.request(buyer, opener, "POST", path, {**form, "csrfmiddlewaretoken": token})
            if not failed(attempt.status):
                return


def fire(shop: Shop, buyers: list[Buyer], *, duration: float) -> None:
    """One buyer arrives every duration/len(buyers) seconds, each in a thread of their own.

    Buyers do not wait for each other (no client pool to queue in), so a slow shop
    shows as slow answers, never as buyers held back on our side. Returns when all are done.
    """
    interval = duration / max(len(buyers), 1)
    started = time.monotonic()
    threads = []
    for index, buyer in enumerate(buyers):
        delay = started + index * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=shop.checkout, args=(buyer,), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=4 * REQUEST_TIMEOUT + 30)  # two tries of GET and POST at most


def outage_during(window: Window, epoch: float, outage, *, after: float) -> threading.Thread:
    """A thread that waits `after` seconds, then runs `outage()`, noting in `window` when it began and ended."""

    def run():
        time.sleep(after)
        window.start = time.monotonic() - epoch
        outage()
        window.end = time.monotonic() - epoch

    thread = threading.Thread(target=run)
    thread.start()
    return thread


class HealthWatch(threading.Thread):
    """GET /health/ every few seconds, as a monitor would; keeps (time, status, body)."""

    def __init__(self, base_url: str, epoch: float, interval: float = 5.0):
        super().__init__(daemon=True)
        self.url, self.epoch, self.interval = base_url + "/health/", epoch, interval
        self.samples: list[tuple[float, int, dict]] = []
        self.stopping = threading.Event()
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def run(self):
        while not self.stopping.wait(self.interval):
            try:
                with self.opener.open(self.url, timeout=20) as response:
                    status, body = response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                try:
                    status, body = error.code, json.loads(error.read())
                except ValueError:
                    status, body = error.code, {}
            except (urllib.error.URLError, OSError):
                status, body = 0, {}
            self.samples.append((time.monotonic() - self.epoch, status, body))  # when the answer came
