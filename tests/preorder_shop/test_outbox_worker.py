"""The outbox with a real Celery worker on the configured broker (the embedded
filesystem broker by default, Redis when REDIS_URL is set)."""

import time
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_retry
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from campaigns.models import CampaignItem
from orders.models import Message, Order
from orders.outbox import RENDERERS, message_queue
from orders.tasks import message_deliver_task, messages_deliver_due_task
from preorder_shop.celery import app
from tests.factories import campaign_with_products, checkout_form, place_order

pytestmark = [pytest.mark.live_worker, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000, quota=10)
    return campaign


def _worker():
    return start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING")


def test_orders_placed_while_the_broker_is_down_get_one_message_each_once_it_is_back(client, campaign):
    small = campaign.items.order_by("position").first()
    mail.outbox.clear()
    with mock.patch.object(messages_deliver_due_task, "apply_async", side_effect=BrokerDown("connection refused")):
        response = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(small, 1)]))
    assert response.status_code == 302
    order = Order.objects.get()
    assert Message.objects.get(order=order).status == Message.Status.PENDING

    with _worker():
        # What beat sends every minute; run twice, as a late beat would.
        messages_deliver_due_task.delay()
        messages_deliver_due_task.delay()
        assert _wait_for(lambda: Message.objects.get(order=order).status == Message.Status.SENT)
        time.sleep(1)
    assert [m.subject for m in mail.outbox if order.number in m.subject] == [mail.outbox[0].subject]
    assert len(mail.outbox) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="drops a PostgreSQL connection")
def test_a_database_connection_dropped_under_a_job_is_retried_and_the_message_sent_once(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    first = message_queue(kind="order_link", key="during-restart", order=order, now=timezone.now())
    mail.outbox.clear()
    retries = []

    def record_retry(sender=None, reason=None, **kwargs):
        retries.append(repr(reason))

    task_retry.connect(record_retry, weak=False)
    original = RENDERERS["order_link"]
    dropped = []

    def render_after_a_restart(message):
        if not dropped:
            dropped.append(True)
            # The database restarts under the job: this job's own connection is cut.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return original(message)

    with mock.patch.dict(RENDERERS, {"order_link": render_after_a_restart}), _worker():
        message_deliver_task.delay(first.pk)
        assert _wait_for(lambda: Message.objects.get(pk=first.pk).status == Message.Status.SENT, seconds=60)
        # The order's "how to pay" goes with the sweep its checkout nudged, which starts a second after the
        # nudge at the earliest: the worker keeps running until it has (the link may have been quicker).
        assert _wait_for(lambda: Message.objects.filter(order=order, status=Message.Status.SENT).count() == 2)
    task_retry.disconnect(record_retry)
    assert dropped and retries
    assert "OperationalError" in retries[0] or "InterfaceError" in retries[0]
    # One e-mail per message: the order's "how to pay" and the link sent through the restart.
    assert len(mail.outbox) == 2


def test_orders_placed_together_get_their_messages_from_one_nudged_sweep_a_moment_later(client, campaign):
    from celery.signals import task_prerun

    small = campaign.items.order_by("position").first()
    mail.outbox.clear()
    sweeps = []

    def count_sweeps(sender=None, **kwargs):
        if getattr(sender, "name", "") == messages_deliver_due_task.name:
            sweeps.append(kwargs.get("kwargs"))

    task_prerun.connect(count_sweeps, weak=False)
    with _worker():
        for number in range(3):
            form = checkout_form([(small, 1)], phone=f"08123456700{number}", email=f"serentak{number}@example.com")
            assert client.post(reverse("orders:checkout", args=[campaign.slug]), form).status_code == 302
        orders = list(Order.objects.all())
        assert _wait_for(
            lambda: Message.objects.filter(order__in=orders, status=Message.Status.SENT).count() == 3, seconds=30
        )
        time.sleep(1.5)  # no second e-mail follows
    task_prerun.disconnect(count_sweeps)
    assert 1 <= len(sweeps) < 3 and all(kwargs == {"nudged": True} for kwargs in sweeps)  # not one task per order
    assert sorted(message.to[0] for message in mail.outbox) == [f"serentak{number}@example.com" for number in range(3)]
    assert all(any(order.number in message.subject for order in orders) for message in mail.outbox)
