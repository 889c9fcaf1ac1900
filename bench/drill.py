"""Drill: stop Redis, then restart PostgreSQL, then hang Redis, while buyers check out; count what came of it.

    .venv/bin/python bench/drill.py [--buyers 60] [--redis-outage 30] [--db-down 5] [--redis-hang 20] [--keep]

Runs the shop as in production (gunicorn with 2 workers, a Celery worker and
beat) against a fresh PostgreSQL database (`prapesan_drill`, dropped first and
at the end) and Redis db 13 (flushed first), with e-mail going to a small SMTP
sink inside this script that records every message it receives.

Phase A: --buyers buyers check out at a steady pace; a few seconds in, Redis is
stopped for --redis-outage seconds, then started again. Phase B: --buyers more
check out while PostgreSQL is restarted once: stopped, and started again
--db-down seconds later (0: `pg_ctlcluster restart`, down for a fraction of a
second). A buyer whose request fails (5xx, or no answer within 60 s, as a
proxy's read timeout) tries once more a moment later with the same details,
as real buyers do. Phase H: --buyers more check out while Redis hangs for
--redis-hang seconds (0: no phase H): the server is paused (SIGSTOP), so its
port still takes connections but nothing answers, as with a hung server or a
half-open link; it prints how long the checkouts took then.
Then it waits (at most 3 minutes) for the outbox to drain and prints the
checkouts, the orders, the duplicates and the "how to pay" e-mails per order.

Exit code 0 when every order got its e-mail exactly once, no buyer has two
orders, no request failed (5xx or no answer) in phase A or H, no checkout in
phase H took longer than HUNG_POST_SECONDS and gunicorn, the worker and beat
were all still running at the end; 1 otherwise.
Whatever happens, the processes are stopped, Redis and PostgreSQL are running
again and the drill database is dropped. Needs to run as root on the machine
that runs PostgreSQL (127.0.0.1:5432, trust) and Redis (127.0.0.1:6379).
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository's root: bench.harness

from bench.harness.drill_buyers import Buyer, HealthWatch, Shop, Window, fire, outage_during
from bench.harness.drill_report import latency_line, report
from bench.harness.pages import failed
from bench.harness.processes import (
    Processes,
    celery_command,
    gunicorn_command,
    health_ok,
    manage,
    run_cleaning_up,
    seed,
    shop_processes,
)
from bench.harness.services import (
    Database,
    log,
    pg_restart,
    redis_flush,
    redis_start,
    redis_stop,
    services_missing,
    services_state,
    wait_until,
)
from bench.harness.smtp_sink import SmtpSink

DATABASE = Database("prapesan_drill")
REDIS_DB = 13
DRAIN_TIMEOUT = 180
PHASE_A_LEAD, PHASE_A_TAIL = 5.0, 10.0  # seconds of traffic before the outage and after Redis is back
PHASE_B_LENGTH, PHASE_B_RESTART_AT = 24.0, 6.0
PHASE_H_LEAD, PHASE_H_TAIL = 3.0, 5.0  # seconds of traffic before Redis hangs and after it answers again
# A checkout while Redis hangs waits for it at most REDIS_TIMEOUT_SECONDS (1 s) per call: a few calls, no more.
HUNG_POST_SECONDS = 5.0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=60, help="buyers in each phase (default 60)")
    parser.add_argument("--redis-outage", type=float, default=30, help="seconds Redis stays down (default 30)")
    parser.add_argument(
        "--db-down", type=float, default=5, help="seconds PostgreSQL stays stopped (default 5; 0: a plain restart)"
    )
    parser.add_argument(
        "--redis-hang", type=float, default=20, help="seconds Redis hangs in phase H (default 20; 0: no phase H)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with the logs")
    return parser.parse_args()


def main() -> int:
    options = arguments()
    if os.geteuid() != 0:
        print("The drill stops and starts PostgreSQL and Redis: run it as root.", file=sys.stderr)
        return 2
    if services_missing():
        return 2
    sink = SmtpSink()
    sink.start()
    processes = shop_processes(
        "drill",
        database=DATABASE,
        redis_db=REDIS_DB,
        settings={
            "DEBUG": "true",
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # As behind nginx: the client's address is the last X-Forwarded-For entry, one per buyer.
            "PROXY_COUNT": "1",
        },
    )
    try:
        code = run_cleaning_up(
            lambda: drill(options, processes, sink),
            processes,
            options,
            failed_code=1,
            says="stopping gunicorn, worker and beat, restoring Redis and PostgreSQL",
            restore=True,
        )
    finally:
        sink.stop()
    log(services_state())
    return code


def drill(options, processes: Processes, sink: SmtpSink) -> int:
    clock_started = time.monotonic()
    env, base_url, work_dir = processes.env, processes.base_url, processes.work_dir
    log(f"fresh database {DATABASE.name}, Redis db {REDIS_DB}, SMTP sink on port {sink.port}, logs in {work_dir}")
    DATABASE.recreate()
    if not redis_flush(REDIS_DB):
        raise RuntimeError(f"could not flush Redis db {REDIS_DB}")
    manage(env, "migrate", "--no-input", "-v", "0")
    seeded = seed(env, "drill_po_seed()")

    processes.start(
        "gunicorn",
        [*gunicorn_command(port=processes.port, workers=2),
         "--access-logfile", "-", "--access-logformat", '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(L)ss'],
    )  # fmt: skip
    processes.start("worker", celery_command("worker", "--concurrency", "2", "--loglevel", "INFO"))
    processes.start("beat", celery_command("beat", "--loglevel", "INFO", "--schedule", str(work_dir / "beat")))
    processes.wait_up(settle=3)  # the worker connects to the broker
    processes.supervise(["worker", "beat"])
    log(f"shop up at {base_url} (PO {seeded['slug']}, item {seeded['item']})")

    epoch = time.monotonic()
    shop = Shop(base_url, seeded["slug"], seeded["item"], epoch, work_dir)
    health = HealthWatch(base_url, epoch)
    health.start()
    chooser = random.Random(20260)

    def buyers_for(phase: str, first: int) -> list[Buyer]:
        return [
            Buyer(first + n, phase, chooser.randint(1, 3), chooser.choice(["dp", "full"]))
            for n in range(options.buyers)
        ]

    # Phase A: Redis goes away for --redis-outage seconds under steady checkouts.
    outage = Window("Redis down")
    phase_a = buyers_for("A", 1)

    def redis_outage():
        log(f"phase A: stopping Redis for {options.redis_outage:g} s")
        redis_stop()
        time.sleep(options.redis_outage)
        redis_start()
        log("phase A: Redis answers again")

    log(f"phase A: {len(phase_a)} buyers over {PHASE_A_LEAD + options.redis_outage + PHASE_A_TAIL:g} s")
    saboteur = outage_during(outage, epoch, redis_outage, after=PHASE_A_LEAD)
    fire(shop, phase_a, duration=PHASE_A_LEAD + options.redis_outage + PHASE_A_TAIL)
    saboteur.join()
    wait_until(lambda: health_ok(base_url), timeout=60, interval=1)

    # Phase B: PostgreSQL restarts once under steady checkouts.
    restart = Window("PostgreSQL down")
    phase_b = buyers_for("B", 1 + options.buyers)

    def database_restart():
        log(f"phase B: restarting PostgreSQL ({options.db_down:g} s down)")
        pg_restart(options.db_down)
        log(f"phase B: PostgreSQL ready again after {time.monotonic() - epoch - restart.start:.1f} s")

    log(f"phase B: {len(phase_b)} buyers over {PHASE_B_LENGTH:g} s")
    saboteur = outage_during(restart, epoch, database_restart, after=PHASE_B_RESTART_AT)
    fire(shop, phase_b, duration=PHASE_B_LENGTH)
    saboteur.join()

    # Phase H: Redis takes connections and answers nothing for --redis-hang seconds.
    hang = Window("Redis hung")
    phase_h = buyers_for("H", 1 + 2 * options.buyers) if options.redis_hang else []
    if phase_h:
        wait_until(lambda: health_ok(base_url), timeout=60, interval=1)
        log(f"phase H: {len(phase_h)} buyers over {PHASE_H_LEAD + options.redis_hang + PHASE_H_TAIL:g} s")
        saboteur = outage_during(hang, epoch, lambda: redis_hung_for(options.redis_hang), after=PHASE_H_LEAD)
        fire(shop, phase_h, duration=PHASE_H_LEAD + options.redis_hang + PHASE_H_TAIL)
        saboteur.join()

    # The outbox drains: nothing pending or being sent.
    log(f"waiting (at most {DRAIN_TIMEOUT} s) for the outbox to drain")
    drain_started = time.monotonic()
    waiting = "SELECT 1 FROM orders_message WHERE status IN ('pending', 'sending') LIMIT 1"

    def drained() -> bool:
        if any(name.startswith("worker") for name in processes.check_alive()):
            return True  # nobody left to send: no use waiting
        try:
            return not DATABASE.query(waiting)
        except psycopg2.Error:
            return False

    wait_until(drained, timeout=DRAIN_TIMEOUT, interval=2)
    is_drained = not DATABASE.query(waiting)
    drain_seconds = time.monotonic() - drain_started
    time.sleep(1)
    health.stopping.set()
    health.join(timeout=25)
    dead = processes.check_alive()

    code = report(
        options=options,
        database=DATABASE,
        buyers=phase_a + phase_b + phase_h,
        outage=outage,
        restart=restart,
        mails=sink.snapshot(),
        health=health.samples,
        drained=is_drained,
        drain_seconds=drain_seconds,
        dead=dead,
        processes_restarted=", ".join(f"{name} x{count}" for name, count in processes.restarts.items()),
        work_dir=work_dir,
        total_seconds=time.monotonic() - clock_started,
    )
    return max(code, hung_report(phase_h, hang)) if phase_h else code


def redis_hung_for(seconds: float) -> None:
    """Pause the Redis server for `seconds`: the kernel still accepts connections to its port, nobody answers."""
    info = subprocess.run(["redis-cli", "-p", "6379", "info", "server"], capture_output=True, text=True, check=True)
    pid = int(next(line for line in info.stdout.splitlines() if line.startswith("process_id:")).split(":")[1])
    log(f"phase H: Redis (pid {pid}) hangs for {seconds:g} s")
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        os.kill(pid, signal.SIGCONT)
    log("phase H: Redis answers again")


def hung_report(buyers: list, hang: Window) -> int:
    """Phase H's checkouts, those that overlapped the hang on their own; 1 when one failed or was slow."""
    posts = [attempt for buyer in buyers for attempt in buyer.posts]
    during = [attempt for attempt in posts if hang.overlaps(attempt)]
    broken = [attempt for buyer in buyers for attempt in buyer.attempts if failed(attempt.status)]
    slow = [attempt for attempt in during if attempt.seconds > HUNG_POST_SECONDS]
    print()
    print(f"Phase H: Redis hung from t={hang.start:.1f} s to t={hang.end:.1f} s; {len(posts)} checkout POSTs, "
          f"{len(during)} while it hung")  # fmt: skip
    print(f"  POST time: {latency_line(posts)}; while it hung: {latency_line(during)}")
    print(f"  failed requests (5xx or no answer): {len(broken)}; POSTs over {HUNG_POST_SECONDS:g} s: {len(slow)}")
    problems = len(broken) + len(slow)
    print("RESULT (hung Redis):", "PASS" if not problems else "FAIL")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
