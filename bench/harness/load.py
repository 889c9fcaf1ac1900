"""The load generator's client: aiohttp over one connection pool without a limit, a cookie jar per buyer."""

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from bench.harness.pages import REQUEST_TIMEOUT

KEEPALIVE = 1.0  # seconds the client keeps an idle connection; gunicorn's --keep-alive is 2


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
