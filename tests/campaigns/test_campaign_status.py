import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign
from tests.factories import CampaignFactory, jakarta

pytestmark = pytest.mark.django_db
Status = Campaign.Status
SECOND = datetime.timedelta(seconds=1)

# Opens at 10:00 WIB on payday, closes at 23:59 WIB ten days later.
OPENS = jakarta(2026, 11, 25, 10, 0)
CLOSES = jakarta(2026, 12, 5, 23, 59)


@pytest.fixture
def campaign():
    return CampaignFactory(opens_at=OPENS, closes_at=CLOSES)


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (OPENS - SECOND, Status.COMING_SOON),
        (OPENS, Status.OPEN),
        (OPENS + SECOND, Status.OPEN),
        (CLOSES - SECOND, Status.OPEN),
        (CLOSES, Status.CLOSED),
        (CLOSES + SECOND, Status.CLOSED),
    ],
)
def test_status_turns_at_the_exact_second_in_jakarta(campaign, now, status):
    assert campaign.status_at(now) == status


def test_the_same_instant_in_utc_gives_the_same_status(campaign):
    # 10:00 WIB is 03:00 UTC.
    just_before = datetime.datetime(2026, 11, 25, 2, 59, 59, tzinfo=datetime.UTC)
    assert campaign.status_at(just_before) == Status.COMING_SOON
    assert campaign.status_at(just_before + SECOND) == Status.OPEN


@pytest.mark.parametrize(
    ("stage", "status"),
    [
        (Campaign.Stage.DRAFT, Status.DRAFT),
        (Campaign.Stage.IN_PRODUCTION, Status.IN_PRODUCTION),
        (Campaign.Stage.SHIPPING, Status.SHIPPING),
        (Campaign.Stage.COMPLETED, Status.COMPLETED),
        (Campaign.Stage.CANCELLED, Status.CANCELLED),
        (Campaign.Stage.FAILED, Status.FAILED),
    ],
)
def test_seller_stages_override_the_clock(stage, status):
    campaign = CampaignFactory(opens_at=OPENS, closes_at=CLOSES, stage=stage)
    assert campaign.status_at(OPENS + SECOND) == status


def test_reading_the_status_writes_nothing(campaign):
    with CaptureQueriesContext(connection) as queries:
        for now in (OPENS - SECOND, OPENS, CLOSES):
            campaign.status_at(now)
        _ = campaign.status
    assert len(queries) == 0


def test_the_database_refuses_a_window_that_closes_before_it_opens():
    with pytest.raises(IntegrityError):
        CampaignFactory(opens_at=CLOSES, closes_at=OPENS)


def test_clean_explains_what_is_wrong_with_the_dates():
    campaign = CampaignFactory.build(
        opens_at=OPENS,
        closes_at=CLOSES,
        estimated_ship_date=datetime.date(2026, 12, 5),
        balance_due_date=datetime.date(2026, 12, 1),
    )
    with pytest.raises(ValidationError) as error:
        campaign.clean()
    assert set(error.value.message_dict) == {"estimated_ship_date", "balance_due_date"}


def test_clean_wants_dp_terms_when_a_down_payment_is_allowed():
    campaign = CampaignFactory.build(opens_at=OPENS, closes_at=CLOSES, dp_percent=None, balance_due_date=None)
    with pytest.raises(ValidationError) as error:
        campaign.clean()
    assert set(error.value.message_dict) == {"dp_percent", "balance_due_date"}


def test_clean_refuses_a_goal_above_the_quota():
    campaign = CampaignFactory.build(opens_at=OPENS, closes_at=CLOSES, quota_total=10, minimum_goal_units=11)
    with pytest.raises(ValidationError) as error:
        campaign.clean()
    assert "minimum_goal_units" in error.value.message_dict


def test_full_payment_only_campaign_needs_no_dp_terms():
    campaign = CampaignFactory.build(
        opens_at=OPENS,
        closes_at=CLOSES,
        payment_terms=Campaign.PaymentTerms.FULL_ONLY,
        dp_percent=None,
        balance_due_date=None,
    )
    campaign.clean()
    assert campaign.down_payment_for(total_idr=300_000, units=2) == 300_000


def test_down_payment_as_percentage_or_fixed_per_unit():
    by_percent = CampaignFactory.build(dp_kind=Campaign.DownPaymentKind.PERCENT, dp_percent=30)
    assert by_percent.down_payment_for(total_idr=350_000, units=1) == 105_000
    fixed = CampaignFactory.build(dp_kind=Campaign.DownPaymentKind.FIXED, dp_percent=None, dp_fixed_per_unit_idr=50_000)
    assert fixed.down_payment_for(total_idr=370_000, units=2) == 100_000
    # A DP never asks for more than the order costs.
    assert fixed.down_payment_for(total_idr=40_000, units=1) == 40_000
