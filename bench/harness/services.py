"""PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379): up, down, a throw-away database."""

import os
import subprocess
import sys
import time

import psycopg2
import redis

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def wait_until(check, *, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def pg_cluster_command(action: str) -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]


def pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0


def redis_ready() -> bool:
    result = subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True, check=False)
    return result.stdout.strip() == "PONG"


def services_missing() -> bool:
    """True, having said so, when PostgreSQL or Redis does not answer."""
    if pg_ready() and redis_ready():
        return False
    print("PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) must both be running.", file=sys.stderr)
    return True


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True, check=False)
    wait_until(lambda: not redis_ready(), timeout=10)


def redis_start() -> None:
    subprocess.run(REDIS_START, capture_output=True, check=False)
    if not wait_until(redis_ready, timeout=30):
        raise RuntimeError("Redis does not answer after starting it")


def pg_restart(down_seconds: float) -> None:
    """Stopped for `down_seconds`, then started; 0: `pg_ctlcluster restart`, down for a fraction of a second."""
    if down_seconds > 0:
        subprocess.run(pg_cluster_command("stop"), capture_output=True, check=False)
        time.sleep(down_seconds)
        subprocess.run(pg_cluster_command("start"), capture_output=True, check=False)
    else:
        subprocess.run(pg_cluster_command("restart"), capture_output=True, check=False)
    if not wait_until(pg_ready, timeout=60):
        raise RuntimeError("PostgreSQL does not answer after restarting it")


def services_restore() -> None:
    """Both services up again, whatever state a drill left them in."""
    for name, ready, start, timeout in (
        ("Redis", redis_ready, REDIS_START, 30),
        ("PostgreSQL", pg_ready, pg_cluster_command("start"), 60),
    ):
        if not ready():
            log(f"{name} is down: starting it")
            subprocess.run(start, capture_output=True, check=False)
            if not wait_until(ready, timeout=timeout):
                log(f"WARNING: {name} still does not answer")


def services_state() -> str:
    return f"PostgreSQL {'ready' if pg_ready() else 'DOWN'}, Redis {'ready' if redis_ready() else 'DOWN'}"


class Database:
    """A throw-away PostgreSQL database of the run's own, reached as the superuser."""

    def __init__(self, name: str):
        self.name = name
        self.url = f"postgres://postgres@127.0.0.1:5432/{name}"

    def _admin(self, *statements: str) -> None:
        connection = psycopg2.connect(PG_ADMIN_DSN, connect_timeout=10)
        connection.autocommit = True
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        connection.close()

    def recreate(self) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)", f"CREATE DATABASE {self.name}")

    def drop(self) -> None:
        try:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        except psycopg2.Error as error:
            log(f"WARNING: could not drop {self.name}: {error}")

    def query(self, sql: str, params=()) -> list[tuple]:
        connection = psycopg2.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={self.name}", connect_timeout=10)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()


def redis_url(db: int) -> str:
    return f"redis://127.0.0.1:6379/{db}"


def redis_flush(db: int) -> bool:
    try:
        redis.Redis.from_url(redis_url(db), socket_timeout=10).flushdb()
    except redis.RedisError as error:
        log(f"WARNING: could not flush Redis db {db}: {error}")
        return False
    return True


def versions(database: Database, redis_db: int) -> str:
    """The servers' versions and Python's, or "" when one does not answer."""
    try:
        ((pg,),) = database.query("SHOW server_version")
        info = redis.Redis.from_url(redis_url(redis_db), socket_timeout=5).info("server")
    except (psycopg2.Error, redis.RedisError):
        return ""
    return f"PostgreSQL {pg.split()[0]}, Redis {info.get('redis_version')}, Python {sys.version.split()[0]}"
