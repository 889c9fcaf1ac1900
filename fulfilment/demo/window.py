"""A PO window run in the past: the campaign published before it opened, orders placed day by day, each
evening's statement imported, and the close as the jobs would have made it, all through the services."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from campaigns.models import Campaign
from campaigns.postage import postage_rates_set
from campaigns.services import campaign_items_add_variants, campaign_publish
from catalog.models import Product
from orders.checkout import LineRequest, order_place
from orders.models import Order
from orders.services import order_expire_overdue

from ..services import campaign_close_due
from .bank import transfers_import
from .buyers import POSTAGE_FLAT_IDR, demo_buyer

Plan = Order.PaymentPlan
# The seller downloads the statement and imports it in the evening...
STATEMENT_HOUR, STATEMENT_MINUTE = 20, 30
# ...or this long before an order's time to pay runs out, when that comes first.
STATEMENT_BEFORE_DEADLINE = datetime.timedelta(minutes=15)
# "Bayar maksimal 3x24 jam": the time to pay most PO shops give.
PAY_WITHIN_HOURS = 72


@dataclass(frozen=True)
class DemoOrder:
    """One buyer's order: what, when in the window (days after the opening day, hour), how it is paid."""

    buyer: int
    lines: tuple[tuple[str, int, str], ...]  # (variant label, quantity, the line's note)
    day: int
    hour: int
    plan: str = Plan.FULL
    pays: bool = True  # False: never paid, it expires
    note: str = ""


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def campaign_in_the_past(
    *,
    slug: str,
    products: list[Product],
    published_at: datetime.datetime,
    **fields,
) -> Campaign:
    """A draft with every variant of `products` (and flat postage to the buyers' provinces), published at
    `published_at`, before its window."""
    fields.setdefault("unpaid_expiry_hours", PAY_WITHIN_HOURS)
    campaign = Campaign.objects.create(
        slug=slug,
        postage_mode=Campaign.PostageMode.FLAT_BY_PROVINCE,
        **fields,
    )
    variants = [
        variant
        for product in products
        for variant in product.variants.filter(is_active=True).prefetch_related("option_values").order_by("pk")
    ]
    campaign_items_add_variants(campaign=campaign, variants=variants)
    postage_rates_set(campaign=campaign, rates={name: (flat, None) for name, flat in POSTAGE_FLAT_IDR.items()})
    return campaign_publish(campaign=campaign, now=published_at)


def window_run(*, campaign: Campaign, orders: list[DemoOrder], seller) -> list[Order]:
    """Place `orders` in their window; the paying buyers transfer the same day, and the seller imports the
    statement in the evening before the first of their times to pay runs out (or just before it, on a PO
    that gives only hours). Returns the orders in the order given."""
    items = {
        item.variant.label: item
        for item in campaign.items.select_related("variant__product").prefetch_related("variant__option_values")
    }
    by_id = {item.pk: item for item in items.values()}
    opening_day = timezone.localdate(campaign.opens_at)

    def placed_at(spec: DemoOrder) -> datetime.datetime:
        return at(opening_day + datetime.timedelta(days=spec.day), spec.hour, (spec.buyer * 17) % 50)

    placed: dict[int, Order] = {}
    paying: list[tuple[Order, int, datetime.date]] = []
    import_at = None
    for position in sorted(range(len(orders)), key=lambda position: placed_at(orders[position])):
        spec, now = orders[position], placed_at(orders[position])
        if paying and now >= import_at:
            transfers_import(transfers=paying, seller=seller, now=import_at)
            paying, import_at = [], None
        order = order_place(
            campaign_id=campaign.pk,
            lines=[LineRequest(items[label].pk, quantity, note) for label, quantity, note in spec.lines],
            buyer=demo_buyer(spec.buyer, spec.note),
            payment_plan=spec.plan,
            terms_accepted=True,
            now=now,
            campaign=campaign,
            items=by_id,
        )
        placed[position] = order
        if spec.pays:
            paying.append((order, order.first_transfer_idr, timezone.localdate(now)))
            # Every first payment is in before the window closes: the PO's goal and tally count them.
            latest = _import_by(placed_at=now, deadline=min(order.payment_deadline, campaign.closes_at))
            import_at = latest if import_at is None else min(import_at, latest)
    transfers_import(transfers=paying, seller=seller, now=import_at)
    return [placed[position] for position in range(len(orders))]


def _import_by(*, placed_at: datetime.datetime, deadline: datetime.datetime) -> datetime.datetime:
    """When the seller imports the statement showing an order's first transfer at the latest: the last
    evening before its time to pay runs out, or just before then when that comes sooner."""
    latest = deadline - STATEMENT_BEFORE_DEADLINE
    evening = at(timezone.localdate(latest), STATEMENT_HOUR, STATEMENT_MINUTE)
    if evening > latest:
        evening -= datetime.timedelta(days=1)
    return evening if evening > placed_at else latest


def window_close(campaign: Campaign) -> Campaign:
    """A minute after the window ends, as the jobs run: unpaid orders past their deadline expire, then the
    PO closes (or fails, when it missed its goal)."""
    closing = campaign.closes_at + datetime.timedelta(minutes=1)
    order_expire_overdue(now=closing)
    campaign_close_due(now=closing)
    return Campaign.objects.get(pk=campaign.pk)
