"""Flash PO: hundreds of buyers rush a small quota on one small server; count and time what came of it.

    .venv/bin/python bench/flash.py [--buyers 500] [--quota 100] [--sustained-seconds 20]
                                    [--workers 3] [--worker-class sync] [--threads 4] [--front nginx|none]
                                    [--check] [--keep]

Runs the shop as deployed on one small server (nginx in front with the
snippets of deploy/nginx/, at nice --front-nice; gunicorn with --workers of
--worker-class, --threads each for gthread, for the pages and
--checkout-workers more for the checkout; and one Celery worker; --front none:
one gunicorn pool alone) against a
fresh PostgreSQL database (`prapesan_flash`, dropped first and at the end) and
Redis db 12 (flushed first and at the end), with DEBUG=false,
BENCHMARK_VIEWS=true for the baseline view /_bench/bare/, CHECKOUT_RATE high
and UNPAID_ORDERS_PER_CLIENT=0 (every buyer comes from 127.0.0.1) and
LOG_LEVEL=DEBUG for the "orders.lock" lines (the worker logs at INFO). It seeds
a flash PO (one product in 4 sizes, campaign quota --quota, each size half of
it, open now), a PO without any quota, a third PO for the quiet checkouts, and
a bank account.

1. Idle: --idle-requests requests (--concurrency at a time) to the bare view,
   the flash PO's page, the home page and the checkout form: requests/s, p50, p95.
2. One at a time: 30 checkouts in a row (after a few to warm every worker):
   the campaign lock's time with nobody waiting for it.
3. Rush: --buyers buyers arrive within --rush-spread seconds, each with a cookie
   jar of their own: the PO's page (a size shown sold out is not picked), the
   checkout form (csrftoken cookie and csrfmiddlewaretoken), 0.2-1 s to fill it
   in, then "Order" for 1 unit. Meanwhile --browsers visitors keep loading the
   bare view, the PO's page and the home page (20 to 100 ms apart, some 120
   loads of each in a rush: a p95 of 30 is about the slowest two). Each POST is accepted (302 to an
   order page), refused (200 with the sold-out message), a 5xx, no answer
   (60 s), or something else.
4. Sustained: for --sustained-seconds, --sustained-concurrency buyers at a time
   check out one after another on the PO without quota (a new buyer each time).
5. The database: orders on the flash PO == min(quota, buyers), nothing oversold
   (campaign and each item), the counters match the order lines, and every
   accepted order (by the token in its redirect) exists exactly once.

Then it prints the report: checkouts, orders/s, p50/p95 of each page idle and
during the rush with the ratios, the checkout's p50/p95, the campaign lock time
per order from the "orders.lock" lines in gunicorn's log, and per phase where
the 2 cores went (gunicorn, worker, PostgreSQL, Redis, this script, and
the rest, unattributed: other work on the machine makes a run slower, so it shows).

The client is aiohttp, one connection pool without a limit (no queue on the
client's side); an idle connection is dropped after 1 s, before gunicorn's 2 s
keep-alive (gthread) closes it, or a reused one gets a reset now and then.

Exit code with --check: 1 on any oversell, any 5xx or request without an answer,
or a database check that fails; 0 otherwise. Without --check: 0 once the run
finished (the report says PASS or FAIL); 2 when the shop could not be set up.
Gunicorn and the worker are always stopped, the database dropped and Redis db
12 flushed; PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis
(127.0.0.1:6379) must be running and are left running. Traffic goes to
127.0.0.1 only.
"""

import argparse
import asyncio
import functools
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository's root: bench.harness

from bench.harness.cpu import CpuMeter
from bench.harness.flash_buyers import measure
from bench.harness.flash_checks import database_check, lock_times
from bench.harness.flash_report import layout, report
from bench.harness.processes import (
    Processes,
    celery_command,
    free_port,
    gunicorn_command,
    manage,
    nginx_command,
    nginx_path,
    niced,
    run_cleaning_up,
    seed,
    shop_processes,
)
from bench.harness.services import Database, log, redis_flush, services_missing, versions

DATABASE = Database("prapesan_flash")
REDIS_DB = 12
SIZES = ["S", "M", "L", "XL"]
COLOURS = ["Hitam", "Putih", "Navy"]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=500, help="buyers in the rush (default 500)")
    parser.add_argument("--quota", type=int, default=100, help="the flash PO's quota in units (default 100)")
    parser.add_argument("--sustained-seconds", type=float, default=20, help="length of the sustained run (default 20)")
    parser.add_argument("--sustained-concurrency", type=int, default=8, help="buyers at a time in it (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class: sync or gthread (default sync)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--worker-nice", type=int, default=10, help="the Celery worker's nice value (default 10)")
    parser.add_argument(
        "--front",
        choices=["nginx", "none"],
        default="nginx",
        help="nginx in front as deployed, the checkout on a pool of its own (default), or gunicorn alone",
    )
    parser.add_argument(
        "--checkout-workers", type=int, default=2, help="gunicorn workers for the checkout, behind nginx (default 2)"
    )
    parser.add_argument("--checkout-nice", type=int, default=0, help="the checkout pool's nice value (default 0)")
    parser.add_argument("--front-nice", type=int, default=-10, help="nginx's nice value (default -10)")
    parser.add_argument("--idle-requests", type=int, default=300, help="requests per page when idle (default 300)")
    parser.add_argument("--concurrency", type=int, default=20, help="requests in flight when idle (default 20)")
    parser.add_argument("--browsers", type=int, default=10, help="visitors browsing during the rush (default 10)")
    parser.add_argument("--rush-spread", type=float, default=2.0, help="seconds over which buyers arrive (default 2)")
    parser.add_argument("--check", action="store_true", help="exit 1 on an oversell, a 5xx or a failed check")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with the logs")
    options = parser.parse_args()
    if options.worker_class not in ("sync", "gthread"):
        parser.error("--worker-class: sync or gthread")
    if options.front == "nginx" and not nginx_path():
        parser.error("--front nginx needs nginx (apt-get install -y nginx-light), or run with --front none")
    if min(options.buyers, options.quota, options.workers, options.checkout_workers, options.threads, options.idle_requests,
           options.concurrency, options.sustained_concurrency) < 1 or options.browsers < 0:  # fmt: skip
        parser.error("counts must be positive")
    return options


