"""Two app servers, one PostgreSQL, one Redis, one bucket: do files cross, does one beat tick, is nothing lost?

    .venv/bin/python bench/servers.py [--small] [--lock-timeout 15] [--keep]

Runs the shop as two app servers, A and B, each with its own gunicorn, Celery worker and beat and its own
VAR_DIR (so its own local MEDIA_ROOT and PRIVATE_MEDIA_ROOT), sharing a fresh PostgreSQL database
(`prapesan_servers`, dropped at the end), Redis db 12 (flushed first and at the end) and a local
S3-compatible server (rclone serve s3, in the run's folder) with one bucket for the files; e-mail goes to
an SMTP sink inside this script. Beat's lock times out after --lock-timeout seconds (BEAT_LOCK_TIMEOUT_SECONDS;
15 to keep the drill short, the shop's default is 30).

1. Files across servers, over HTTP: a buyer checks out on A and sends a transfer proof through A's order
   page, and the seller (logged in once: the session is in the database) opens it on B: the same bytes as
   the buyer's own link on A and the object in the bucket. The seller adds a product picture through B's
   admin; A's PO page shows it, and its signed links (the original and every rendition) give the picture.
   The seller previews a shipping file on A and confirms it on B: every order ships. No file may be on
   either server's disk.
2. Beats: the beat holding the lock is killed (SIGKILL to its process group) while buyers keep checking
   out on A and B in turn (one in five also sends a proof, on the other server). The survivor must take
   the lock within the lock's timeout and a loop; the drill waits for two whole minutes of the schedule
   after that (--small: one), then reads both beats' logs: the longest gap without a tick of the beat
   holding the lock, the longest gap between sends of an every-minute job, the jobs sent twice (a crontab
   job in the same minute, the 60 s sweep less than 30 s apart), the minutes missed, and each job sent
   against the workers' "received" lines (by task id).
3. Nothing lost: every buyer's order is in the database once, every proof sent is a payment, every order
   got its "how to pay" e-mail once at the sink, and no request got a 5xx or no answer.

Exit code 0 when all of that holds, 1 otherwise (2: PostgreSQL or Redis not running). Whatever happens
every process is stopped, the database dropped and the Redis db flushed; --keep keeps the run's folder
(the logs of each server, the bucket's files), kept anyway when the drill aborts.
"""

import argparse
import datetime
import json
import os
import signal
import sys
import time
import zoneinfo
from pathlib import Path

import psycopg2
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository's root: bench.harness

from bench.harness.drill_buyers import Buyer, Shop
from bench.harness.processes import (
    Processes,
    celery_command,
    free_port,
    gunicorn_command,
    manage,
    run_cleaning_up,
    shop_processes,
)
from bench.harness.servers_flows import Client, picture_flow, proof_flow, seller_login, shipping_flow
from bench.harness.servers_logs import BeatLog, beat_figures, clock, received
from bench.harness.servers_report import Run, local_files, report
from bench.harness.servers_s3 import S3Server
from bench.harness.servers_traffic import BuyerStream
from bench.harness.services import Database, log, redis_flush, redis_url, services_missing, wait_until
from bench.harness.smtp_sink import SmtpSink

DATABASE = Database("prapesan_servers")
REDIS_DB = 12
BUCKET = "prapesan-servers"
LOOP_INTERVAL = 5  # CELERY_BEAT_MAX_LOOP_INTERVAL in the settings
LOCK_KEY = "prapesan-beat::lock"
MINUTE_JOB = "orders-expire-overdue"
SHIPPING_ORDERS = 3
DRAIN_TIMEOUT = 90
SEED = (
    "import json\nfrom django.conf import settings\nfrom bench.harness.servers_seed import servers_seed, beat_schedule_described\n"
    "print(json.dumps({{'seed': servers_seed(shipping_orders={orders}), 'schedule': beat_schedule_described(), "
    "'time_zone': settings.TIME_ZONE}}))"
)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="one minute of schedule after the takeover, not two")
    parser.add_argument("--lock-timeout", type=int, default=15, help="BEAT_LOCK_TIMEOUT_SECONDS (the shop's: 30)")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder with the logs")
    return parser.parse_args()


def main() -> int:
    options = arguments()
    if services_missing():
        return 2
    sink = SmtpSink()
    sink.start()
    s3 = S3Server(BUCKET)
    settings = {
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "PROXY_COUNT": "1",  # as behind nginx: each buyer's address is the last X-Forwarded-For entry
        "BEAT_LOCK_TIMEOUT_SECONDS": str(options.lock_timeout),
        **s3.settings(),
    }
    run = shop_processes("servers", database=DATABASE, redis_db=REDIS_DB, settings=settings)
    servers = {name: server(run, name) for name in ("A", "B")}

    def body() -> int:
        try:
            return drill(options, run, servers, s3, sink)
        finally:
            for processes in servers.values():
                processes.stop_all()

    try:
        return run_cleaning_up(
            body, run, options, failed_code=1, says="stopping both servers, the S3 server; dropping the database"
        )
    finally:
        sink.stop()


