"""Beat on every server, one ticking (preorder_shop/beat.py, celery-redbeat): the lock in Redis, the takeover
when the ticking beat's server is lost, and a beat that outlives Redis going away or coming back empty."""

import datetime
import re
import socket
import time
from unittest import mock

import pytest
from django.conf import settings
from redis import Redis

from tests.helpers import beat_redis_clear, beat_start, beat_stop, wait_until

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="the beat's lock is in the shop's Redis (REDIS_URL)")

LOCK_SECONDS = 15  # the shortest BEAT_LOCK_TIMEOUT_SECONDS the settings take (three of beat's longest ticks)
LOOP_SECONDS = settings.CELERY_BEAT_MAX_LOOP_INTERVAL
ACQUIRED = "beat: Acquired lock"


@pytest.fixture
def redis_client():
    beat_redis_clear()
    yield Redis.from_url(settings.REDIS_URL, decode_responses=True)
    beat_redis_clear()


def _lock_key() -> str:
    return f"{settings.CELERY_REDBEAT_KEY_PREFIX}:lock"


def _said(log, text: str) -> int:
    return log.read_text(errors="replace").count(text) if log.exists() else 0


@needs_redis
def test_one_beat_holds_the_lock_and_another_takes_over_within_its_timeout_when_it_dies(tmp_path, redis_client):
    logs = [tmp_path / "beat-a.log", tmp_path / "beat-b.log"]
    env = {"BEAT_LOCK_TIMEOUT_SECONDS": str(LOCK_SECONDS)}
    beats = [beat_start(log=log, schedule=tmp_path / f"s{n}", env=env) for n, log in enumerate(logs)]
    try:
        wait_until(lambda: any(_said(log, ACQUIRED) for log in logs), timeout=30, message="a beat took the lock")
        time.sleep(LOOP_SECONDS + 1)  # the other beat has looked for the lock at least once since
        holders = [n for n, log in enumerate(logs) if _said(log, ACQUIRED)]
        assert len(holders) == 1, "two beats hold the lock at once"
        holder, other = holders[0], 1 - holders[0]
        assert redis_client.ttl(_lock_key()) > LOCK_SECONDS - LOOP_SECONDS - 1, "the holder keeps extending it"

        beat_stop(beats[holder], kill=True)  # its server is lost: no release, the lock has to lapse
        killed_at = time.monotonic()
        wait_until(
            lambda: _said(logs[other], ACQUIRED),
            timeout=LOCK_SECONDS + LOOP_SECONDS + 5,
            interval=0.1,
            message="the other beat took over",
        )
        taken_after = time.monotonic() - killed_at
        assert taken_after <= LOCK_SECONDS + LOOP_SECONDS + 1, f"took over after {taken_after:.1f} s"
        assert beats[other].poll() is None
    finally:
        for beat in beats:
            if beat.poll() is None:
                beat_stop(beat)
    assert "Traceback" not in logs[other].read_text()


@needs_redis
def test_a_beat_stopped_by_its_supervisor_hands_the_lock_over_at_the_next_look(tmp_path, redis_client):
    logs = [tmp_path / "beat-a.log", tmp_path / "beat-b.log"]
    beats = [beat_start(log=log, schedule=tmp_path / f"s{n}") for n, log in enumerate(logs)]
    try:
        wait_until(lambda: any(_said(log, ACQUIRED) for log in logs), timeout=30, message="a beat took the lock")
        holder = next(n for n, log in enumerate(logs) if _said(log, ACQUIRED))
        beat_stop(beats[holder])  # SIGTERM: it releases the lock on its way out
        stopped_at = time.monotonic()
        wait_until(lambda: _said(logs[1 - holder], ACQUIRED), timeout=LOOP_SECONDS + 10, message="taken over")
        # Not the lock's 30 s: the next time the other beat looks (and a loaded machine's few seconds).
        assert time.monotonic() - stopped_at <= LOOP_SECONDS + 10
    finally:
        for beat in beats:
            if beat.poll() is None:
                beat_stop(beat)


@needs_redis
def test_a_beat_outlives_redis_coming_back_empty_and_stores_the_schedule_again(tmp_path, redis_client):
    log = tmp_path / "beat.log"
    beat = beat_start(log=log, schedule=tmp_path / "s")
    statics = f"{settings.CELERY_REDBEAT_KEY_PREFIX}:statics"
    try:
        wait_until(lambda: _said(log, ACQUIRED), timeout=30, message="the beat took the lock")
        entries = redis_client.zcard(f"{settings.CELERY_REDBEAT_KEY_PREFIX}:schedule")
        assert entries >= len(settings.CELERY_BEAT_SCHEDULE)
        beat_redis_clear()  # as Redis restarted without its data (it keeps nothing on disk)
        wait_until(lambda: redis_client.exists(statics), timeout=LOOP_SECONDS + 5, message="the schedule is back")
        wait_until(lambda: redis_client.exists(_lock_key()), timeout=LOOP_SECONDS + 5, message="the lock is back")
        assert redis_client.zcard(f"{settings.CELERY_REDBEAT_KEY_PREFIX}:schedule") == entries
        assert beat.poll() is None
        assert _said(log, "lost the lock") == 1
    finally:
        beat_stop(beat)


