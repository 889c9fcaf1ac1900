import datetime

import pytest
from django.utils import timezone, translation

from campaigns.exceptions import CampaignStageMoveNotAllowed
from campaigns.models import Campaign
from campaigns.services import (
    campaign_items_add_variants,
    campaign_mark_in_production,
    campaign_mark_shipping,
    campaign_mark_tallying,
    campaign_publish,
    campaign_update_post,
)
from tests.factories import CampaignFactory, CampaignItemFactory, product_with_grid

pytestmark = pytest.mark.django_db
Stage = Campaign.Stage


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_delay_update_moves_the_ship_date_and_keeps_the_old_one():
    campaign = CampaignFactory()
    old_date = campaign.estimated_ship_date
    new_date = old_date + datetime.timedelta(days=10)

    update = campaign_update_post(
        campaign=campaign, message="Kain terlambat datang.", new_estimated_ship_date=new_date, now=timezone.now()
    )

    campaign.refresh_from_db()
    assert campaign.estimated_ship_date == new_date
    assert update.previous_estimated_ship_date == old_date
    assert list(campaign.updates.all()) == [update]


def test_a_news_update_leaves_the_ship_date():
    campaign = CampaignFactory()
    date = campaign.estimated_ship_date
    campaign_update_post(
        campaign=campaign, message="Produksi dimulai.", new_estimated_ship_date=None, now=timezone.now()
    )
    campaign.refresh_from_db()
    assert campaign.estimated_ship_date == date


def test_adding_variants_skips_those_already_in_the_campaign_and_inactive_ones():
    campaign = CampaignFactory()
    product = product_with_grid({"Ukuran": ["S", "M", "L"]})
    variants = list(product.variants.order_by("position"))
    variants[2].is_active = False
    variants[2].save()

    assert campaign_items_add_variants(campaign=campaign, variants=variants[:1]) == 1
    assert campaign_items_add_variants(campaign=campaign, variants=variants) == 1
    assert campaign.items.count() == 2
    assert {item.price_idr for item in campaign.items.all()} == {product.base_price_idr}


def test_publishing_needs_an_item():
    campaign = CampaignFactory(stage=Stage.DRAFT)
    with pytest.raises(CampaignStageMoveNotAllowed, match="Add at least one item"):
        campaign_publish(campaign=campaign, now=timezone.now())
    assert Campaign.objects.get(pk=campaign.pk).stage == Stage.DRAFT
    CampaignItemFactory(campaign=campaign)
    assert campaign_publish(campaign=campaign, now=timezone.now()).stage == Stage.PUBLISHED


def test_a_po_is_closed_for_tallying_only_after_its_window_and_produced_only_after_tallying():
    campaign = CampaignFactory()
    with pytest.raises(CampaignStageMoveNotAllowed, match="window has ended"):
        campaign_mark_tallying(campaign=campaign, now=timezone.now())
    after_close = campaign.closes_at + datetime.timedelta(minutes=1)
    with pytest.raises(CampaignStageMoveNotAllowed):
        campaign_mark_in_production(campaign=campaign, now=after_close)
    assert campaign_mark_tallying(campaign=campaign, now=after_close).stage == Stage.TALLYING
    assert campaign_mark_in_production(campaign=campaign, now=after_close).stage == Stage.IN_PRODUCTION


def test_a_move_outside_the_pipeline_is_refused_and_changes_nothing():
    campaign = CampaignFactory(stage=Stage.COMPLETED)
    with pytest.raises(CampaignStageMoveNotAllowed):
        campaign_mark_shipping(campaign=campaign, now=timezone.now())
    campaign.refresh_from_db()
    assert campaign.stage == Stage.COMPLETED


def test_a_campaign_whose_window_has_ended_cannot_be_published():
    now = timezone.now()
    campaign = CampaignFactory(
        stage=Stage.DRAFT, opens_at=now - datetime.timedelta(days=5), closes_at=now - datetime.timedelta(minutes=1)
    )
    CampaignItemFactory(campaign=campaign)
    with pytest.raises(CampaignStageMoveNotAllowed, match="already ended"):
        campaign_publish(campaign=campaign, now=now)
    assert Campaign.objects.get(pk=campaign.pk).stage == Stage.DRAFT
