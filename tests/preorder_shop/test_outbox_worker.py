"""The outbox with a real Celery worker on the configured broker (the embedded
filesystem broker by default, Redis when REDIS_URL is set)."""

from unittest import mock

import pytest
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
from tests.factories import campaign_with_products, checkout_form, place_order
from tests.helpers import live_worker, tasks_run, wait_until

pytestmark = [pytest.mark.live_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000, quota=10)
    return campaign


def _sweeps(runs):
    """The sweeps that ran to their end, as (the task's kwargs, how many messages each sent)."""
    return [
        (run.kwargs, run.retval)
        for run in runs
        if run.name == messages_deliver_due_task.name and run.state == "SUCCESS"
    ]


def test_orders_placed_while_the_broker_is_down_get_one_message_each_once_it_is_back(client, campaign):
    small = campaign.items.order_by("position").first()
    mail.outbox.clear()
    with mock.patch.object(messages_deliver_due_task, "apply_async", side_effect=BrokerDown("connection refused")):
        response = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(small, 1)]))
    assert response.status_code == 302
    order = Order.objects.get()
    assert Message.objects.get(order=order).status == Message.Status.PENDING

    with tasks_run() as runs, live_worker():
        # What beat sends every minute; run twice, as a late beat would.
        messages_deliver_due_task.delay()
        messages_deliver_due_task.delay()
        # Both sweeps have ended: nothing else is queued that could send the message again.
        wait_until(lambda: len(_sweeps(runs)) == 2, message="both sweeps ran")
    assert sorted(sent for _kwargs, sent in _sweeps(runs)) == [0, 1]  # the second found nothing left to send
    message = Message.objects.get(order=order)
    assert (message.status, message.attempts) == (Message.Status.SENT, 1)
    assert [(sent.to, order.number in sent.subject) for sent in mail.outbox] == [([order.email], True)]


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

    try:
        with mock.patch.dict(RENDERERS, {"order_link": render_after_a_restart}), live_worker():
            message_deliver_task.delay(first.pk)
            wait_until(
                lambda: Message.objects.get(pk=first.pk).status == Message.Status.SENT,
                timeout=60,
                message="the link is sent after the retry",
            )
            # The order's "how to pay" goes with the sweep its checkout nudged, which starts a second after the
            # nudge at the earliest: the worker keeps running until it has (the link may have been quicker).
            wait_until(
                lambda: Message.objects.filter(order=order, status=Message.Status.SENT).count() == 2,
                message="the order's how-to-pay message is sent too",
            )
    finally:
        task_retry.disconnect(record_retry)
    assert dropped and retries
    assert "OperationalError" in retries[0] or "InterfaceError" in retries[0]
    # One e-mail per message: the order's "how to pay" and the link sent through the restart.
    messages = Message.objects.filter(order=order)
    assert sorted(sent.subject for sent in mail.outbox) == sorted(message.subject for message in messages)
    assert [message.attempts for message in messages] == [1, 1]  # the attempt the restart cut short sent nothing


def test_orders_placed_together_get_their_messages_from_one_nudged_sweep_a_moment_later(client, campaign):
    small = campaign.items.order_by("position").first()
    mail.outbox.clear()
    # The orders go in before the worker starts, so that its sweep cannot start between two of them: what
    # is counted is what the checkouts queued, not how fast this machine is.
    queue = messages_deliver_due_task.apply_async
    with mock.patch.object(messages_deliver_due_task, "apply_async", wraps=queue) as queued:
        for number in range(3):
            form = checkout_form([(small, 1)], phone=f"08123456700{number}", email=f"serentak{number}@example.com")
            assert client.post(reverse("orders:checkout", args=[campaign.slug]), form).status_code == 302
    assert queued.call_count == 1 and queued.call_args.kwargs["kwargs"] == {"nudged": True}  # not one per order
    orders = list(Order.objects.order_by("pk"))
    assert len(orders) == 3

    with tasks_run() as runs, live_worker():
        # The one sweep queued has ended: nothing else is queued that could send a second e-mail.
        sweeps = wait_until(lambda: _sweeps(runs), message="the nudged sweep ran")
    assert sweeps == [({"nudged": True}, 3)]
    assert Message.objects.filter(order__in=orders).count() == 3
    messages = {message.order_id: message for message in Message.objects.filter(order__in=orders)}
    assert [
        (messages[order.pk].status, messages[order.pk].attempts, order.number in messages[order.pk].subject)
        for order in orders
    ] == [(Message.Status.SENT, 1, True)] * 3
    assert sorted((sent.to, sent.subject) for sent in mail.outbox) == sorted(
        ([order.email], messages[order.pk].subject) for order in orders
    )
