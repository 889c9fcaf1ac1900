"""Drill: stop Redis, then restart PostgreSQL, while buyers check out; count what came of it.

    .venv/bin/python bench/drill.py [--buyers 60] [--redis-outage 30] [--db-down 5] [--keep]

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
as real buyers do.
Then it waits (at most 3 minutes) for the outbox to drain and prints the
checkouts, the orders, the duplicates and the "how to pay" e-mails per order.

Exit code 0 when every order got its e-mail exactly once, no buyer has two
orders, no request failed (5xx or no answer) in phase A and gunicorn, the
worker and beat were all still running at the end; 1 otherwise.
Whatever happens, the processes are stopped, Redis and PostgreSQL are running
again and the drill database is dropped. Needs to run as root on the machine
that runs PostgreSQL (127.0.0.1:5432, trust) and Redis (127.0.0.1:6379).
"""

import argparse
import collections
import email
import email.policy
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = BASE_DIR / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")

DATABASE = "prapesan_drill"
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
REDIS_DB = 13
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip

REQUEST_TIMEOUT = 60  # seconds; gunicorn kills a worker stuck for 30
DRAIN_TIMEOUT = 180
PHASE_A_LEAD, PHASE_A_TAIL = 5.0, 10.0  # seconds of traffic before the outage and after Redis is back
PHASE_B_LENGTH, PHASE_B_RESTART_AT = 24.0, 6.0
FILL_IN = (2.0, 5.0)  # seconds a buyer takes between the form and "Order"
ORDER_PAGE = re.compile(r"/pesanan/[^/?#]+/terima-kasih/$")
ORDER_NUMBER = re.compile(r"PO-\d{4}-\d{5,}")


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- the services --------------------------------------------------------------------------------------


def pg_cluster_command(action: str) -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]


def pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0


def redis_ready() -> bool:
    result = subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True, check=False)
    return result.stdout.strip() == "PONG"


def wait_until(check, *, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True, check=False)
    wait_until(lambda: not redis_ready(), timeout=10)


def redis_start() -> None:
    subprocess.run(REDIS_START, capture_output=True, check=False)
    if not wait_until(redis_ready, timeout=30):
        raise RuntimeError("Redis does not answer after starting it")


def pg_restart(down_seconds: float) -> None:
    if down_seconds > 0:
        subprocess.run(pg_cluster_command("stop"), capture_output=True, check=False)
        time.sleep(down_seconds)
        subprocess.run(pg_cluster_command("start"), capture_output=True, check=False)
    else:
        subprocess.run(pg_cluster_command("restart"), capture_output=True, check=False)
    if not wait_until(pg_ready, timeout=60):
        raise RuntimeError("PostgreSQL does not answer after restarting it")


def services_restore() -> None:
    """Both services up again, whatever state the drill left them in."""
    if not redis_ready():
        log("Redis is down: starting it")
        subprocess.run(REDIS_START, capture_output=True, check=False)
        if not wait_until(redis_ready, timeout=30):
            log("WARNING: Redis still does not answer")
    if not pg_ready():
        log("PostgreSQL is down: starting it")
        subprocess.run(pg_cluster_command("start"), capture_output=True, check=False)
        if not wait_until(pg_ready, timeout=60):
            log("WARNING: PostgreSQL still does not answer")


def database_recreate(name: str = DATABASE) -> None:
    connection = psycopg2.connect(PG_ADMIN_DSN, connect_timeout=10)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    connection.close()


def database_drop(name: str = DATABASE) -> None:
    try:
        connection = psycopg2.connect(PG_ADMIN_DSN, connect_timeout=10)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.close()
    except psycopg2.Error as error:
        log(f"WARNING: could not drop {name}: {error}")


def database_query(sql: str, params=(), *, name: str = DATABASE) -> list[tuple]:
    connection = psycopg2.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}", connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        connection.close()


# --- the SMTP sink -------------------------------------------------------------------------------------


@dataclass
class Mail:
    at: float
    to: str
    subject: str


