import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **environment):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "DEBUG",
            "PRODUCTION",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "DATABASE_URL",
            "REDIS_URL",
            "EMAIL_URL",
        }
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", PRODUCTION="true")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_fall_back_to_development_services():
    result = _manage("check", PRODUCTION="true", SECRET_KEY="k3y-" + "abcdefghij" * 6, ALLOWED_HOSTS="toko.example.id")
    assert result.returncode != 0
    assert "DATABASE_URL, REDIS_URL, EMAIL_URL" in result.stderr


def test_production_passes_the_deployment_checklist_without_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PRODUCTION="true",
        SECRET_KEY="k" * 20 + "-a-long-and-random-production-secret-0123456789",
        ALLOWED_HOSTS="toko.example.id",
        DATABASE_URL="sqlite:////tmp/prapesan-check.sqlite3",
        REDIS_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="smtp+tls://user:secret@smtp.example.id:587",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_would_fail_the_deployment_checklist():
    # The check above means something: without production mode it does warn.
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0


def test_production_refuses_a_short_or_published_secret_key():
    services = {
        "ALLOWED_HOSTS": "toko.example.id",
        "DATABASE_URL": "postgres://u@127.0.0.1/x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "EMAIL_URL": "consolemail://",
    }
    for weak in ("x", "development-only-key-not-for-production", "a" * 60):
        result = _manage("check", PRODUCTION="true", SECRET_KEY=weak, **services)
        assert result.returncode != 0
        assert "long random SECRET_KEY" in result.stderr


def test_links_made_outside_a_request_follow_shop_address_without_site_url():
    code = "from django.conf import settings; print(settings.SITE_URL)"
    result = _manage("shell", "-c", code, SHOP_ADDRESS="127.0.0.1:8765")
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8765"
