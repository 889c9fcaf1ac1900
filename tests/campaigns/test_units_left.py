import pytest
from django.db import IntegrityError

from campaigns.models import CampaignItem
from campaigns.selectors import campaign_card_facts
from tests.factories import CampaignFactory, CampaignItemFactory

pytestmark = pytest.mark.django_db


def campaign_units_left(campaign):
    """What the campaign's card says is left: counted by the database."""
    campaign.refresh_from_db()
    return campaign_card_facts(campaigns=[campaign])[campaign.pk].units_left


def test_item_units_left_is_its_quota_less_what_is_reserved():
    item = CampaignItemFactory(quota=10, units_reserved=7)
    assert item.units_left == 3


def test_the_campaign_quota_caps_every_item():
    campaign = CampaignFactory(quota_total=5, units_reserved=4)
    item = CampaignItemFactory(campaign=campaign, quota=10, units_reserved=0)
    assert item.units_left == 1


def test_no_quota_anywhere_means_no_limit():
    item = CampaignItemFactory(quota=None)
    assert item.units_left is None
    assert campaign_units_left(item.campaign) is None


def test_campaign_units_left_sums_item_quotas_when_there_is_no_campaign_quota():
    campaign = CampaignFactory()
    CampaignItemFactory(campaign=campaign, quota=10, units_reserved=10)
    CampaignItemFactory(campaign=campaign, quota=5, units_reserved=2)
    assert campaign_units_left(campaign) == 3


def test_campaign_units_left_is_the_campaign_quota_when_some_item_is_unlimited():
    campaign = CampaignFactory(quota_total=25, units_reserved=5)
    CampaignItemFactory(campaign=campaign, quota=None)
    assert campaign_units_left(campaign) == 20


def test_campaign_units_left_never_exceeds_what_the_items_can_still_take():
    campaign = CampaignFactory(quota_total=100)
    CampaignItemFactory(campaign=campaign, quota=3)
    assert campaign_units_left(campaign) == 3


def test_the_database_refuses_more_reserved_than_the_quota():
    item = CampaignItemFactory(quota=2)
    with pytest.raises(IntegrityError):
        CampaignItem.objects.filter(pk=item.pk).update(units_reserved=3)
