"""Reserving an order's units: take the campaign's lock, reserve the units on the campaign and on each item
where they are left, and give back the campaign's terms and the items' prices as they are under the lock.

Two implementations of one rule (see vendor.py): orm.py, the readable reference, on SQLite; postgresql.py,
one prepared statement, on PostgreSQL.
"""

import datetime

from django.db import transaction

from catalog.page_cache import pages_changed

from ..vendor import by_vendor
from . import orm, postgresql
from .common import ORDER_TERMS, Reserved, campaign_closed_message

__all__ = ["ORDER_TERMS", "Reserved", "campaign_closed_message", "units_reserve"]

_units_reserve = by_vendor(postgresql=postgresql.units_reserve, orm=orm.units_reserve)


def units_reserve(*, campaign_id: int, units: int, wanted: dict[int, int], now: datetime.datetime) -> Reserved:
    """Reserve `units` on the campaign, and each item's quantity ({item id: quantity}) where it is left, or
    raise CampaignNotOpen or QuotaExceeded when the campaign takes none. Call inside the order's
    transaction: the campaign's lock is held until it ends."""
    reserved = _units_reserve(campaign_id=campaign_id, units=units, wanted=wanted, now=now)
    if reserved.sold_out:
        # Sold out (the PO, or a variant): the pages say so at once.
        transaction.on_commit(pages_changed)
    return reserved
