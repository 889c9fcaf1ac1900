"""Beat on every server, one of them ticking: celery-redbeat keeps the schedule and a lock in Redis.

Every beat process runs this scheduler. The one holding the lock in Redis sends the due jobs and extends the
lock at every tick (every CELERY_BEAT_MAX_LOOP_INTERVAL seconds at most); the others look for the lock as
often and take it once it lapses, CELERY_REDBEAT_LOCK_TIMEOUT seconds after its holder's last tick when that
server died. When each job last ran is kept in Redis too, so the beat that takes over sends what fell due
while nobody ticked, once. Before each send a beat checks that the lock is still its own, so a beat that
stalled past the lock's timeout mid-tick sends nothing the other may have sent.

Besides that check, two differences from redbeat's own scheduler, so that a beat outlives Redis trouble:
- the lock is looked for at every tick without blocking, not once at start-up in a wait that Redis going
  away breaks (after which redbeat's scheduler fails at its next tick);
- a Redis that does not answer, or came back empty (it keeps nothing on disk), costs a tick: the beat waits
  and tries again, takes the lock again, and stores the schedule again from the code (CELERY_BEAT_SCHEDULE)
  when it is gone (as it stood at its last tick, if it held the lock then, so that what fell due meanwhile
  runs once).
The schedule itself stays in the code; redbeat removes entries the code no longer has.
"""

import logging

from celery.signals import beat_init
from redbeat import schedulers as redbeat
from redis.exceptions import LockNotOwnedError, RedisError

logger = logging.getLogger(__name__)

# The lock is taken in tick(), without blocking.
beat_init.disconnect(redbeat.acquire_distributed_beat_lock)


class Scheduler(redbeat.RedBeatScheduler):
    _schedule_stored = False
    _schedule_seen_at = None  # this beat's last tick that found the schedule in Redis

    def __init__(self, app, *args, **kwargs):
        # celery-redbeat asks for its settings by its own names ("redbeat_redis_options"); the app holds them
        # under those the Django settings' CELERY_ namespace gave them. Without this its Redis connection
        # would go without REDIS_TIMEOUT_SECONDS, and a hung Redis would hang beat.
        named = {key: app.conf[key] for key in list(app.conf.keys()) if key.startswith("CELERY_REDBEAT_")}
        app.conf.update({key.removeprefix("CELERY_").lower(): value for key, value in named.items()})
        super().__init__(app, *args, **kwargs)

    def setup_schedule(self):
        """The code's schedule into Redis (at start-up, and again when Redis lost it); later if Redis is down."""
        try:
            super().setup_schedule()
        except RedisError as error:
            logger.warning("beat: Redis does not answer (%s): the schedule is stored once it does", error)
            return
        self._schedule_stored = True

    def tick(self, min=min, **kwargs):
        try:
            if not self._lock_held():
                return self.max_interval
            if not self._schedule_stored:
                self.setup_schedule()
            elif not redbeat.get_redis(self.app).exists(self.app.redbeat_conf.statics_key):
                self._schedule_restore()
            self._schedule_seen_at = self.app.now()
            remaining = []
            for entry in self.schedule.values():
                next_time_to_run = self.maybe_due(entry, **self._maybe_due_kwargs)
                if next_time_to_run:
                    remaining.append(next_time_to_run)
        except RedisError as error:
            logger.warning("beat: Redis does not answer (%s): trying again in %s s", error, self.max_interval)
            return self.max_interval
        return min([*remaining, self.max_interval])

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        """Send a due job only while this beat still holds the lock: a beat that stalled mid-tick past the
        lock's timeout (a paused machine) finds it taken and sends nothing another beat may have sent."""
        if self.lock is None or not self.lock.owned():
            logger.warning("beat: the lock is no longer this beat's: %s left to the beat that holds it", entry.name)
            return None
        return super().apply_async(entry, producer=producer, advance=advance, **kwargs)

    def _schedule_restore(self) -> None:
        """Redis came back without the schedule: store it again as it stood at this beat's last tick, so that
        each job that fell due since runs once now (and none that ran before runs again). A beat that did not
        hold the lock at its last tick knows nothing of what ran: the schedule starts afresh, as new."""
        seen = self._schedule_seen_at
        logger.warning("beat: the schedule is not in Redis (it restarted empty?): storing it again, as at %s", seen)
        self.setup_schedule()
        if seen is None:
            return
        for name in self.app.redbeat_conf.schedule:
            key = self.Entry.generate_key(self.app, name)
            self.Entry.from_key(key, app=self.app).reschedule(last_run_at=seen)

    def _lock_held(self) -> bool:
        """True when this beat holds the lock, taken now or extended for another lock_timeout seconds."""
        if self.lock is not None:
            try:
                self.lock.extend(int(self.lock_timeout))
                return True
            except LockNotOwnedError:
                logger.warning("beat: lost the lock (Redis restarted, or this beat stalled past it)")
                self.lock = None
        client = redbeat.get_redis(self.app)
        lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
        lock.lua_extend = client.register_script(redbeat.LUA_EXTEND_TO_SCRIPT)
        if not lock.acquire(blocking=False):
            self._schedule_seen_at = None  # another beat ticks: what it runs is its own to remember
            return False
        logger.info("beat: Acquired lock")
        self.lock = lock
        return True
