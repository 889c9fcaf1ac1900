"""What both reservations share: the campaign's terms an order is built from, what a reservation gives
back, and why a campaign takes no units."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from campaigns.models import Campaign

from ...exceptions import CampaignNotOpen, QuotaExceeded

# The campaign's terms an order is built from: a change to any of them before the lock means reading again.
ORDER_TERMS = (
    "payment_terms",
    "dp_kind",
    "dp_percent",
    "dp_fixed_per_unit_idr",
    "balance_due_date",
    "unpaid_expiry_hours",
    "quick_pay_minutes",
    "postage_mode",
    "postage_timing",
    "per_buyer_limit",
)


@dataclass(frozen=True)
class Reserved:
    """What a reservation took, under the campaign's lock."""

    terms: dict  # {name: value} of ORDER_TERMS, as the campaign's row holds them now
    prices: dict[int, int]  # {item id: price} of the items whose units were reserved; the others had none left
    locked_at: float  # when the campaign's lock was taken (time.time())
    sold_out: bool  # the campaign, or one of the items, has no unit left now


def campaign_closed_message(campaign: Campaign, now: datetime.datetime) -> str:
    if campaign.status_at(now) == Campaign.Status.COMING_SOON:
        return _("This PO has not opened yet; come back when it opens.")
    return _("This PO is closed; orders are no longer taken.")


def campaign_refusal(campaign: Campaign, now: datetime.datetime) -> CampaignNotOpen | QuotaExceeded:
    """Why `campaign` (its row as it is now) took no units: it is not open, or else its quota is reached."""
    if campaign.status_at(now) != Campaign.Status.OPEN:
        return CampaignNotOpen(campaign_closed_message(campaign, now))
    return QuotaExceeded(label=campaign.title, units_left=campaign.units_left or 0)