class SmtpSink:
    """Just enough SMTP for Django's backend: accepts everything and keeps each message's To and Subject."""

    def __init__(self):
        self.mails: list[Mail] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text: str) -> None:
                self.wfile.write(text.encode() + b"\r\n")

            def handle(self):
                self.reply("220 drill-sink ESMTP")
                while True:
                    line = self.rfile.readline(65536)
                    if not line:
                        return
                    verb = line.strip()[:4].upper()
                    if verb == b"EHLO":
                        self.wfile.write(b"250-drill-sink\r\n250 8BITMIME\r\n")
                    elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                        self.reply("250 OK")
                    elif verb == b"DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        chunks = []
                        while True:
                            data_line = self.rfile.readline(1 << 20)
                            if not data_line or data_line in (b".\r\n", b".\n"):
                                break
                            chunks.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                        message = email.message_from_bytes(b"".join(chunks), policy=email.policy.default)
                        with sink.lock:
                            sink.mails.append(
                                Mail(time.monotonic(), str(message["To"] or ""), str(message["Subject"] or ""))
                            )
                        self.reply("250 OK queued")
                    elif verb == b"QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)


# --- the shop's processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Processes:
    def __init__(self, env: dict, work_dir: Path):
        self.env, self.work_dir = env, work_dir
        self.running: dict[str, subprocess.Popen] = {}
        self.commands: dict[str, list[str]] = {}
        self.restarts: dict[str, int] = {}
        self._stopping = threading.Event()

    def supervise(self, names: list[str]) -> None:
        """Start again, as systemd's Restart=always does in production, any of `names` that exits."""

        def watch():
            while not self._stopping.wait(1.0):
                for name in names:
                    if self.running[name].poll() is not None and not self._stopping.is_set():
                        log(f"{name} exited (code {self.running[name].returncode}); starting it again")
                        self.restarts[name] = self.restarts.get(name, 0) + 1
                        self.start(name, self.commands[name])

        threading.Thread(target=watch, daemon=True).start()

    def start(self, name: str, command: list[str]) -> None:
        self.commands[name] = command
        output = open(self.work_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.running[name] = subprocess.Popen(
            command, cwd=BASE_DIR, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        output.close()

    def check_alive(self) -> list[str]:
        """The processes that are gone, with their exit codes."""
        return [
            f"{name} (exit code {process.returncode})"
            for name, process in self.running.items()
            if process.poll() is not None
        ]

    def stop_all(self) -> None:
        """SIGTERM each process group we started (by its id), then SIGKILL what is left after 20 s."""
        self._stopping.set()
        for process in self.running.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 20
        for name, process in self.running.items():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop: killing it")
            try:
                os.killpg(process.pid, signal.SIGKILL)  # stray children of the group, if any
            except ProcessLookupError:
                pass
            process.wait()


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


SEED = """
import json
from orders.models import BankAccount
from tests.factories import campaign_with_products
campaign = campaign_with_products(products=1, options={}, title="PO Drill", slug="po-drill")
item = campaign.items.get()
item.quota = 100000
item.save(update_fields=["quota"])
BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Drill")
print(json.dumps({"slug": campaign.slug, "item": item.pk}))
"""


# --- the buyers ----------------------------------------------------------------------------------------


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
    def phone(self) -> str:
        return f"0812{90_000_000 + self.number:08d}"

    @property
    def posts(self) -> list[Attempt]:
        return [attempt for attempt in self.attempts if attempt.method == "POST"]

    @property
    def ordered(self) -> bool:
        return any(ORDER_PAGE.search(attempt.location) for attempt in self.posts)


def failed(status: int) -> bool:
    return not 200 <= status < 400


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
        path = f"/po/{self.slug}/pesan/"
        form = {
            f"qty-{self.item_id}": str(buyer.quantity),
            "payment_plan": buyer.plan,
            "buyer_name": f"Pembeli Drill {buyer.number}",
            "phone": buyer.phone,
            "email": buyer.email,
            "province": "DI Yogyakarta",
            "city": "Kota Yogyakarta",
            "district": "Gondokusuman",
            "postal_code": "55223",
            "street": f"Jl. Kaliurang No. {buyer.number}, RT 03/RW 05",
            "terms_accepted": "on",
        }
        pauses = random.Random(buyer.number)
        token = None
        for try_ in range(2):
            if try_:
                time.sleep(pauses.uniform(1, 3))  # a moment, then "try again"
            if token is None:  # the form never came: load the page again
                attempt, content = self.request(buyer, opener, "GET", f"{path}?qty-{self.item_id}={buyer.quantity}")
                found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
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


def health_ok(base_url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(base_url + "/health/", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


# --- the drill -----------------------------------------------------------------------------------------


@dataclass
class Window:
    name: str
    start: float = 0.0
    end: float = 0.0

    def overlaps(self, attempt: Attempt) -> bool:
        return attempt.started <= self.end and attempt.finished >= self.start


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=60, help="buyers in each phase (default 60)")
    parser.add_argument("--redis-outage", type=float, default=30, help="seconds Redis stays down (default 30)")
    parser.add_argument(
        "--db-down", type=float, default=5, help="seconds PostgreSQL stays stopped (default 5; 0: a plain restart)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with the logs")
    return parser.parse_args()


def main() -> int:
    options = arguments()
    # A SIGTERM (timeout, kill) still runs the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(1))
    if os.geteuid() != 0:
        print("The drill stops and starts PostgreSQL and Redis: run it as root.", file=sys.stderr)
        return 2
    if not (pg_ready() and redis_ready()):
        print("PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) must both be running.", file=sys.stderr)
        return 2
    work_dir = Path(tempfile.mkdtemp(prefix="prapesan-drill-"))
    sink = SmtpSink()
    sink.start()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "preorder_shop.settings",
        "PRODUCTION": "false",
        "DEBUG": "true",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": REDIS_URL,
        "VAR_DIR": str(work_dir / "var"),
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "SITE_URL": base_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
        # As behind nginx: the client's address is the last X-Forwarded-For entry, one per buyer.
        "PROXY_COUNT": "1",
    }
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(name, None)
    processes = Processes(env, work_dir)
    code = 1
    try:
        code = drill(options, env, processes, sink, base_url, port, work_dir)
    except Exception as error:  # noqa: BLE001 - reported, then everything is put back
        log(f"drill aborted: {type(error).__name__}: {error}")
        options.keep = True  # the logs say why
        code = 1
    finally:
        log("cleaning up: stopping gunicorn, worker and beat, restoring Redis and PostgreSQL")
        processes.stop_all()
        services_restore()
        database_drop()
        subprocess.run(["redis-cli", "-n", str(REDIS_DB), "flushdb"], capture_output=True, check=False)
        sink.stop()
        if options.keep:
            log(f"logs kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
        log(f"PostgreSQL {'ready' if pg_ready() else 'DOWN'}, Redis {'ready' if redis_ready() else 'DOWN'}")
    return code


def drill(options, env, processes: Processes, sink: SmtpSink, base_url, port, work_dir: Path) -> int:
    clock_started = time.monotonic()
    log(f"fresh database {DATABASE}, Redis db {REDIS_DB}, SMTP sink on port {sink.port}, logs in {work_dir}")
    database_recreate()
    subprocess.run(["redis-cli", "-n", str(REDIS_DB), "flushdb"], capture_output=True, check=True)
    manage(env, "migrate", "--no-input", "-v", "0")
    seeded = json.loads(manage(env, "shell", "-c", SEED).strip().splitlines()[-1])

    processes.start(
        "gunicorn",
        [str(VENV_BIN / "gunicorn"), "preorder_shop.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--access-logfile", "-", "--access-logformat", '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(L)ss'],
    )  # fmt: skip
    processes.start(
        "worker",
        [str(VENV_BIN / "celery"), "-A", "preorder_shop", "worker", "--concurrency", "2", "--loglevel", "INFO"],
    )
    processes.start(
        "beat",
        [str(VENV_BIN / "celery"), "-A", "preorder_shop", "beat", "--loglevel", "INFO",
         "--schedule", str(work_dir / "beat")],
    )  # fmt: skip
    if not wait_until(lambda: health_ok(base_url), timeout=60, interval=0.5):
        raise RuntimeError(f"/health/ does not answer 200; see {work_dir}/gunicorn.log")
    time.sleep(3)  # the worker connects to the broker
    dead = processes.check_alive()
    if dead:
        raise RuntimeError(f"not running: {', '.join(dead)}; see the logs in {work_dir}")
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
        time.sleep(PHASE_A_LEAD)
        outage.start = time.monotonic() - epoch
        log(f"phase A: stopping Redis for {options.redis_outage:g} s")
        redis_stop()
        time.sleep(options.redis_outage)
        redis_start()
        outage.end = time.monotonic() - epoch
        log("phase A: Redis answers again")

    log(f"phase A: {len(phase_a)} buyers over {PHASE_A_LEAD + options.redis_outage + PHASE_A_TAIL:g} s")
    saboteur = threading.Thread(target=redis_outage)
    saboteur.start()
    fire(shop, phase_a, duration=PHASE_A_LEAD + options.redis_outage + PHASE_A_TAIL)
    saboteur.join()
    wait_until(lambda: health_ok(base_url), timeout=60, interval=1)

    # Phase B: PostgreSQL restarts once under steady checkouts.
    restart = Window("PostgreSQL down")
    phase_b = buyers_for("B", 1 + options.buyers)

    def database_restart():
        time.sleep(PHASE_B_RESTART_AT)
        restart.start = time.monotonic() - epoch
        log(f"phase B: restarting PostgreSQL ({options.db_down:g} s down)")
        pg_restart(options.db_down)
        restart.end = time.monotonic() - epoch
        log(f"phase B: PostgreSQL ready again after {restart.end - restart.start:.1f} s")

    log(f"phase B: {len(phase_b)} buyers over {PHASE_B_LENGTH:g} s")
    saboteur = threading.Thread(target=database_restart)
    saboteur.start()
    fire(shop, phase_b, duration=PHASE_B_LENGTH)
    saboteur.join()

    # The outbox drains: nothing pending or being sent.
    log(f"waiting (at most {DRAIN_TIMEOUT} s) for the outbox to drain")
    drain_started = time.monotonic()

    def drained() -> bool:
        if any(name.startswith("worker") for name in processes.check_alive()):
            return True  # nobody left to send: no use waiting
        try:
            return (
                database_query("SELECT count(*) FROM orders_message WHERE status IN ('pending', 'sending')")[0][0] == 0
            )
        except psycopg2.Error:
            return False

    wait_until(drained, timeout=DRAIN_TIMEOUT, interval=2)
    is_drained = not database_query("SELECT 1 FROM orders_message WHERE status IN ('pending', 'sending') LIMIT 1")
    drain_seconds = time.monotonic() - drain_started
    time.sleep(1)
    health.stopping.set()
    health.join(timeout=25)
    dead = processes.check_alive()

    return report(
        options=options,
        buyers=phase_a + phase_b,
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


# --- the report ----------------------------------------------------------------------------------------


def latency_line(attempts: list[Attempt]) -> str:
    if not attempts:
        return "-"
    times = sorted(attempt.finished - attempt.started for attempt in attempts)
    return f"median {statistics.median(times):.2f} s, max {times[-1]:.2f} s"


def waits(buyers: list[Buyer]) -> str:
    times = sorted(sum(a.finished - a.started for a in buyer.attempts) for buyer in buyers)
    return f"median {statistics.median(times):.2f} s, max {times[-1]:.2f} s" if times else "-"


def timeline(buyers: list[Buyer], windows: list[Window], step: float = 5.0) -> None:
    """POSTs by the time they were sent, in slices of `step` seconds."""
    posts = sorted((attempt for buyer in buyers for attempt in buyer.posts), key=lambda attempt: attempt.started)
    if not posts:
        return
    print(f"| t (s) | {'/'.join(w.name for w in windows)} | POSTs | to an order page | 5xx | no answer | POST time |")
    print("|---|---|--:|--:|--:|--:|---|")
    start = 0.0
    while start <= posts[-1].started:
        end = start + step
        chunk = [attempt for attempt in posts if start <= attempt.started < end]
        if chunk:
            marks = "/".join("yes" if w.start < end and w.end > start else "-" for w in windows)
            print(
                f"| {start:3.0f}-{end:3.0f} | {marks} | {len(chunk)} | "
                f"{sum(1 for a in chunk if ORDER_PAGE.search(a.location))} | "
                f"{sum(1 for a in chunk if a.status >= 500)} | {sum(1 for a in chunk if a.status == 0)} | "
                f"{latency_line(chunk)} |"
            )
        start = end


def report(
    *,
    options,
    buyers,
    outage,
    restart,
    mails,
    health,
    drained,
    drain_seconds,
    dead,
    work_dir,
    total_seconds,
    processes_restarted="",
):
    (work_dir / "attempts.json").write_text(
        json.dumps([{**vars(buyer), "attempts": [vars(a) for a in buyer.attempts]} for buyer in buyers], indent=1)
    )
    orders = database_query("SELECT id, number, email, created_at FROM orders_order ORDER BY id")
    messages = dict(
        database_query("SELECT status, count(*) FROM orders_message WHERE kind = 'order_placed' GROUP BY status")
    )
    stuck = database_query(
        "SELECT key, status, attempts, last_error FROM orders_message WHERE status <> 'sent' ORDER BY id LIMIT 10"
    )
    per_email = collections.Counter(email_ for _id, _number, email_, _at in orders)
    duplicates = {email_: count for email_, count in per_email.items() if count > 1}

    received = collections.Counter()
    wrong_address = 0
    by_number = {number: email_ for _id, number, email_, _at in orders}
    for mail in mails:
        found = ORDER_NUMBER.search(mail.subject)
        if not found:
            continue
        received[found.group(0)] += 1
        if by_number.get(found.group(0)) not in mail.to:
            wrong_address += 1
    once = sum(1 for number in by_number if received[number] == 1)
    missing = sorted(number for number in by_number if received[number] == 0)
    doubled = sorted(number for number in by_number if received[number] > 1)

    print()
    print(f"Drill: {options.buyers} buyers per phase, Redis down {options.redis_outage:g} s, "
          f"PostgreSQL stopped {options.db_down:g} s and started "
          f"({restart.end - restart.start:.1f} s until it answered); {total_seconds:.0f} s in all")  # fmt: skip
    print()
    print(
        "| phase | buyers | checkout POSTs | 2xx/3xx | to an order page | 4xx | 5xx | no answer | retried | POST time "
        "| buyer's wait (all requests) |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|")
    failures_a = 0
    for phase, label, window in (("A", "A: Redis down", outage), ("B", "B: PostgreSQL restart", restart)):
        group = [buyer for buyer in buyers if buyer.phase == phase]
        attempts = [attempt for buyer in group for attempt in buyer.attempts]
        posts = [attempt for buyer in group for attempt in buyer.posts]
        answered = sum(1 for attempt in posts if not failed(attempt.status))
        to_order = sum(1 for attempt in posts if ORDER_PAGE.search(attempt.location))
        four = [attempt for attempt in attempts if 400 <= attempt.status < 500]
        five = [attempt for attempt in attempts if attempt.status >= 500]
        none = [attempt for attempt in attempts if attempt.status == 0]
        retried = sum(1 for buyer in group if len(buyer.attempts) - len(buyer.posts) > 1 or len(buyer.posts) > 1)
        during = [attempt for attempt in posts if window.overlaps(attempt)]
        if phase == "A":
            failures_a = len(five) + len(none)
        print(f"| {label} | {len(group)} | {len(posts)} | {answered} | {to_order} | {len(four)} | {len(five)} "
              f"({sum(1 for a in five if window.overlaps(a))} during) | {len(none)} "
              f"({sum(1 for a in none if window.overlaps(a))} during) | {retried} | "
              f"{latency_line(posts)}; during: {latency_line(during)} | {waits(group)} |")  # fmt: skip
    no_order = [buyer.number for buyer in buyers if not buyer.ordered]
    statuses = collections.Counter(attempt.status for buyer in buyers for attempt in buyer.attempts)
    print()
    timeline(buyers, [outage, restart])
    print()
    print(f"HTTP answers (all requests, GET and POST): {dict(sorted(statuses.items()))}")
    errors = collections.Counter(attempt.error for buyer in buyers for attempt in buyer.attempts if attempt.error)
    if errors:
        print(f"No answer: {dict(errors)}")
    print(f"Buyers who never reached an order page: {len(no_order)}")
    print()
    print(f"Orders in the database: {len(orders)} (buyers: {len(buyers)})")
    print(f"Duplicate orders (same e-mail, more than one order): {sum(duplicates.values()) - len(duplicates)} "
          f"extra, {len(duplicates)} buyers{': ' + ', '.join(sorted(duplicates)) if duplicates else ''}")  # fmt: skip
    print()
    print(f"'How to pay' messages (order_placed rows): {sum(messages.values())}: "
          f"sent {messages.get('sent', 0)}, pending {messages.get('pending', 0)}, "
          f"sending {messages.get('sending', 0)}, failed {messages.get('failed', 0)}")  # fmt: skip
    waiting = messages.get("pending", 0) + messages.get("sending", 0)
    print(
        f"Outbox drained {drain_seconds:.0f} s after the last checkout"
        if drained
        else f"Outbox NOT drained: {waiting} 'how to pay' messages still waiting {drain_seconds:.0f} s after the last checkout"
    )
    for key, status, attempts, error in stuck:
        print(f"  not sent: {key} {status} attempts={attempts} {error[:160]}")
    print(f"E-mails received by the SMTP sink: {len(mails)}; per order: sent once {once}, "
          f"missing {len(missing)}, doubled {len(doubled)}")  # fmt: skip
    if missing:
        print(f"  missing: {', '.join(missing[:20])}")
    if doubled:
        print(f"  doubled: {', '.join(f'{n} x{received[n]}' for n in doubled[:20])}")
    if wrong_address:
        print(f"  e-mails to another address than the order's: {wrong_address}")
    if health:
        print()
        print("/health/ as a monitor saw it:")
        previous = None
        for at, status, body in health:
            state = (status, body.get("database"), body.get("broker"))
            if state != previous:
                print(f"  t={at:6.1f} s  {status}  database={body.get('database', '-')} "
                      f"broker={body.get('broker', '-')} waiting={body.get('messages_waiting', '-')}")  # fmt: skip
                previous = state
    print()
    print(f"Redis down from t={outage.start:.1f} s to t={outage.end:.1f} s; "
          f"PostgreSQL restarting from t={restart.start:.1f} s to t={restart.end:.1f} s")  # fmt: skip
    if dead:
        print(f"Processes that died: {', '.join(dead)}")
    if processes_restarted:
        print(f"Restarted by the supervisor (as systemd would): {processes_restarted}")

    problems = []
    if missing:
        problems.append(f"{len(missing)} orders without their e-mail")
    if doubled:
        problems.append(f"{len(doubled)} orders with their e-mail more than once")
    if duplicates:
        problems.append(f"{len(duplicates)} buyers with duplicate orders")
    if failures_a:
        problems.append(f"{failures_a} failed requests (5xx or no answer) in phase A")
    if dead:
        problems.append(f"{', '.join(dead)} died")
    print()
    print("RESULT:", "PASS" if not problems else "FAIL: " + "; ".join(problems))
    if problems and not options.keep:
        print("(run with --keep to keep the logs and the 5xx pages)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
