import logging

import pytest
from django.urls import reverse

from preorder_shop.celery import app
from preorder_shop.log_filters import RedactOrderTokens

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_broker(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "messages_waiting": 0,
        "messages_failed": 0,
        "oldest_message_waiting_seconds": 0,
    }


def test_health_reports_an_unreachable_broker_with_503(client, settings):
    original = app.conf.broker_url, app.conf.broker_transport
    app.conf.broker_url, app.conf.broker_transport = "redis://127.0.0.1:1/0", None  # nothing listens on port 1
    try:
        response = client.get(reverse("health"))
    finally:
        app.conf.broker_url, app.conf.broker_transport = original
    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"
    assert response.json()["database"] == "ok"


def test_private_order_links_are_kept_out_of_logs():
    token = "Zq3k9VdLr2Xw8YtB1nM4pQs7uHc0aFgE5jKo6iTlR-_"
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (f"/pesanan/{token}/bukti/3/",), None
    )
    RedactOrderTokens().filter(record)
    assert token not in record.getMessage()
    assert record.getMessage() == "Not Found: /pesanan/<token>/bukti/3/"


def test_stop_links_of_ingatkan_saya_are_kept_out_of_logs():
    token = "Zq3k9VdLr2Xw8YtB1nM4pQs7uHc0aFgE5jKo6iTlR-_"
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Forbidden: %s", (f"/ingatkan/{token}/berhenti/",), None
    )
    RedactOrderTokens().filter(record)
    assert token not in record.getMessage()
    assert record.getMessage() == "Forbidden: /ingatkan/<token>/berhenti/"
