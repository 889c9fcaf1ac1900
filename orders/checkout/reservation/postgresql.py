"""The reservation on PostgreSQL: reservation/orm.py's rule in one prepared statement, so that the
campaign's lock is held for one round trip. tests/orders/test_checkout_parity.py holds the two to the same
results."""

import datetime
import functools

from django.db import connection

from campaigns.models import Campaign, CampaignItem
from catalog.models import Product, Variant

from ...prepared import execute_prepared, rows_named
from .common import ORDER_TERMS, Reserved, campaign_refusal

# The variants on sale: CampaignItem.objects.on_sale() in SQL (tests/orders/test_checkout_parity.py checks they agree).
ON_SALE_VARIANTS_SQL = (
    f"SELECT v.id FROM {Variant._meta.db_table} v JOIN {Product._meta.db_table} p"  # noqa: S608 - model names
    " ON p.id = v.product_id WHERE v.is_active AND p.is_active"
)


def units_reserve(*, campaign_id: int, units: int, wanted: dict[int, int], now: datetime.datetime) -> Reserved:
    """As reservation/orm.py's units_reserve, in one statement. The items' UPDATE runs only once the
    campaign's has given its row, so the campaign's row is locked first; when the campaign's UPDATE changed
    nothing, it is read again to say why (the caller's transaction rolls back)."""
    ids = sorted(wanted)
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            "units_reserve",
            ["integer", "bigint", "text", "timestamptz", "bigint[]", "integer[]"],
            units_reserve_sql(),
            [
                units,
                campaign_id,
                Campaign.Stage.PUBLISHED,
                connection.ops.adapt_datetimefield_value(now),
                ids,
                [wanted[item_id] for item_id in ids],
            ],
        )
        rows = rows_named(cursor)
    if not rows:
        raise campaign_refusal(Campaign.objects.get(pk=campaign_id), now)
    campaign = rows[0]
    items = [row for row in rows if row["item_id"] is not None]
    return Reserved(
        terms={name: campaign[name] for name in ORDER_TERMS},
        prices={row["item_id"]: row["item_price_idr"] for row in items},
        locked_at=campaign["locked_at"].timestamp(),
        sold_out=campaign["units_reserved"] == campaign["quota_total"]
        or any(row["item_units_reserved"] == row["item_quota"] for row in items),
    )


@functools.cache
def units_reserve_sql() -> str:
    """The statement, with $1 units, $2 the campaign, $3 the published stage, $4 now, $5 the items' ids and
    $6 their quantities. The items' UPDATE waits for the campaign's row (its EXISTS is evaluated once,
    before the items are read), and none runs when the campaign's changed nothing. One row per item
    reserved, or one with the items' columns NULL when none was."""
    return (
        f"WITH reserved_campaign AS (UPDATE {Campaign._meta.db_table}"  # noqa: S608 - names from the models
        " SET units_reserved = units_reserved + $1"
        " WHERE id = $2 AND stage = $3 AND opens_at <= $4 AND closes_at > $4"
        " AND (quota_total IS NULL OR units_reserved + $1 <= quota_total)"
        f" RETURNING clock_timestamp() AS locked_at, units_reserved, quota_total, {', '.join(ORDER_TERMS)})"
        f", reserved_items AS (UPDATE {CampaignItem._meta.db_table} i"
        " SET units_reserved = i.units_reserved + wanted.quantity FROM unnest($5, $6) AS wanted(id, quantity)"
        " WHERE EXISTS (SELECT FROM reserved_campaign) AND i.id = wanted.id AND i.id = ANY($5) AND i.campaign_id = $2"
        " AND (i.quota IS NULL OR i.units_reserved + wanted.quantity <= i.quota)"
        f" AND i.variant_id IN ({ON_SALE_VARIANTS_SQL})"
        " RETURNING i.id AS item_id, i.price_idr AS item_price_idr, i.units_reserved AS item_units_reserved,"
        " i.quota AS item_quota)"
        " SELECT c.*, i.* FROM reserved_campaign c LEFT JOIN reserved_items i ON true"
    )