def test_a_beat_waits_for_a_redis_that_does_not_answer_instead_of_exiting(tmp_path):
    """Any shop on Redis: this beat is given an address where no Redis answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe is closed
    log = tmp_path / "beat.log"
    beat = beat_start(log=log, schedule=tmp_path / "s", env={"REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    try:
        wait_until(
            lambda: len(re.findall("Redis does not answer", log.read_text(errors="replace"))) >= 3,
            timeout=30,
            message="the beat said three times (over one of its waits) that Redis does not answer",
        )
        assert beat.poll() is None, "the beat exited"
    finally:
        beat_stop(beat)


class InProcessBeats:
    """Schedulers in this process, on a clock of the test's, whose sends are recorded, not published."""

    def __init__(self):
        from celery.schedules import crontab  # noqa: PLC0415

        from preorder_shop.celery import app  # noqa: PLC0415

        self.app, self.sent, self.schedulers = app, [], []
        self.clock = [datetime.datetime(2026, 12, 4, 3, 0, 30, tzinfo=datetime.UTC)]
        self.every_minute = {
            entry["task"]
            for entry in settings.CELERY_BEAT_SCHEDULE.values()
            if isinstance(entry["schedule"], crontab) and entry["schedule"]._orig_minute == "*"
        }

    def scheduler(self):
        from preorder_shop.beat import Scheduler  # noqa: PLC0415 - only a shop on Redis uses it

        self.schedulers.append(Scheduler(app=self.app))
        return self.schedulers[-1]

    def tick(self, scheduler, at: datetime.datetime) -> list[str]:
        self.clock[0] = at
        self.sent.clear()
        scheduler.tick()
        return sorted(self.sent)


@pytest.fixture
def beats_in_process(redis_client):
    from celery.app.task import Task  # noqa: PLC0415 - the send is what these tests watch

    beats = InProcessBeats()
    sent = beats.sent
    with (
        mock.patch.object(beats.app, "now", lambda: beats.clock[0]),
        mock.patch.object(Task, "apply_async", autospec=True, side_effect=lambda task, *a, **k: sent.append(task.name)),
        mock.patch.object(beats.app, "send_task", side_effect=lambda name, *a, **k: sent.append(name)),  # not imported
    ):
        yield beats
        for scheduler in beats.schedulers:
            scheduler.close()


def _at(minute: int, second: int) -> datetime.datetime:
    return datetime.datetime(2026, 12, 4, 3, minute, second, tzinfo=datetime.UTC)


@needs_redis
def test_jobs_that_fell_due_while_redis_was_empty_run_once_when_the_schedule_is_stored_again(beats_in_process):
    """A tick sends the minute's jobs, Redis loses everything, and the tick two minutes later sends each
    every-minute job once (what fell due meanwhile), no more."""
    from redbeat import schedulers as redbeat  # noqa: PLC0415

    beats = beats_in_process
    scheduler = beats.scheduler()
    connection = redbeat.get_redis(beats.app).connection_pool.connection_kwargs
    assert connection["socket_timeout"] == settings.REDIS_TIMEOUT_SECONDS, "a hung Redis would hang beat"

    assert beats.tick(scheduler, _at(0, 30)) == []  # a new schedule runs from now on
    minute = beats.tick(scheduler, _at(1, 2))
    assert set(minute) >= beats.every_minute and len(minute) == len(set(minute))

    beat_redis_clear()  # Redis restarted empty at 03:01:30 and came back at 03:03:20
    caught_up = beats.tick(scheduler, _at(3, 20))
    assert set(caught_up) >= beats.every_minute, "the minutes that fell due meanwhile run"
    assert len(caught_up) == len(set(caught_up)), "once each"
    assert beats.tick(scheduler, _at(3, 25)) == []


@needs_redis
def test_a_beat_that_lost_the_lock_does_not_replay_what_the_other_ran_when_redis_comes_back_empty(
    beats_in_process, redis_client
):
    beats = beats_in_process
    first, second = beats.scheduler(), beats.scheduler()
    assert beats.tick(first, _at(0, 30)) == []  # the first holds the lock
    assert beats.tick(second, _at(0, 31)) == []  # the second waits
    redis_client.delete(_lock_key())  # the first stalled past its lock: the second takes it and runs the minutes
    assert set(beats.tick(second, _at(1, 2))) >= beats.every_minute
    assert beats.tick(first, _at(1, 3)) == []  # the first finds the lock taken: it only waits
    assert set(beats.tick(second, _at(2, 2))) >= beats.every_minute

    beat_redis_clear()  # Redis restarts empty; the first beat is the first to look
    assert beats.tick(first, _at(2, 30)) == [], "it replays nothing of what the other beat ran"
    assert set(beats.tick(first, _at(3, 1))) >= beats.every_minute  # and ticks on from there


@needs_redis
def test_a_beat_whose_lock_was_taken_mid_tick_sends_nothing(beats_in_process, redis_client):
    beats = beats_in_process
    scheduler = beats.scheduler()
    assert beats.tick(scheduler, _at(0, 30)) == []  # it holds the lock
    beats.clock[0] = _at(1, 2)
    due = [entry for entry in scheduler.schedule.values() if entry.is_due().is_due]
    assert due, "the minute's jobs are due"
    redis_client.set(_lock_key(), "another beat's token")  # it stalled past the lock; another took it
    beats.sent.clear()
    for entry in due:
        scheduler.maybe_due(entry)
    assert beats.sent == []
    redis_client.delete(_lock_key())
