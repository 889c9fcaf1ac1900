"""Messages go through the outbox: written with the change, once per key, delivered once,
retried on transient errors, never lost when the broker is down."""

import datetime
import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as BrokerDown

import orders.outbox
import preorder_shop.client
from campaigns.models import CampaignItem
from orders.models import BankAccount, Message, Order
from orders.outbox import (
    MAX_ATTEMPTS,
    RENDERERS,
    message_deliver,
    message_queue,
    message_retry,
    messages_deliver_due,
)
from orders.tasks import messages_deliver_due_task
from payments.models import Payment
from tests.factories import campaign_with_products, checkout_form, place_order
from tests.payments.conftest import submit_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Batik Sekar")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000, quota=10)
    return campaign


def broker_down():
    """What kombu raises when Redis (or any broker) cannot be reached."""
    return mock.patch.object(
        messages_deliver_due_task, "apply_async", side_effect=BrokerDown("Error 111 connecting to 127.0.0.1:6379.")
    )


def test_with_the_broker_down_checkout_shows_the_order_and_the_sweep_sends_one_how_to_pay_message(
    client, campaign, django_capture_on_commit_callbacks
):
    small = campaign.items.order_by("position").first()
    mail.outbox.clear()
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(small, 1)]))
    assert response.status_code == 302
    order = Order.objects.get()
    assert response.url.startswith(order.get_absolute_url())  # the thank-you page of this order
    assert client.get(response.url).status_code == 200
    message = Message.objects.get(order=order)
    assert (message.kind, message.status) == ("order_placed", Message.Status.PENDING)
    assert mail.outbox == []

    # The broker is back; beat's sweep delivers what waited, once however often it runs.
    assert messages_deliver_due(now=timezone.now()) == 1
    assert messages_deliver_due(now=timezone.now()) == 0
    assert len(mail.outbox) == 1
    assert order.number in mail.outbox[0].subject and "BCA" in mail.outbox[0].body
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


