"""When a PO opens, everyone who asked to be reminded gets exactly one message through the outbox (by
e-mail where given, else waiting in the seller's WhatsApp list) with the PO's link and a stop link; a
second run, two beats at once, or a buyer who stopped never make another."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import demand.services
from campaigns.models import Campaign
from demand.models import Interest
from demand.services import interest_stop, interests_notify_opened
from demand.tasks import interests_notify_opened_task
from orders.models import Message
from orders.outbox import message_whatsapp_url, messages_deliver_due
from tests.demand.conftest import after_opening, register, sizes
from tests.factories import campaign_with_products
from tests.helpers import at_once

pytestmark = pytest.mark.django_db


def _messages(campaign: Campaign):
    return Message.objects.filter(kind="po_opened", params__campaign_id=campaign.pk).order_by("pk")


def test_nobody_is_told_before_the_po_opens(coming):
    register(coming, "081200000001", email="a@example.com")
    assert interests_notify_opened(now=coming.opens_at - datetime.timedelta(seconds=1)) == 0
    assert not Message.objects.filter(kind="po_opened").exists()


def test_once_open_each_gets_exactly_one_message_and_is_marked_told(coming):
    small, _medium = sizes(coming)
    with_email = register(coming, "081200000001", email="a@example.com", wanted={small.pk: 2})
    without_email = register(coming, "081200000002")
    now = after_opening(coming)

    assert interests_notify_opened(now=now) == 2
    assert interests_notify_opened(now=now + datetime.timedelta(minutes=1)) == 0  # the next beat: nothing more
    messages = list(_messages(coming))
    assert [message.key for message in messages] == [
        f"interest:{with_email.pk}:opened",
        f"interest:{without_email.pk}:opened",
    ]
    assert [(message.to_email, message.to_phone, message.status, message.order_id) for message in messages] == [
        ("a@example.com", "+6281200000001", Message.Status.PENDING, None),
        ("", "+6281200000002", Message.Status.NO_EMAIL, None),
    ]
    assert set(Interest.objects.values_list("notified_at", flat=True)) == {now}


def test_the_email_carries_the_pos_link_what_they_chose_and_a_stop_link(coming):
    small, _medium = sizes(coming)
    interest = register(coming, "081200000001", email="a@example.com", wanted={small.pk: 2})
    interests_notify_opened(now=after_opening(coming))
    mail.outbox.clear()
    assert messages_deliver_due(now=timezone.now()) == 1
    (email,) = mail.outbox
    site = settings.SITE_URL.rstrip("/")
    assert email.to == ["a@example.com"]
    assert email.subject == "PO Kaos Ombak sudah dibuka: pesan sekarang"
    assert f"{site}{coming.get_absolute_url()}" in email.body
    assert f"{site}{reverse('orders:checkout', args=[coming.slug])}?qty-{small.pk}=2" in email.body
    assert f"{site}{reverse('demand:stop', args=[interest.token])}" in email.body
    assert f"2 x {small.variant}" in email.body


def test_a_buyer_who_asked_in_english_is_told_in_english(coming):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(reverse("demand:register", args=[coming.slug]), {"phone": "081200000001", "email": "a@example.com"})
    assert Interest.objects.get().language == "en"
    interests_notify_opened(now=after_opening(coming))
    mail.outbox.clear()
    messages_deliver_due(now=timezone.now())
    assert mail.outbox[0].subject == "PO Kaos Ombak is open: order now"
    assert "No more messages about this PO:" in mail.outbox[0].body


def test_without_an_email_the_seller_sends_it_on_whatsapp_with_the_links(coming, seller_client):
    interest = register(coming, "081200000002")
    interests_notify_opened(now=after_opening(coming))
    message = _messages(coming).get()
    url = message_whatsapp_url(message)
    assert url.startswith("https://wa.me/6281200000002?text=") and interest.token in url
    listed = seller_client.get(reverse("admin:orders_message_changelist"), {"whatsapp": "todo"})
    assert reverse("admin:orders_message_whatsapp", args=[message.pk]) in listed.content.decode()
    page = seller_client.get(reverse("admin:orders_message_whatsapp", args=[message.pk]))
    assert page.status_code == 200 and coming.get_absolute_url() in page.content.decode()
    assert seller_client.get(reverse("admin:orders_message_change", args=[message.pk])).status_code == 200


def test_a_stopped_interest_gets_no_message(coming):
    stopped = register(coming, "081200000001", email="a@example.com")
    register(coming, "081200000002", email="b@example.com")
    assert interest_stop(interest=stopped, now=timezone.now())
    assert interests_notify_opened(now=after_opening(coming)) == 1
    assert list(_messages(coming).values_list("to_phone", flat=True)) == ["+6281200000002"]
    assert Interest.objects.get(pk=stopped.pk).notified_at is None


def test_only_pos_open_now_are_told_and_each_of_its_own(coming):
    later = campaign_with_products(
        products=1, options={"Ukuran": ["S"]}, opens_at=coming.opens_at + datetime.timedelta(days=3)
    )
    register(coming, "081200000001")
    register(later, "081200000001")  # the same buyer, another PO
    assert interests_notify_opened(now=after_opening(coming)) == 1
    assert _messages(coming).count() == 1 and not _messages(later).exists()
    # Later both are open: only the buyer of the PO that just opened is told; the first one was already.
    assert interests_notify_opened(now=after_opening(later)) == 1
    assert _messages(later).count() == 1 and _messages(coming).count() == 1


def test_the_beat_runs_the_job_every_minute(coming, eager_tasks):
    assert settings.CELERY_BEAT_SCHEDULE["demand-interests-notify-opened"]["task"] == interests_notify_opened_task.name
    register(coming, "081200000001")
    Campaign.objects.filter(pk=coming.pk).update(opens_at=timezone.now() - datetime.timedelta(minutes=1))
    assert interests_notify_opened_task.delay().get() == 1
    assert interests_notify_opened_task.delay().get() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's; SQLite runs one writer")
def test_two_runs_at_once_write_exactly_one_message_per_interest(monkeypatch):
    monkeypatch.setattr(demand.services, "NOTIFY_BATCH", 10)  # small batches: the two runs take turns
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["S"]}, opens_at=timezone.now() + datetime.timedelta(days=1)
    )
    interests = [register(campaign, f"08120000{number:04d}", client=f"klien-{number}") for number in range(120)]
    stopped = interests[7]
    now = after_opening(campaign)
    first, second, stop = at_once(
        lambda: interests_notify_opened(now=now),
        lambda: interests_notify_opened(now=now),
        lambda: interest_stop(interest=stopped, now=timezone.now()),
    )
    assert first.error is None and second.error is None and stop.error is None, (first, second, stop)
    told = Interest.objects.filter(notified_at__isnull=False)
    messages = _messages(campaign)
    # Every interest is told once, whichever run took it; the stop either came first (no message) or after.
    assert first.value + second.value == messages.count() == told.count()
    assert messages.values("key").distinct().count() == messages.count()
    assert set(messages.values_list("params__interest_id", flat=True)) == set(told.values_list("pk", flat=True))
    assert told.count() in (len(interests) - 1, len(interests))
    assert not Interest.objects.filter(notified_at__isnull=True, stopped_at__isnull=True).exists()
    assert interests_notify_opened(now=now) == 0
