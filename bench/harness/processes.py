"""The shop as deployed, started by a bench run: gunicorn, the Celery worker and beat, nginx in front.

Every process starts in a process group of its own, so that the run stops exactly what it started.
"""

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench.harness import BASE_DIR, VENV_BIN
from bench.harness.services import Database, log, redis_flush, redis_url, services_restore, wait_until

PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")

# The front as deployed (deploy/nginx/prapesan.conf, with its two snippets included as they are): the pages the
# shop marks as the same for everyone are kept a moment, and the checkout has a gunicorn pool of its own.
NGINX_CONF = """
worker_processes 1;
{user}
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    proxy_cache_path {work}/nginx-cache keys_zone=prapesan_pages:10m max_size=100m inactive=10m;
    client_max_body_size 6m;
    upstream prapesan_pages {{ server 127.0.0.1:{pages_port}; }}
    upstream prapesan_checkout {{ server 127.0.0.1:{checkout_port}; }}
    server {{
        listen 127.0.0.1:{port};
        location ~ ^/po/[^/]+/pesan/$ {{
            include {deploy}/proxy-headers.conf;
            proxy_pass http://prapesan_checkout;
        }}
        location / {{
            include {deploy}/proxy-headers.conf;
            include {deploy}/pages-cache.conf;
            proxy_pass http://prapesan_pages;
        }}
    }}
}}
"""
DEPLOY_NGINX = BASE_DIR / "deploy" / "nginx"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def seed(env: dict, call: str) -> dict:
    """Runs `bench.harness.shop.<call>` in `manage.py shell` (Django set up there): what it returned."""
    code = f"import json\nfrom bench.harness import shop\nprint(json.dumps(shop.{call}))"
    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def gunicorn_command(*, port: int, workers: int, worker_class: str = "sync", threads: int = 1) -> list[str]:
    command = [str(VENV_BIN / "gunicorn"), "preorder_shop.wsgi", "--worker-class", worker_class]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]  # (sync with --threads > 1 would become gthread)
    return [*command, "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]


def celery_command(*args: str) -> list[str]:
    return [str(VENV_BIN / "celery"), "-A", "preorder_shop", *args]


def niced(nice: int, command: list[str]) -> list[str]:
    return ["nice", "-n", str(nice), *command]


def nginx_path() -> str | None:
    return shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")


def nginx_command(*, work_dir: Path, port: int, pages_port: int, checkout_port: int) -> list[str]:
    """Writes the front's configuration into `work_dir`; the command that runs nginx on it."""
    conf = work_dir / "nginx.conf"
    # As root, nginx's workers would drop to "nobody", who may not write in this run's private folder.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    conf.write_text(
        NGINX_CONF.format(
            work=work_dir, port=port, pages_port=pages_port, checkout_port=checkout_port, deploy=DEPLOY_NGINX,
            user=user,
        )
    )  # fmt: skip
    return [nginx_path(), "-p", str(work_dir), "-e", str(work_dir / "nginx-error.log"), "-c", str(conf)]


def health_ok(base_url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(base_url + "/health/", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Processes:
    """The shop's processes of a run: their environment, the run's folder (with their logs), the shop's address,
    the run's database and Redis db."""

    def __init__(self, name: str, env: dict, work_dir: Path, port: int, database: Database, redis_db: int):
        self.name, self.env, self.work_dir, self.port = name, env, work_dir, port
        self.base_url = f"http://127.0.0.1:{port}"
        self.database, self.redis_db = database, redis_db
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

    def wait_up(self, *, settle: float = 0.0) -> None:
        """Until /health/ answers 200, then `settle` seconds; raises if it never does or a process died."""
        if not wait_until(lambda: health_ok(self.base_url), timeout=60, interval=0.5):
            raise RuntimeError(f"/health/ does not answer 200; see {self.work_dir}/gunicorn.log")
        time.sleep(settle)
        dead = self.check_alive()
        if dead:
            raise RuntimeError(f"not running: {', '.join(dead)}; see the logs in {self.work_dir}")

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


def shop_processes(name: str, *, database: Database, redis_db: int, settings: dict[str, str]) -> Processes:
    """A run's folder and port, and its shop's processes-to-be.

    Their environment: this run's database, Redis db and folder, no proxy, and `settings`.
    """
    work_dir = Path(tempfile.mkdtemp(prefix=f"prapesan-{name}-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "preorder_shop.settings",
        "PRODUCTION": "false",
        "DATABASE_URL": database.url,
        "REDIS_URL": redis_url(redis_db),
        "VAR_DIR": str(work_dir / "var"),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    for variable in PROXY_VARIABLES:
        env.pop(variable, None)
    return Processes(name, env, work_dir, port, database, redis_db)


def run_cleaning_up(
    body: Callable[[], int], processes: Processes, options, *, failed_code: int, says: str, restore: bool = False
) -> int:
    """`body()`'s exit code, or `failed_code` when it raised (said, and the logs kept: they say why).

    Whatever happens, the shop's processes are stopped, PostgreSQL and Redis started again if they are down
    (`restore`), the run's database dropped and its Redis db flushed, and the run's folder removed unless
    `options.keep`. `says` tells what the clean-up does.
    """
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(1))  # a timeout or a kill still cleans up
    code = failed_code
    try:
        code = body()
    except Exception as error:  # noqa: BLE001 - reported, then everything is cleaned up
        log(f"{processes.name} aborted: {type(error).__name__}: {error}")
        options.keep = True
    except KeyboardInterrupt:
        log("interrupted")
    finally:
        log(f"cleaning up: {says}")
        processes.stop_all()
        if restore:
            services_restore()
        processes.database.drop()
        redis_flush(processes.redis_db)
        if options.keep:
            log(f"logs kept in {processes.work_dir}")
        else:
            shutil.rmtree(processes.work_dir, ignore_errors=True)
    return code