def test_the_same_occasion_writes_one_message_and_delivering_it_twice_sends_once(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    again = message_queue(kind="order_placed", key=f"order:{order.pk}:placed", order=order, now=timezone.now())
    assert Message.objects.filter(order=order).count() == 1
    mail.outbox.clear()
    assert message_deliver(message_id=again.pk, now=timezone.now()) == "sent"
    assert message_deliver(message_id=again.pk, now=timezone.now()) == "skipped"
    assert len(mail.outbox) == 1


def test_a_message_is_written_in_the_buyers_language(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    Order.objects.filter(pk=order.pk).update(language="en")
    order.refresh_from_db()
    message = message_queue(kind="order_link", key="link-en", order=order, now=timezone.now())
    mail.outbox.clear()
    message_deliver(message_id=message.pk, now=timezone.now())
    english = mail.outbox[0].body
    message = Message.objects.get(order=order, kind="order_placed")
    message_deliver(message_id=message.pk, now=timezone.now())
    assert english != mail.outbox[1].body
    assert "pesanan" in mail.outbox[1].body.lower() and "order" in english.lower()


def test_smtp_down_is_retried_with_backoff_then_shown_as_failed_and_retried_by_the_seller(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    message = Message.objects.get(order=order)
    now = timezone.now()
    with mock.patch("orders.outbox.send_mail", side_effect=smtplib.SMTPServerDisconnected("down")):
        assert message_deliver(message_id=message.pk, now=now) == "retry"
        message.refresh_from_db()
        assert message.status == Message.Status.PENDING and message.attempts == 1
        assert message.next_attempt_at == now + datetime.timedelta(minutes=1)
        assert "SMTPServerDisconnected" in message.last_error
        assert message_deliver(message_id=message.pk, now=now) == "skipped"  # not due yet
        results = []
        for _attempt in range(2, MAX_ATTEMPTS + 1):
            later = Message.objects.get(pk=message.pk).next_attempt_at
            results.append(message_deliver(message_id=message.pk, now=later))
    assert results[-1] == "failed" and set(results[:-1]) == {"retry"}
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.attempts == MAX_ATTEMPTS
    mail.outbox.clear()
    assert messages_deliver_due(now=timezone.now() + datetime.timedelta(days=1)) == 0  # failed ones wait for the seller

    assert message_retry(message=message, now=timezone.now()) is True
    assert message_deliver(message_id=message.pk, now=timezone.now()) == "sent"
    assert len(mail.outbox) == 1
    assert message_retry(message=message, now=timezone.now()) is False


def test_a_worker_killed_while_sending_leaves_a_claim_that_the_sweep_frees(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    message = Message.objects.get(order=order)
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING, claimed_at=now)
    mail.outbox.clear()
    assert messages_deliver_due(now=now + datetime.timedelta(minutes=1)) == 0
    assert messages_deliver_due(now=now + datetime.timedelta(minutes=7)) == 1
    assert len(mail.outbox) == 1


def test_the_seller_confirming_a_payment_with_the_broker_down_succeeds_and_the_buyer_hears_later(
    seller_client, campaign, django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    order = place_order(campaign, [(campaign.items.first(), 1)])
    payment = submit_transfer(order, order.first_transfer_idr)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = seller_client.post(
            reverse("admin:payments_payment_changelist"),
            {"action": "confirm_payments", "_selected_action": [payment.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.CONFIRMED
    received = Message.objects.get(order=order, kind="payment_received")
    assert received.status == Message.Status.PENDING
    mail.outbox.clear()
    messages_deliver_due(now=timezone.now())
    to_buyer = [message.to for message in mail.outbox if message.to != ["penjual@example.com"]]
    assert to_buyer == [["siti@example.com"], ["siti@example.com"]]  # how to pay, then payment received
    assert sum(message.to == ["penjual@example.com"] for message in mail.outbox) == 1  # the proof to check


def test_the_lookup_with_the_broker_down_answers_as_usual(client, campaign, django_capture_on_commit_callbacks):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("orders:lookup"), {"number": order.number, "contact": "siti@example.com"}, follow=True
        )
    assert response.status_code == 200
    assert Message.objects.filter(order=order, kind="order_link").count() == 1


def test_the_message_list_shows_the_backlog_and_opens_a_whatsapp_text_marked_sent_once(seller_client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    message = Message.objects.get(order=order)
    page = seller_client.get(reverse("admin:orders_message_changelist"))
    assert page.status_code == 200
    assert page.context["backlog"]["waiting"] == 1
    with translation.override("id"):
        waiting = translation.ngettext(
            "%(count)s message waits to be sent; the oldest was written %(age)s ago.",
            "%(count)s messages wait to be sent; the oldest was written %(age)s ago.",
            1,
        ).split("%(age)s")[0] % {"count": 1}
    assert waiting in page.content.decode()

    whatsapp = seller_client.get(reverse("admin:orders_message_whatsapp", args=[message.pk]))
    assert whatsapp.status_code == 200 and order.number in whatsapp.content.decode()
    opened = seller_client.post(reverse("admin:orders_message_whatsapp", args=[message.pk]))
    assert opened.status_code == 302 and opened.url.startswith("https://wa.me/6281234567890?text=")
    assert Message.objects.get(pk=message.pk).whatsapp_sent_at is not None
    twice = seller_client.post(reverse("admin:orders_message_whatsapp", args=[message.pk]))
    assert twice.url == reverse("admin:orders_message_changelist")


def test_after_one_failed_nudge_the_process_leaves_the_broker_alone_for_a_while(campaign, monkeypatch):
    calls = []

    def down(*args, **kwargs):
        calls.append(args)
        raise BrokerDown("Error 111")

    monkeypatch.setattr(messages_deliver_due_task, "apply_async", down)
    for _ in range(3):
        orders.outbox.outbox_nudge()
    assert len(calls) == 1  # one slow request at most, not every checkout
    monkeypatch.setattr(orders.outbox, "_broker_down_until", 0.0)
    orders.outbox.outbox_nudge()
    assert len(calls) == 2


def test_a_sweep_retried_after_a_database_error_takes_its_own_claims_again(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    message = Message.objects.get(order=order)
    # The first run of sweep "abc" claimed the row, then the database dropped.
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING, claim_token=f"abc:{message.pk}")
    mail.outbox.clear()
    assert messages_deliver_due(now=timezone.now(), claim_token="other") == 0
    assert messages_deliver_due(now=timezone.now(), claim_token="abc") == 1
    assert len(mail.outbox) == 1


def test_the_throttle_lets_a_buyer_through_when_the_cache_is_down(client, campaign, settings, monkeypatch):
    settings.CHECKOUT_RATE = "1/m"
    # The process notes the cache down for a while (preorder_shop.client); the note goes with this test.
    monkeypatch.setattr(preorder_shop.client, "_cache_down_until", 0.0)

    def unreachable(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(cache, "add", unreachable)
    monkeypatch.setattr(cache, "incr", unreachable)
    monkeypatch.setattr(cache, "get", unreachable)
    small = campaign.items.order_by("position").first()
    response = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(small, 1)]))
    assert response.status_code == 302 and Order.objects.count() == 1


def test_orders_placed_while_a_sweep_waits_in_the_queue_nudge_it_once(
    client, campaign, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(messages_deliver_due_task, "apply_async", lambda *args, **kwargs: queued.append(args))
    small = campaign.items.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(3):
            form = checkout_form([(small, 1)], phone=f"08123456780{number}", email=f"pembeli{number}@example.com")
            assert client.post(reverse("orders:checkout", args=[campaign.slug]), form).status_code == 302
    assert Message.objects.filter(kind="order_placed", status=Message.Status.PENDING).count() == 3
    assert len(queued) == 1  # one sweep takes all three

    # The sweep starts: it clears the mark before it looks, so the next message queues another sweep.
    mail.outbox.clear()
    assert messages_deliver_due_task() == 3
    assert len(mail.outbox) == 3
    with django_capture_on_commit_callbacks(execute=True):
        form = checkout_form([(small, 1)], phone="081234567809", email="pembeli9@example.com")
        client.post(reverse("orders:checkout", args=[campaign.slug]), form)
    assert len(queued) == 2


def _cache_calls_counted(monkeypatch) -> list[str]:
    asked = []
    for name in ("get", "add"):
        real = getattr(cache, name)
        monkeypatch.setattr(
            cache, name, lambda *args, _real=real, _name=name, **kwargs: asked.append(_name) or _real(*args, **kwargs)
        )
    return asked


def test_a_process_that_just_queued_a_sweep_nudges_without_asking_the_cache(campaign, monkeypatch):
    queued = []
    monkeypatch.setattr(messages_deliver_due_task, "apply_async", lambda *args, **kwargs: queued.append(kwargs))
    asked = _cache_calls_counted(monkeypatch)
    for _ in range(3):
        orders.outbox.outbox_nudge()
    assert asked == ["get", "add"] and len(queued) == 1  # the sweep it queued has not started: it takes them all
    assert queued[0]["countdown"] > orders.outbox.SWEEP_CLOCK_MARGIN_SECONDS

    # Past that while the process asks the cache again: another process's sweep may have started meanwhile.
    monkeypatch.setattr(orders.outbox, "_sweep_waits_until", 0.0)
    orders.outbox.outbox_nudge()
    assert asked == ["get", "add", "get"] and len(queued) == 1  # the mark is still there: the sweep waits
    # A sweep that starts in this process clears what it knows too.
    messages_deliver_due_task()
    orders.outbox.outbox_nudge()
    assert asked[3:] == ["get", "add"] and len(queued) == 2


def test_a_process_that_finds_a_sweep_queued_asks_again_only_once_it_may_have_started(campaign, monkeypatch):
    queued = []
    monkeypatch.setattr(messages_deliver_due_task, "apply_async", lambda *args, **kwargs: queued.append(kwargs))
    # Another process queued a sweep that starts in a second at the earliest.
    cache.set(orders.outbox.NUDGE_KEY, orders.outbox.time.time() + 1, orders.outbox.NUDGE_SECONDS)
    asked = _cache_calls_counted(monkeypatch)
    for _ in range(3):
        orders.outbox.outbox_nudge()
    assert asked == ["get"] and queued == []  # it waits still: the next ones skip asking
    # Its start is past (less the clocks' margin): the process asks each time, until the sweep clears the mark.
    cache.set(orders.outbox.NUDGE_KEY, orders.outbox.time.time() + 0.2, orders.outbox.NUDGE_SECONDS)
    monkeypatch.setattr(orders.outbox, "_sweep_waits_until", 0.0)
    orders.outbox.outbox_nudge()
    orders.outbox.outbox_nudge()
    assert asked == ["get", "get", "get"] and queued == []
    cache.delete(orders.outbox.NUDGE_KEY)  # the sweep started
    orders.outbox.outbox_nudge()
    assert asked[3:] == ["get", "add"] and len(queued) == 1

    # A mark from a process whose clock is a minute ahead keeps this one quiet no longer than a sweep waits.
    cache.set(orders.outbox.NUDGE_KEY, orders.outbox.time.time() + 60, orders.outbox.NUDGE_SECONDS)
    monkeypatch.setattr(orders.outbox, "_sweep_waits_until", 0.0)
    orders.outbox.outbox_nudge()
    assert 0 < orders.outbox._sweep_waits_until - orders.outbox.time.monotonic() <= orders.outbox.NUDGE_DELAY_SECONDS


def test_a_nudge_that_cannot_reach_the_broker_leaves_no_mark_behind(campaign, monkeypatch):
    def down(*args, **kwargs):
        raise BrokerDown("Error 111")

    monkeypatch.setattr(messages_deliver_due_task, "apply_async", down)
    orders.outbox.outbox_nudge()
    assert cache.get(orders.outbox.NUDGE_KEY) is None  # once the broker is back the next message nudges at once


def test_the_sweep_claims_and_reads_a_batch_at_once_and_marks_each_message_once(
    campaign, django_assert_num_queries, monkeypatch
):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    monkeypatch.setitem(RENDERERS, "order_link", lambda message: (f"Tautan {message.key}", "Isi"))

    def sweep_of(count):
        for number in range(count):
            message_queue(kind="order_link", key=f"link-{count}-{number}", order=order, now=timezone.now())
        Message.objects.filter(kind="order_placed").update(status=Message.Status.SENT)
        mail.outbox.clear()
        # Free stale claims, claim the batch, read it with the orders, their lines; one UPDATE per message.
        with django_assert_num_queries(4 + count):
            assert messages_deliver_due(now=timezone.now()) == count
        return sorted(message.subject for message in mail.outbox)

    assert sweep_of(3) == [f"Tautan link-3-{number}" for number in range(3)]
    assert sweep_of(8) == [f"Tautan link-8-{number}" for number in range(8)]
    assert set(Message.objects.filter(kind="order_link").values_list("status", "claim_token")) == {
        (Message.Status.SENT, "")
    }
    assert Message.objects.get(key="link-3-0").subject == "Tautan link-3-0"  # what was sent is kept


def test_a_nudged_sweep_renders_each_how_to_pay_message_without_reading_its_order_again(campaign):
    small = campaign.items.order_by("position").first()
    counts = {}
    for size in (2, 6):
        Message.objects.update(status=Message.Status.SENT)
        orders = [
            place_order(campaign, [(small, 1)], email=f"b{size}-{n}@example.com", phone=f"0812777{size}{n:04d}")
            for n in range(size)
        ]
        mail.outbox.clear()
        with CaptureQueriesContext(connection) as queries:
            assert messages_deliver_due(now=timezone.now(), release_stale=False) == size
        counts[size] = len(queries)
        subjects = {sent.to[0]: sent.subject for sent in mail.outbox}
        assert len(mail.outbox) == size and all(order.number in subjects[order.email] for order in orders)
    # Claim, read with orders, lines; the bank accounts for the texts, once; then per message its UPDATE.
    assert counts == {2: 3 + 1 + 2, 6: 3 + 1 + 6}
