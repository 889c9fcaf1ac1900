"""Row locks in one order everywhere: campaigns, then orders, then payments or refunds, each kind by primary key.

Two transactions that lock rows in the same order wait for each other; two
that lock them in opposite orders can deadlock (a buyer's cancel against the
seller's "Mark shipped" of the same order). Every service that locks more than
one row takes its locks through `rows_lock`, so the order is kept in one place.
The checkout is the one exception: it locks nothing but its campaign's row
(with the UPDATE that reserves units), after inserting rows nobody else holds.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Model, QuerySet

from campaigns.models import Campaign

from .models import Order


@dataclass
class Locked:
    """What `rows_lock` locked, by primary key, in the order it locked them."""

    campaigns: dict[int, Campaign] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    then: list[list[Model]] = field(default_factory=list)

    @property
    def campaign(self) -> Campaign:
        """The one campaign locked; for the services that lock one."""
        (campaign,) = self.campaigns.values()
        return campaign

    @property
    def order(self) -> Order:
        """The one order locked; for the services that lock one."""
        (order,) = self.orders.values()
        return order


def rows_lock(
    *,
    campaign_ids: Iterable[int] = (),
    order_ids: Iterable[int] = (),
    orders: QuerySet | None = None,
    with_campaigns: bool = True,
    order_related: Sequence[str] = (),
    order_prefetch: Sequence[str] = (),
    then: Sequence[QuerySet] = (),
) -> Locked:
    """Lock, inside the caller's transaction and in this order: the campaigns (`campaign_ids`, and those of
    the orders unless `with_campaigns` is false), the orders (`order_ids`, and those `orders` selects), then
    each queryset of `then` (payments, refunds), every kind sorted by primary key.

    The rows `orders` selected were chosen before the lock: check again what the caller counts on
    (a status, a deadline). Orders come back with `order_related` joined and `order_prefetch` read after the lock, so what they
    hold is what is committed. A campaign is locked FOR NO KEY UPDATE: an order being placed (which only
    shares the campaign's key) is not kept waiting by it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rows_lock needs a transaction: the locks last until it ends.")
    order_ids = set(order_ids)
    if orders is not None:
        order_ids |= set(orders.values_list("pk", flat=True))
    campaign_ids = set(campaign_ids)
    if with_campaigns and order_ids:
        # An order never changes campaign, so reading its campaign before any lock is safe.
        campaign_ids |= set(Order.objects.filter(pk__in=order_ids).values_list("campaign_id", flat=True))
    locked = Locked()
    if campaign_ids:
        locked.campaigns = {
            campaign.pk: campaign
            for campaign in Campaign.objects.select_for_update(no_key=True).filter(pk__in=campaign_ids).order_by("pk")
        }
    if order_ids:
        queryset = Order.objects.select_for_update(of=("self",)).filter(pk__in=order_ids).order_by("pk")
        if order_related:
            queryset = queryset.select_related(*order_related)
        if order_prefetch:
            queryset = queryset.prefetch_related(*order_prefetch)
        locked.orders = {order.pk: order for order in queryset}
    locked.then = [list(queryset.select_for_update().order_by("pk")) for queryset in then]
    return locked