def server(run: Processes, name: str) -> Processes:
    """An app server of the run: its folder (logs, VAR_DIR) under the run's, its port; the run's settings."""
    work_dir = run.work_dir / name.lower()
    port = free_port()
    env = {**run.env, "VAR_DIR": str(work_dir / "var"), "SITE_URL": f"http://127.0.0.1:{port}"}
    (work_dir / "var").mkdir(parents=True)
    return Processes(name, env, work_dir, port, run.database, run.redis_db)


def drill(options, run: Processes, servers: dict[str, Processes], s3: S3Server, sink: SmtpSink) -> int:
    clock_started = time.monotonic()
    log(f"fresh database {DATABASE.name}, Redis db {REDIS_DB}, bucket {BUCKET} at {s3.endpoint}, logs in "
        f"{run.work_dir}; BEAT_LOCK_TIMEOUT_SECONDS={options.lock_timeout}")  # fmt: skip
    DATABASE.recreate()
    if not redis_flush(REDIS_DB):
        raise RuntimeError(f"could not flush Redis db {REDIS_DB}")
    run.start("s3", s3.command(run.work_dir / "s3"))
    if not wait_until(s3.ready, timeout=30, interval=0.3):
        raise RuntimeError(f"the S3 server does not answer; see {run.work_dir}/s3.log")
    s3.bucket_create()
    manage(run.env, "migrate", "--no-input", "-v", "0")
    seeded = json.loads(manage(run.env, "shell", "-c", SEED.format(orders=SHIPPING_ORDERS)).strip().splitlines()[-1])
    seed, schedule = seeded["seed"], seeded["schedule"]
    zone = zoneinfo.ZoneInfo(seeded["time_zone"])  # the processes' logs are in the shop's time zone

    for processes in servers.values():
        processes.start("gunicorn", gunicorn_command(port=processes.port, workers=2))
        processes.start("worker", celery_command("worker", "--concurrency", "2", "--loglevel", "INFO",
                                                 "--hostname", f"worker-{processes.name}@%h"))  # fmt: skip
        processes.start("beat", celery_command("beat", "--loglevel", "DEBUG"))
    for processes in servers.values():
        processes.wait_up(settle=1)
    beat_logs = {name: processes.work_dir / "beat.log" for name, processes in servers.items()}
    if not wait_until(lambda: holder(beat_logs, zone), timeout=30, interval=0.5):
        raise RuntimeError("no beat took the lock")
    log(
        f"servers up: A {servers['A'].base_url}, B {servers['B'].base_url}; beat {holder(beat_logs, zone)} holds the lock"
    )

    # 1. Files across the servers.
    base_a, base_b = servers["A"].base_url, servers["B"].base_url
    epoch = time.monotonic()
    shop_a = Shop(base_a, seed["slug"], seed["item"], epoch, run.work_dir)
    shop_b = Shop(base_b, seed["slug"], seed["item"], epoch, run.work_dir)
    seller, visitor = Client("10.200.0.1"), Client("10.200.0.2")
    if not seller_login(seller, base_a, seed["seller"]["username"], seed["seller"]["password"]):
        raise RuntimeError("the seller could not log in on A")
    first_buyer = Buyer(1, "F", 1, "full")
    flows = [
        proof_flow(shop_a=shop_a, buyer=first_buyer, base_b=base_b, seller=seller, s3=s3, database=DATABASE),
        picture_flow(
            base_a=base_a,
            base_b=base_b,
            seller=seller,
            visitor=visitor,
            product_id=seed["product"],
            slug=seed["slug"],
            s3=s3,
            database=DATABASE,
        ),  # fmt: skip
        shipping_flow(
            base_a=base_a, base_b=base_b, seller=seller, orders=seed["shipping_orders"], s3=s3, database=DATABASE
        ),  # fmt: skip
    ]
    for flow in flows:
        log(f"{flow.name}: {'ok' if flow.ok else 'FAILED'}")

    # 2. The beat holding the lock dies under checkouts.
    stream = BuyerStream([("A", shop_a), ("B", shop_b)], DATABASE, first=100, interval=1.5 if options.small else 1.0)
    stream.start()
    killed_name = holder(beat_logs, zone)
    if not options.small:  # a minute's job sent by the holder first, so the gap spans both beats
        wait_until(lambda: any(s.entry == MINUTE_JOB for s in BeatLog.read(killed_name, beat_logs[killed_name], zone).sends),
                   timeout=65, interval=1)  # fmt: skip
    time.sleep(3)
    lock_ttl = redis.Redis.from_url(redis_url(REDIS_DB)).pttl(LOCK_KEY)
    killed_at = datetime.datetime.now(datetime.UTC)
    os.killpg(servers[killed_name].running["beat"].pid, signal.SIGKILL)
    survivor = "B" if killed_name == "A" else "A"
    log(f"killed beat {killed_name} (its lock had {lock_ttl / 1000:.1f} s left in Redis); waiting for {survivor}")

    def minutes_after_takeover() -> int:
        """The whole minutes of the schedule after the takeover's minute whose job the survivor sent (a job
        that fell due while nobody ticked is sent at the takeover itself: not counted)."""
        beat = BeatLog.read(survivor, beat_logs[survivor], zone)
        if not beat.acquired:
            return 0
        took = beat.acquired[-1].replace(second=0, microsecond=0)
        minutes = {send.at.replace(second=0, microsecond=0) for send in beat.sends if send.entry == MINUTE_JOB}
        return sum(1 for minute in minutes if minute > took)

    taken = wait_until(
        lambda: BeatLog.read(survivor, beat_logs[survivor], zone).acquired, timeout=options.lock_timeout + 30
    )
    if taken:
        acquired = BeatLog.read(survivor, beat_logs[survivor], zone).acquired[-1]
        log(f"beat {survivor} took the lock at {clock(acquired)} UTC, {(acquired - killed_at).total_seconds():.1f} s "
            f"after the kill")  # fmt: skip
        minutes = 1 if options.small else 2
        log(f"waiting for {minutes} minute(s) of {MINUTE_JOB} sent by {survivor}")
        wait_until(lambda: minutes_after_takeover() >= minutes, timeout=60 * minutes + 20, interval=1)
    stream.finish()
    log(f"{len(stream.buyers)} buyers checked out during the beat phase")

    # 3. The outbox drains; the workers have received what the beats sent.
    drained = wait_until(lambda: outbox_drained(seed["slug"]), timeout=DRAIN_TIMEOUT, interval=1)
    worker_logs = [processes.work_dir / "worker.log" for processes in servers.values()]
    beats = [BeatLog.read(name, path, zone) for name, path in beat_logs.items()]

    def all_received() -> bool:
        ids = {task_id for _name, task_id in received(worker_logs, zone)}
        return all(send.task_id in ids for beat in beats for send in beat.sends)

    wait_until(all_received, timeout=10, interval=0.5)
    dead = [f"{name}: {what}" for name, processes in servers.items() for what in processes.check_alive()
            if not (name == killed_name and what.startswith("beat"))]  # fmt: skip
    figures = beat_figures(
        [BeatLog.read(name, path, zone) for name, path in beat_logs.items()],
        received(worker_logs, zone),
        schedule=schedule,
        killed_at=killed_at,
        minute_job=MINUTE_JOB,
    )
    statuses = (
        seller.statuses
        + visitor.statuses
        + [attempt.status for buyer in [first_buyer, *stream.buyers] for attempt in buyer.attempts]
    )
    code = report(
        Run(
            flows=flows,
            local_files=local_files({name: Path(p.env["VAR_DIR"]) for name, p in servers.items()}),
            beats=figures,
            lock_timeout=options.lock_timeout,
            loop_interval=LOOP_INTERVAL,
            killed=f"beat {killed_name} at {clock(killed_at)} UTC; beat {survivor} took over",
            buyers=[first_buyer, *stream.buyers],
            proofs_sent=flows[0].proofs_sent + [(proof.token, proof.status) for proof in stream.proofs],
            statuses=statuses,
            mails=sink.snapshot(),
            drained=drained,
            seconds=time.monotonic() - clock_started,
        ),
        DATABASE,
        s3,
        seed["slug"],
    )
    if dead:
        print(f"Processes that died: {', '.join(dead)}")
    return 1 if dead else code


def holder(beat_logs: dict[str, Path], zone: datetime.tzinfo) -> str:
    """The beat that took the lock last (and did not say it lost it), or ""."""
    taken = []
    for name, path in beat_logs.items():
        beat = BeatLog.read(name, path, zone)
        if beat.acquired and not (beat.lost and beat.lost[-1] > beat.acquired[-1]):
            taken.append((beat.acquired[-1], name))
    return max(taken)[1] if taken else ""


def outbox_drained(slug: str) -> bool:
    try:
        return not DATABASE.query(
            "SELECT 1 FROM orders_message m JOIN orders_order o ON o.id = m.order_id JOIN campaigns_campaign c "
            "ON c.id = o.campaign_id WHERE c.slug = %s AND m.status IN ('pending', 'sending') LIMIT 1",
            (slug,),
        )
    except psycopg2.Error:
        return False


if __name__ == "__main__":
    sys.exit(main())
