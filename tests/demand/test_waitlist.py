"""The waitlist of a sold-out PO or variant: joining, and who is told, once, when units come back."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone, translation

import demand.waitlist
from campaigns.models import Campaign, CampaignItem
from demand.exceptions import InterestCapReached, InterestInvalid, WaitlistNotTaken
from demand.models import Interest, Release
from demand.services import interest_stop
from demand.waitlist import waitlist_join, waitlists_notify_released
from orders.models import Message, Order
from orders.outbox import message_render
from orders.services import order_expire_overdue
from payments.services import order_cancel
from tests.factories import campaign_with_products, place_order
from tests.helpers import at_once

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def sold_out():
    """An open PO of S (quota 2) and M (quota 5); S is sold out by two buyers' unpaid orders."""
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=5),
        title="PO Kaos Habis",
    )
    small, medium = campaign.items.order_by("position")
    CampaignItem.objects.filter(pk=small.pk).update(quota=2, price_idr=100_000)
    CampaignItem.objects.filter(pk=medium.pk).update(quota=5, price_idr=100_000)
    first = place_order(campaign, [(small, 1)], plan="full", phone="081299990001", email="a@example.com")
    # Placed a day later: it expires a day after the first.
    second = place_order(
        campaign,
        [(small, 1)],
        plan="full",
        phone="081299990002",
        email="b@example.com",
        now=now + datetime.timedelta(days=1),
    )
    return campaign, small, medium, first, second


def join(campaign, phone, wanted=None, *, client=None, now=None, email=""):
    entry, _created = waitlist_join(
        campaign=campaign,
        phone=phone,
        email=email,
        wanted=wanted or {},
        client_key=client or f"klien-{phone}",
        now=now or timezone.now(),
    )
    return entry


def _told(campaign):
    return list(
        Message.objects.filter(kind="units_back", params__campaign_id=campaign.pk)
        .order_by("pk")
        .values_list("params__interest_id", flat=True)
    )


def _expire(order, now=None):
    return order_expire_overdue(now=(now or order.payment_deadline) + datetime.timedelta(minutes=1))


def test_only_a_sold_out_variant_of_an_open_po_takes_the_waitlist(sold_out):
    campaign, small, medium, *_ = sold_out
    with pytest.raises(WaitlistNotTaken, match="still on sale"):
        join(campaign, "081211110001", {medium.pk: 1})
    with pytest.raises(WaitlistNotTaken, match="Choose the sold-out variant"):
        join(campaign, "081211110001")  # the PO as a whole is not sold out: a variant must be chosen
    with pytest.raises(InterestInvalid):
        join(campaign, "12345", {small.pk: 1})
    Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(WaitlistNotTaken, match="not open"):
        join(campaign, "081211110001", {small.pk: 1})
    assert not Interest.objects.exists()


def test_joining_again_keeps_the_place_and_after_being_told_goes_to_the_end(sold_out):
    campaign, small, _medium, first, _second = sold_out
    start = timezone.now()
    ana = join(campaign, "081211110001", {small.pk: 1}, now=start)
    budi = join(campaign, "081211110002", {small.pk: 1}, now=start + datetime.timedelta(seconds=1))
    again = join(campaign, "0812-1111-0001", {small.pk: 2}, now=start + datetime.timedelta(seconds=2))
    assert again.pk == ana.pk and again.created_at == start
    assert list(ana.lines.values_list("quantity", flat=True)) == [2]
    _expire(first)
    assert waitlists_notify_released(now=first.payment_deadline + datetime.timedelta(hours=1)) == 1
    assert _told(campaign) == [ana.pk]  # one unit back and Ana wants two: she is told first, Budi waits
    # Someone else took the unit (first come, first served): sold out again, and Ana joins again.
    place_order(campaign, [(small, 1)], plan="full", phone="081299990009")
    later = first.payment_deadline + datetime.timedelta(hours=2)
    rejoined = join(campaign, "081211110001", {small.pk: 1}, now=later)
    assert rejoined.pk == ana.pk and rejoined.created_at == later and rejoined.notified_at is None
    waiting = Interest.objects.filter(notified_at__isnull=True).order_by("created_at")
    assert list(waiting.values_list("pk", flat=True)) == [budi.pk, ana.pk]


def test_a_released_unit_tells_the_first_in_join_order_once(sold_out):
    campaign, small, medium, first, second = sold_out
    start = timezone.now()
    entries = [
        join(campaign, f"08121111{n:04d}", {small.pk: 1}, now=start + datetime.timedelta(seconds=n)) for n in range(4)
    ]
    _expire(first)  # one unit of S back
    now = timezone.now() + datetime.timedelta(hours=30)
    assert waitlists_notify_released(now=now) == 1
    assert waitlists_notify_released(now=now) == 0  # the release is handled once
    assert _told(campaign) == [entries[0].pk]
    order_cancel(order=Order.objects.get(pk=second.pk), now=now, reason="berubah pikiran")  # one more unit
    assert waitlists_notify_released(now=now + datetime.timedelta(minutes=1)) == 1
    assert _told(campaign) == [entries[0].pk, entries[1].pk]
    assert Release.objects.filter(campaign=campaign).count() == 2
    assert set(Interest.objects.filter(notified_at__isnull=True).values_list("pk", flat=True)) == {
        entries[2].pk,
        entries[3].pk,
    }


