"""What the beats and workers of the servers drill wrote: ticks, the lock taken, jobs sent, tasks received.

Celery's lines start "[2026-01-31 12:00:00,123: INFO/MainProcess]", in the process's local time, which is
the shop's TIME_ZONE (Django sets TZ to it): read in that zone, kept in UTC. A beat logs at DEBUG so that every tick shows ("beat: Waking up in 5.00 seconds.")
and every job sent names its task id ("<task> sent. id-><id>").
"""

import collections
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}): (\w+)/[^\]]*\] (.*)$")
SENDING = re.compile(r"Scheduler: Sending due task (\S+) \((\S+)\)")
SENT_ID = re.compile(r"^Scheduler: (\S+) sent\. id->(\S+)")
RECEIVED = re.compile(r"Task (\S+)\[([0-9a-f-]+)\] received")
ACQUIRED, TICK, LOST = "beat: Acquired lock", "beat: Waking up", "beat: lost the lock"


def lines(path: Path, zone: datetime.tzinfo) -> list[tuple[datetime.datetime, str]]:
    """(when, message) of every Celery line of a log written in `zone`, in UTC."""
    found = []
    if not path.exists():
        return found
    for text in path.read_text(errors="replace").splitlines():
        match = LINE.match(text)
        if match:
            when = datetime.datetime.strptime(f"{match.group(1)}.{match.group(2)}", "%Y-%m-%d %H:%M:%S.%f")
            found.append((when.replace(tzinfo=zone).astimezone(datetime.UTC), match.group(4)))
    return found


@dataclass
class Send:
    at: datetime.datetime
    beat: str
    entry: str
    task: str
    task_id: str = ""


@dataclass
class BeatLog:
    """One beat's lines: when it took the lock, its ticks, the jobs it sent."""

    name: str
    acquired: list[datetime.datetime] = field(default_factory=list)
    lost: list[datetime.datetime] = field(default_factory=list)
    ticks: list[datetime.datetime] = field(default_factory=list)
    sends: list[Send] = field(default_factory=list)
    last_line: datetime.datetime | None = None

    @classmethod
    def read(cls, name: str, path: Path, zone: datetime.tzinfo) -> "BeatLog":
        log = cls(name)
        pending: dict[str, list[Send]] = collections.defaultdict(list)  # sends waiting for their id, by task
        for when, message in lines(path, zone):
            log.last_line = when
            if message.startswith(ACQUIRED):
                log.acquired.append(when)
            elif message.startswith(LOST):
                log.lost.append(when)
            elif message.startswith(TICK):
                log.ticks.append(when)
            elif match := SENDING.search(message):
                send = Send(when, name, match.group(1), match.group(2))
                log.sends.append(send)
                pending[send.task].append(send)
            elif (match := SENT_ID.match(message)) and pending[match.group(1)]:
                pending[match.group(1)].pop(0).task_id = match.group(2)
        return log

    def holder_ticks(self) -> list[datetime.datetime]:
        """The ticks while this beat held the lock (from its taking it), the taking included."""
        if not self.acquired:
            return []
        return [self.acquired[0], *(tick for tick in self.ticks if tick >= self.acquired[0])]


def received(paths: list[Path], zone: datetime.tzinfo) -> list[tuple[str, str]]:
    """(task name, task id) of every task the workers received."""
    return [
        (match.group(1), match.group(2))
        for path in paths
        for _when, message in lines(path, zone)
        if (match := RECEIVED.search(message))
    ]


@dataclass
class BeatFigures:
    longest_gap: float  # seconds without a tick of the beat holding the lock
    gap_from: datetime.datetime | None
    gap_to: datetime.datetime | None
    takeover_after_kill: float | None  # from the kill to the survivor's taking the lock
    minute_job: str
    minute_job_longest_gap: float | None
    doubled: list[str]
    missed: list[str]
    sends: int
    per_task: dict[str, tuple[int, int, int, int]]  # task: sends, received once, not received, received twice
    nudged_sweeps: int


def beat_figures(
    beats: list[BeatLog],
    received_tasks: list[tuple[str, str]],
    *,
    schedule: dict[str, dict],
    killed_at: datetime.datetime | None,
    minute_job: str,
) -> BeatFigures:
    """The longest gap without a tick, the doubled and missed jobs, and the sends against what workers got."""
    ticks = sorted(tick for beat in beats for tick in beat.holder_ticks())
    gaps = [(later - earlier, earlier, later) for earlier, later in zip(ticks, ticks[1:], strict=False)]
    longest, gap_from, gap_to = max(gaps, default=(datetime.timedelta(0), None, None))
    taken = sorted(when for beat in beats for when in beat.acquired if killed_at and when >= killed_at)
    sends = sorted((send for beat in beats for send in beat.sends), key=lambda send: send.at)
    by_entry: dict[str, list[Send]] = collections.defaultdict(list)
    for send in sends:
        by_entry[send.entry].append(send)
    doubled, missed = [], []
    for entry, entry_sends in sorted(by_entry.items()):
        every = schedule.get(entry, {}).get("every")
        if every:  # an interval: two sends closer than half of it are one run sent twice
            for earlier, later in zip(entry_sends, entry_sends[1:], strict=False):
                if (later.at - earlier.at).total_seconds() < every / 2:
                    doubled.append(f"{entry} at {clock(earlier.at)} ({earlier.beat}) and {clock(later.at)} "
                                   f"({later.beat})")  # fmt: skip
            continue
        minutes = collections.Counter(send.at.replace(second=0, microsecond=0) for send in entry_sends)
        doubled.extend(
            f"{entry} due {clock(minute)} sent {count} times" for minute, count in minutes.items() if count > 1
        )
        if schedule.get(entry, {}).get("every_minute") and minutes:
            minute, last = min(minutes), max(minutes)
            while minute < last:
                if minute not in minutes:
                    missed.append(f"{entry} due {clock(minute)}")
                minute += datetime.timedelta(minutes=1)
    job_times = [send.at for send in by_entry.get(minute_job, [])]
    job_gaps = [(later - earlier).total_seconds() for earlier, later in zip(job_times, job_times[1:], strict=False)]
    counts = collections.Counter(task_id for _name, task_id in received_tasks)
    per_task = {}
    for task in sorted({send.task for send in sends}):
        ids = [send.task_id for send in sends if send.task == task]
        per_task[task] = (
            len(ids),
            sum(1 for task_id in ids if counts[task_id] == 1),
            sum(1 for task_id in ids if counts[task_id] == 0),
            sum(1 for task_id in ids if counts[task_id] > 1),
        )
    beat_ids = {send.task_id for send in sends}
    sweep = schedule.get("messages-deliver-due", {}).get("task", "")
    return BeatFigures(
        longest_gap=longest.total_seconds(),
        gap_from=gap_from,
        gap_to=gap_to,
        takeover_after_kill=(taken[0] - killed_at).total_seconds() if taken else None,
        minute_job=minute_job,
        minute_job_longest_gap=max(job_gaps, default=None),
        doubled=doubled,
        missed=missed,
        sends=len(sends),
        per_task=per_task,
        nudged_sweeps=sum(1 for name, task_id in received_tasks if name == sweep and task_id not in beat_ids),
    )


def clock(when: datetime.datetime | None) -> str:
    return when.strftime("%H:%M:%S.%f")[:-3] if when else "-"
