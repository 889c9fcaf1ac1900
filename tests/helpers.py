"""What several tests need alike: waiting for another thread or process, a live Celery worker and the
tasks it ran, and randomness that draws the same each run."""

import contextlib
import datetime
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection

from preorder_shop.celery import app

ROOT = Path(__file__).resolve().parent.parent

T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, message: str, timeout: float = 30.0, interval: float = 0.2) -> T:
    """Ask `condition` every `interval` seconds until it answers something true, and return that answer.

    After `timeout` seconds the test fails with `message`: a wait is an assertion, never a pause that lets
    the test go on either way.
    """
    deadline = time.monotonic() + timeout
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} (waited {timeout:g} s)")
        time.sleep(interval)


def live_worker():
    """A Celery worker in a thread of this process, on the configured broker, one task at a time."""
    return start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING")


@dataclass(frozen=True)
class TaskRun:
    name: str
    kwargs: dict
    state: str
    retval: object


@contextlib.contextmanager
def tasks_run() -> Iterator[list[TaskRun]]:
    """The tasks that ran to their end while inside (in a worker or eagerly), in the order they ended."""
    runs: list[TaskRun] = []

    def record(sender=None, kwargs=None, state=None, retval=None, **_signal):
        runs.append(TaskRun(name=getattr(sender, "name", ""), kwargs=dict(kwargs or {}), state=state, retval=retval))

    task_postrun.connect(record, weak=False)
    try:
        yield runs
    finally:
        task_postrun.disconnect(record)


def seeded_random(seed: int) -> random.Random:
    """A generator of its own that draws the same numbers on every run, so that a failure can be run again."""
    return random.Random(seed)


@dataclass(frozen=True)
class Outcome:
    """What one call run by `at_once` returned, or raised."""

    value: object = None
    error: BaseException | None = None


def at_once(*calls: Callable[[], object], timeout: float = 60.0) -> list[Outcome]:
    """Run each call in a thread of its own (so with a database connection of its own), all released at
    the same moment, and wait for every one; a call still running after `timeout` fails the test."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = Outcome(value=call())
        except BaseException as error:  # noqa: BLE001 - the caller asserts on every outcome
            outcomes[index] = Outcome(error=error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a call is still waiting (for a lock?)"
    return outcomes


def beat_start(*, log: Path, schedule: Path, env: dict | None = None) -> subprocess.Popen:
    """`celery beat` as a server runs it, in a process group of its own, logging at INFO (in UTC) to `log`:
    "beat: Acquired lock" when it takes the lock (on Redis), "Sending due task <entry>" for each job sent."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "preorder_shop", "beat", "--loglevel", "INFO", "-s", str(schedule)],
            cwd=ROOT,
            env={**os.environ, "TZ": "UTC", **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def beat_stop(beat: subprocess.Popen, *, kill: bool = False) -> None:
    """SIGTERM (a beat shutting down releases its lock), or SIGKILL (a server lost); waits for the group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(beat.pid, signal.SIGKILL if kill else signal.SIGTERM)
    beat.wait(timeout=20)


def beat_sends(log: Path) -> list[tuple[datetime.datetime, str]]:
    """(when, entry) of each job a beat's log says it sent."""
    found = BEAT_SENT.findall(log.read_text(errors="replace")) if log.exists() else []
    return [(datetime.datetime.strptime(when, "%Y-%m-%d %H:%M:%S,%f"), entry) for when, entry in found]


BEAT_SENT = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+): INFO/MainProcess\] Scheduler: Sending due task (\S+)", re.M
)


def beat_redis_clear() -> None:
    """Forget the beats' lock and schedule in Redis (a beat killed by an earlier test leaves its lock to lapse)."""
    from django.conf import settings  # noqa: PLC0415 - read when called: tests change it
    from redis import Redis  # noqa: PLC0415 - only the tests on Redis need the client

    if settings.REDIS_URL:
        client = Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(f"{settings.CELERY_REDBEAT_KEY_PREFIX}*"))
        if keys:
            client.delete(*keys)
