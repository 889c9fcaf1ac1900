"""Reachability of what the shop depends on, for operators and their monitors."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from orders.outbox import outbox_backlog

from .celery import app as celery_app


def _database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_reachable() -> bool:
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@never_cache
@require_safe
def health(request):
    checks = {
        "database": "ok" if _database_reachable() else "unreachable",
        "broker": "ok" if _broker_reachable() else "unreachable",
    }
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "error", **checks}
    if checks["database"] == "ok":
        # Messages held back (broker or mail down) show here before any buyer complains.
        backlog = outbox_backlog()
        body["messages_waiting"] = backlog["waiting"]
        body["messages_failed"] = backlog["failed"]
        body["oldest_message_waiting_seconds"] = (
            int(backlog["oldest_age"].total_seconds()) if backlog["oldest_age"] else 0
        )
    return JsonResponse(body, status=200 if healthy else 503)