def main() -> int:
    options = arguments()
    if services_missing():
        return 2
    processes = shop_processes(
        "flash",
        database=DATABASE,
        redis_db=REDIS_DB,
        settings={
            "DEBUG": "false",
            "BENCHMARK_VIEWS": "true",
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_URL": "dummymail://",  # the worker renders and "sends" every message, to nowhere
            # Every buyer comes from 127.0.0.1: no throttle or unpaid-order cap may turn them away; behind
            # nginx the client's address is read past it, as deployed.
            "PROXY_COUNT": "1" if options.front == "nginx" else "0",
            "CHECKOUT_RATE": "1000000/m",
            "UNPAID_ORDERS_PER_CLIENT": "0",
            # For the "orders.lock" lines; with DEBUG=false Django logs no SQL, so this stays quiet.
            "LOG_LEVEL": "DEBUG",
        },
    )

    return run_cleaning_up(
        lambda: run(options, processes),
        processes,
        options,
        failed_code=2,
        says="stopping gunicorn and the worker, dropping the database",
    )


def shop_start(options, processes: Processes) -> None:
    """gunicorn for the pages (and one for the checkout, behind nginx), nginx, the Celery worker."""
    web = functools.partial(gunicorn_command, worker_class=options.worker_class, threads=options.threads)
    if options.front == "nginx":
        pages_port, checkout_port = free_port(), free_port()
        processes.start("gunicorn", web(port=pages_port, workers=options.workers))
        processes.start(
            "checkout", niced(options.checkout_nice, web(port=checkout_port, workers=options.checkout_workers))
        )
        front = nginx_command(
            work_dir=processes.work_dir, port=processes.port, pages_port=pages_port, checkout_port=checkout_port
        )
        processes.start("nginx", niced(options.front_nice, front))
    else:
        processes.start("gunicorn", web(port=processes.port, workers=options.workers))
    # At a lower priority, as deployed (systemd Nice=10): in a rush the checkouts get the cores first and
    # the e-mails follow a moment later; the outbox keeps them meanwhile.
    worker = celery_command("worker", "--concurrency", "1", "--loglevel", "INFO")
    processes.start("worker", niced(options.worker_nice, ["env", "LOG_LEVEL=INFO", *worker]))


def run(options, processes: Processes) -> int:
    clock = time.monotonic()
    base_url, work_dir = processes.base_url, processes.work_dir
    log(f"fresh database {DATABASE.name}, Redis db {REDIS_DB}, logs in {work_dir}")
    DATABASE.recreate()
    redis_flush(REDIS_DB)
    manage(processes.env, "migrate", "--no-input", "-v", "0")
    seeded = seed(processes.env, f"flash_pos_seed(quota={options.quota}, sizes={SIZES!r}, colours={COLOURS!r})")
    shop_start(options, processes)
    cpu_groups = {name: process.pid for name, process in processes.running.items()}
    processes.wait_up()
    log(f"shop up at {base_url}: {layout(options)}; "
        f"flash PO /po/{seeded['flash']['slug']}/, PO without quota /po/{seeded['steady']['slug']}/")  # fmt: skip

    results = asyncio.run(measure(options, base_url, seeded, functools.partial(CpuMeter, cpu_groups, DATABASE.name)))
    time.sleep(0.5)  # the last log lines reach the file
    dead = processes.check_alive()
    db = database_check(
        DATABASE, seeded, results["buyers"], results["steady"], results["quiet"] + results["quiet_warm"], options.quota
    )
    web_logs = [work_dir / f"{name}.log" for name in ("gunicorn", "checkout") if name in processes.running]
    locks, log_lines, lock_lines = lock_times(DATABASE, web_logs, seeded, results["quiet_warm"])
    servers = versions(DATABASE, REDIS_DB)
    servers = f"{servers}, aiohttp {aiohttp.__version__}" if servers else ""
    problems = report(options, seeded, results, db, locks, log_lines, lock_lines, servers)
    if dead:
        problems.append(f"{', '.join(dead)} died")
    print()
    print(f"{time.monotonic() - clock:.0f} s in all")
    print("RESULT:", "PASS" if not problems else "FAIL: " + "; ".join(problems))
    if problems and not options.keep:
        print("(run with --keep to keep gunicorn's and the worker's logs)")
    return (1 if problems else 0) if options.check else 0


if __name__ == "__main__":
    sys.exit(main())
