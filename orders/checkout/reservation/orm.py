"""The reservation in plain ORM: the readable reference of the rule, run on SQLite.

reservation/postgresql.py does the same in one statement; tests/orders/test_checkout_parity.py holds them
to the same results.
"""

import datetime
import time

from django.db.models import F

from campaigns.models import Campaign, CampaignItem

from .common import ORDER_TERMS, Reserved, campaign_refusal


def units_reserve(*, campaign_id: int, units: int, wanted: dict[int, int], now: datetime.datetime) -> Reserved:
    """Lock the campaign's row; if it is open and has `units` left, reserve them on it, then lock the wanted
    items on sale ({item id: quantity}) in the order of their ids and reserve each one's quantity where it
    is left. Raises CampaignNotOpen or QuotaExceeded when the campaign takes none.

    SQLite has no row locks (select_for_update does nothing there): the order's insert before this took the
    database's write lock, held to COMMIT, so no other checkout counts meanwhile.
    """
    campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
    locked_at = time.time()
    is_open = campaign.status_at(now) == Campaign.Status.OPEN
    if not is_open or (campaign.quota_total is not None and campaign.units_reserved + units > campaign.quota_total):
        raise campaign_refusal(campaign, now)
    Campaign.objects.filter(pk=campaign_id).update(units_reserved=F("units_reserved") + units)
    campaign.units_reserved += units
    sold_out = campaign.units_reserved == campaign.quota_total

    prices = {}
    items = (
        CampaignItem.objects.on_sale()
        .filter(campaign_id=campaign_id, pk__in=wanted)
        .select_for_update(no_key=True, of=("self",))
        .order_by("pk")
    )
    for item in items:
        reserved = item.units_reserved + wanted[item.pk]
        if item.quota is not None and reserved > item.quota:
            continue  # not enough left: the caller says so
        CampaignItem.objects.filter(pk=item.pk).update(units_reserved=F("units_reserved") + wanted[item.pk])
        prices[item.pk] = item.price_idr
        sold_out = sold_out or reserved == item.quota
    return Reserved(
        terms={name: getattr(campaign, name) for name in ORDER_TERMS},
        prices=prices,
        locked_at=locked_at,
        sold_out=sold_out,
    )
