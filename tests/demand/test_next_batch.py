"""The next batch in one step: a draft copy carrying the waitlist and the unmet interest, told once when it opens."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem, PostageRate
from campaigns.services import campaign_next_batch_title, campaign_publish
from demand.models import Interest, NextBatch
from demand.next_batch import campaign_next_batch_open
from demand.selectors import campaign_interest
from demand.services import interest_stop, interests_notify_opened
from demand.waitlist import waitlist_join
from orders.models import Message
from orders.outbox import message_render
from tests.demand.conftest import register
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_batch():
    """An open PO "PO Kaos Ombak Batch 2" (S quota 1, M): three asked before it opened, S sold out and
    two on its waitlist; one of those who asked ordered M."""
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        opens_at=now + datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=3),
        title="PO Kaos Ombak Batch 2",
    )
    small, medium = campaign.items.order_by("position")
    CampaignItem.objects.filter(pk=small.pk).update(quota=1, price_idr=120_000)
    CampaignItem.objects.filter(pk=medium.pk).update(price_idr=125_000)
    PostageRate.objects.create(campaign=campaign, province="Jawa Barat", flat_idr=15_000)
    asked = {
        "ordered": register(campaign, "081233330001", wanted={medium.pk: 1}, client="a"),
        "did_not": register(campaign, "081233330002", email="dewi@example.com", wanted={small.pk: 2}, client="b"),
        "stopped": register(campaign, "081233330003", wanted={small.pk: 1}, client="c"),
    }
    interest_stop(interest=asked["stopped"], now=now)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=now - datetime.timedelta(minutes=5))
    assert interests_notify_opened(now=now) == 2  # it opened: those who asked were told
    place_order(campaign, [(medium, 1)], plan="full", phone="081233330001")
    place_order(campaign, [(small, 1)], plan="full", phone="081244440009")  # S sold out
    waiting = [
        waitlist_join(
            campaign=campaign,
            phone=f"08124444000{n}",
            email="",
            wanted={small.pk: n},
            client_key=f"w{n}",
            now=now + datetime.timedelta(seconds=n),
        )[0]
        for n in (1, 2)
    ]
    # The second on the waitlist also asked before opening (same number as "did not"): carried once.
    waitlist_join(campaign=campaign, phone="081233330002", email="", wanted={small.pk: 3}, client_key="b", now=now)
    return campaign, small, medium, asked, waiting


def _next(campaign, days=14):
    opens = timezone.now() + datetime.timedelta(days=days)
    return campaign_next_batch_open(
        campaign=campaign,
        title=campaign_next_batch_title(campaign.title),
        opens_at=opens,
        closes_at=opens + datetime.timedelta(days=3),
        now=timezone.now(),
    )


def test_the_next_batch_is_a_draft_copy_in_the_new_window(last_batch):
    campaign, small, medium, *_ = last_batch
    link = _next(campaign)
    copy = link.campaign
    assert copy.title == "PO Kaos Ombak Batch 3" and copy.slug != campaign.slug
    assert copy.stage == Campaign.Stage.DRAFT and copy.units_reserved == 0
    assert copy.payment_terms == campaign.payment_terms and copy.dp_percent == campaign.dp_percent
    shift = copy.closes_at.date() - campaign.closes_at.date()
    assert copy.estimated_ship_date == campaign.estimated_ship_date + shift
    assert list(copy.items.order_by("position").values_list("variant_id", "price_idr", "quota", "units_reserved")) == [
        (small.variant_id, 120_000, 1, 0),
        (medium.variant_id, 125_000, None, 0),
    ]
    assert list(copy.postage_rates.values_list("province", "flat_idr")) == [("Jawa Barat", 15_000)]
    assert NextBatch.objects.get(campaign=copy).previous == campaign


def test_it_carries_the_waitlist_and_who_asked_but_did_not_order(last_batch):
    campaign, small, _medium, asked, waiting = last_batch
    link = _next(campaign)
    carried = Interest.objects.filter(campaign=link.campaign)
    assert set(carried.values_list("phone", flat=True)) == {"+6281233330002", "+6281244440001", "+6281244440002"}
    assert set(carried.values_list("kind", flat=True)) == {Interest.Kind.OPENING}
    assert set(carried.values_list("carried_from", flat=True)) == {campaign.pk}
    dewi = carried.get(phone="+6281233330002")
    new_small = link.campaign.items.get(variant_id=small.variant_id)
    assert dewi.email == "dewi@example.com"
    assert list(dewi.lines.values_list("campaign_item", "quantity")) == [(new_small.pk, 3)]  # the larger want
    summary = campaign_interest(campaign=link.campaign)
    assert summary.carried == 3
    assert [(row.item.pk, row.suggested_quota) for row in summary.variants] == [(new_small.pk, 3 + 1 + 2)]
    assert (link.waitlist_carried, link.interest_carried) == (3, 0)


def test_they_are_told_once_when_the_next_batch_opens_and_the_stop_link_stops_it(last_batch):
    campaign, *_ = last_batch
    link = _next(campaign)
    copy = link.campaign
    assert interests_notify_opened(now=timezone.now()) == 0  # a draft is not open
    campaign_publish(campaign=copy, now=timezone.now())
    stopped = Interest.objects.get(campaign=copy, phone="+6281244440001")
    interest_stop(interest=stopped, now=timezone.now())
    opened = copy.opens_at + datetime.timedelta(minutes=1)
    assert interests_notify_opened(now=opened) == 2
    assert interests_notify_opened(now=opened) == 0
    messages = Message.objects.filter(kind="po_opened", params__campaign_id=copy.pk)
    assert sorted(messages.values_list("to_phone", flat=True)) == ["+6281233330002", "+6281244440002"]
    subject, body = message_render(messages.get(to_phone="+6281233330002"))
    assert campaign.title in body and copy.title in body


def test_a_window_that_ends_before_it_opens_is_refused_and_nothing_is_made(last_batch):
    from campaigns.exceptions import CampaignError  # noqa: PLC0415 - only this test needs it

    campaign, *_ = last_batch
    opens = timezone.now() + datetime.timedelta(days=3)
    with pytest.raises(CampaignError):
        campaign_next_batch_open(campaign=campaign, title="X", opens_at=opens, closes_at=opens, now=timezone.now())
    assert Campaign.objects.count() == 1 and not NextBatch.objects.exists()


def test_titles_count_the_batch():
    assert campaign_next_batch_title("PO Kemeja batch 9") == "PO Kemeja batch 10"
    assert campaign_next_batch_title("PO Kemeja") == "PO Kemeja Batch 2"


def test_the_demand_page_of_the_next_batch_shows_the_unmet_want_as_the_suggested_quota(last_batch, seller_client):
    from django.conf import settings  # noqa: PLC0415 - only this test
    from django.urls import reverse  # noqa: PLC0415 - only this test

    campaign, small, *_ = last_batch
    link = _next(campaign)
    new_small = link.campaign.items.get(variant_id=small.variant_id)
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = seller_client.get(reverse("admin:orders_campaigndemand_demand", args=[link.campaign.pk])).content.decode()
    assert "The next batch of PO Kaos Ombak Batch 2: 3 buyers carried over" in html
    assert f'<tr data-interest-item="{new_small.pk}">' in html
    assert "<td data-suggested>6</td>" in html


def test_a_po_has_one_next_batch_a_second_is_refused_and_tells_nobody_twice(last_batch):
    from campaigns.exceptions import CampaignError  # noqa: PLC0415 - only this test needs it

    campaign, *_ = last_batch
    link = _next(campaign)
    with pytest.raises(CampaignError, match="already has its next batch"):
        _next(campaign, days=21)
    assert NextBatch.objects.filter(previous=campaign).count() == 1
    assert Interest.objects.filter(carried_from=campaign).count() == 3
    assert _next(link.campaign).campaign.title == "PO Kaos Ombak Batch 4"  # the batch after, from the next one


def test_the_dates_move_by_whole_days_of_the_shops_calendar():
    import zoneinfo  # noqa: PLC0415 - only this test

    from campaigns.services import campaign_copy_as_draft  # noqa: PLC0415 - only this test

    jakarta = zoneinfo.ZoneInfo("Asia/Jakarta")
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S"]},
        opens_at=datetime.datetime(2030, 1, 1, 10, tzinfo=jakarta),
        closes_at=datetime.datetime(2030, 1, 10, 2, tzinfo=jakarta),  # 2 in the night in Jakarta: the 9th in UTC
        estimated_ship_date=datetime.date(2030, 1, 20),
    )
    campaign = Campaign.objects.get(pk=campaign.pk)  # as the database gives it back: in UTC
    copy = campaign_copy_as_draft(
        campaign=campaign,
        title="",
        opens_at=datetime.datetime(2030, 2, 1, 10, tzinfo=jakarta),
        closes_at=datetime.datetime(2030, 2, 10, 2, tzinfo=jakarta),
    )
    assert copy.estimated_ship_date == datetime.date(2030, 2, 20)  # 31 days later, as the window
