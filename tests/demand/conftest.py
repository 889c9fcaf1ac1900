import datetime

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from demand.services import interest_register
from tests.factories import campaign_with_products

OPENS_IN = datetime.timedelta(days=2)


@pytest.fixture
def coming() -> Campaign:
    """A published PO that opens in two days, selling S and M at Rp100.000."""
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["S", "M"]}, opens_at=timezone.now() + OPENS_IN, title="PO Kaos Ombak"
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    return campaign


def sizes(campaign: Campaign) -> list[CampaignItem]:
    return list(campaign.items.order_by("position"))


def register(campaign: Campaign, phone: str = "0812-3456-7890", *, email: str = "", wanted=None, client="klien-a"):
    interest, _created = interest_register(
        campaign=campaign, phone=phone, email=email, wanted=wanted or {}, client_key=client, now=timezone.now()
    )
    return interest


def after_opening(campaign: Campaign, minutes: int = 1) -> datetime.datetime:
    return campaign.opens_at + datetime.timedelta(minutes=minutes)