def test_two_units_back_tell_buyers_for_two_units_and_a_stopped_one_is_skipped(sold_out):
    campaign, small, _medium, first, second = sold_out
    start = timezone.now()
    entries = [
        join(campaign, f"08121111{n:04d}", {small.pk: 1}, now=start + datetime.timedelta(seconds=n)) for n in range(4)
    ]
    interest_stop(interest=entries[0], now=start)
    _expire(first)
    order_cancel(order=Order.objects.get(pk=second.pk), now=start + datetime.timedelta(hours=1), reason="batal")
    assert waitlists_notify_released(now=start + datetime.timedelta(days=2)) == 2
    assert _told(campaign) == [entries[1].pk, entries[2].pk]


def test_a_buyer_who_joined_after_the_release_is_not_told_of_it(sold_out):
    campaign, small, _medium, first, _second = sold_out
    expired_at = first.payment_deadline + datetime.timedelta(minutes=1)
    _expire(first)
    # The unit came back and sold again at once: sold out again, and Citra joins afterwards.
    place_order(campaign, [(small, 1)], plan="full", phone="081299990009")
    join(campaign, "081211110007", {small.pk: 1}, now=expired_at + datetime.timedelta(minutes=1))
    assert waitlists_notify_released(now=expired_at + datetime.timedelta(minutes=2)) == 0
    assert _told(campaign) == []


def test_a_unit_bought_again_before_the_job_runs_tells_nobody(sold_out):
    campaign, small, _medium, first, _second = sold_out
    entry = join(campaign, "081211110001", {small.pk: 1})
    _expire(first)
    place_order(campaign, [(small, 1)], plan="full", phone="081299990009")  # gone again, first come first served
    assert waitlists_notify_released(now=timezone.now() + datetime.timedelta(days=2)) == 0
    assert Interest.objects.get(pk=entry.pk).notified_at is None  # still waiting for the next one
    assert Release.objects.get(campaign=campaign).told == 0


def test_the_message_links_the_checkout_with_the_variant_and_a_stop_link(sold_out):
    campaign, small, _medium, first, _second = sold_out
    entry = join(campaign, "081211110001", {small.pk: 1}, email="citra@example.com")
    _expire(first)
    waitlists_notify_released(now=timezone.now() + datetime.timedelta(days=2))
    message = Message.objects.get(kind="units_back")
    assert message.to_email == "citra@example.com" and message.to_phone == "+6281211110001"
    subject, body = message_render(message)
    assert campaign.title in subject
    assert f"?qty-{small.pk}=1" in body
    assert f"/ingatkan/{entry.token}/berhenti/" in body


def test_a_po_sold_out_as_a_whole_takes_any_variant(sold_out):
    campaign, small, medium, first, _second = sold_out
    Campaign.objects.filter(pk=campaign.pk).update(quota_total=2)  # the two orders of S fill the PO
    anyone = join(campaign, "081211110001")
    with pytest.raises(InterestCapReached):
        for number in range(2, 10):
            join(campaign, f"08121111{number:04d}", client="satu-klien")
    _expire(first)
    assert waitlists_notify_released(now=timezone.now() + datetime.timedelta(days=2)) == 1
    assert _told(campaign) == [anyone.pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's; SQLite runs one writer")
def test_two_runs_at_once_tell_each_release_once(monkeypatch):
    monkeypatch.setattr(demand.waitlist, "RELEASE_BATCH", 3)
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S"]},
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=5),
    )
    (small,) = campaign.items.all()
    CampaignItem.objects.filter(pk=small.pk).update(quota=10)
    orders = [place_order(campaign, [(small, 1)], plan="full", phone=f"08129999{n:04d}") for n in range(10)]
    entries = [
        join(campaign, f"08121111{n:04d}", {small.pk: 1}, now=now + datetime.timedelta(seconds=n)) for n in range(30)
    ]
    for order in orders:
        _expire(order)
    later = now + datetime.timedelta(days=2)
    first, second = at_once(lambda: waitlists_notify_released(now=later), lambda: waitlists_notify_released(now=later))
    assert first.error is None and second.error is None, (first, second)
    assert first.value + second.value == 10
    assert _told(campaign) and sorted(_told(campaign)) == [entry.pk for entry in entries[:10]]
    assert Release.objects.filter(campaign=campaign).count() == 10


def test_the_stop_link_stops_every_later_message_to_that_number_in_the_po(sold_out):
    campaign, small, _medium, first, second = sold_out
    entry = join(campaign, "081211110001", {small.pk: 1})
    other = join(campaign, "081211110002", {small.pk: 1}, now=entry.created_at + datetime.timedelta(seconds=1))
    interest_stop(interest=entry, now=timezone.now())
    _expire(first)
    assert waitlists_notify_released(now=first.payment_deadline + datetime.timedelta(minutes=5)) == 1
    assert _told(campaign) == [other.pk]  # the stopped number is passed over


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's; SQLite runs one writer")
def test_one_client_joining_many_numbers_at_once_stops_at_its_cap(settings):
    settings.INTEREST_PER_CLIENT = 3
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S"]},
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=5),
    )
    (small,) = campaign.items.all()
    CampaignItem.objects.filter(pk=small.pk).update(quota=1)
    place_order(campaign, [(small, 1)], plan="full")
    calls = [lambda n=n: join(campaign, f"08121111{n:04d}", {small.pk: 1}, client="satu-klien") for n in range(8)]
    outcomes = at_once(*calls)
    assert sum(outcome.error is None for outcome in outcomes) == 3
    assert all(isinstance(o.error, InterestCapReached) for o in outcomes if o.error is not None), outcomes
    assert Interest.objects.filter(campaign=campaign, client_key="satu-klien").count() == 3
