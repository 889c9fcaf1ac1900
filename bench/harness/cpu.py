"""Where the machine's cores went over a phase of a run, read from /proc."""

import os
import time


class CpuMeter:
    """Where the machine's CPU went over a phase: the shop's processes, this load generator, and the rest.

    `groups` names the process groups of the shop's processes (gunicorn, worker); the PostgreSQL backends
    counted are those of `database`. "unattributed" is the machine's busy time that no process of this run
    shows: other sessions' work (a run with much of it is slower), and time no process shows at all (about
    0.35 of a core in the sustained phase of every run on the 2-core container, the kernel's share presumably).
    """

    def __init__(self, groups: dict[str, int], database: str):
        self.groups, self.database = groups, database.encode()

    @staticmethod
    def _machine() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields_ = [int(value) for value in stat.readline().split()[1:]]
        idle = fields_[3] + (fields_[4] if len(fields_) > 4 else 0)
        return sum(fields_[:8]), idle

    def _processes(self) -> dict[str, int]:
        """Clock ticks so far per part; a group's ticks include its reaped children's."""
        ticks = dict.fromkeys([*self.groups, "PostgreSQL", "Redis", "load generator"], 0)
        by_group = {group: name for name, group in self.groups.items()}
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
            elif self.database in command and b"postgres" in command:
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
