"""After closing: the production tally, and the step into production.

A PO in "closed, tallying" goes into production once no first payment is still
possible: its unpaid orders end, the tally is taken and the stage moves, in one
transaction under the campaign lock. The tally counts the paid units per item
(one aggregate by the database), stored as a snapshot that the same orders
always recompute to the same numbers. The seller need not wait for the unpaid
orders' time to run out: they can be cancelled in one step, and then the tally
can be taken.
"""

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from campaigns.models import Campaign, CampaignItem
from campaigns.services import campaign_mark_in_production
from catalog.models import OptionValue
from orders.locks import rows_lock
from orders.models import Order, OrderLine
from orders.services import system_reason
from payments.models import Payment, Refund
from payments.services import order_end_with_refund

from ..exceptions import StepRefused
from ..models import ProductionTally, ProductionTallyLine, ProductionTallyNote
from .each import campaigns_step_each

Stage = Campaign.Stage


def production_tally_take(*, campaign: Campaign, now: datetime.datetime) -> ProductionTally:
    """Count the paid units per item and store them, replacing any earlier tally.

    Call with the campaign locked (or let this lock it): the replacement is one
    transaction, so the same orders always give the same numbers, once.
    """
    with transaction.atomic():
        campaign = rows_lock(campaign_ids=[campaign.pk]).campaign
        ProductionTally.objects.filter(campaign=campaign).delete()
        paid_lines = OrderLine.objects.filter(order__campaign=campaign, order__status__in=Order.PAID_STATUSES)
        counts = {
            row["campaign_item_id"]: row
            for row in paid_lines.values("campaign_item_id").annotate(
                units=Sum("quantity"), orders=Count("order_id", distinct=True)
            )
        }
        totals = paid_lines.aggregate(units=Sum("quantity", default=0), orders=Count("order_id", distinct=True))
        tally = ProductionTally.objects.create(
            campaign=campaign, taken_at=now, orders=totals["orders"], units=totals["units"]
        )
        values = OptionValue.objects.select_related("option_type").order_by("option_type__position", "position", "pk")
        items = (
            CampaignItem.objects.filter(pk__in=counts)
            .select_related("variant__product")
            .prefetch_related(Prefetch("variant__option_values", queryset=values))
            .order_by("variant__product__name", "variant__product_id", "position", "pk")
        )
        lines = ProductionTallyLine.objects.bulk_create(
            [
                ProductionTallyLine(
                    tally=tally,
                    campaign_item=item,
                    product_id_at_tally=item.variant.product_id,
                    product_name=item.variant.product.name,
                    variant_label=item.variant.label,
                    sku=item.variant.sku,
                    options=[
                        [value.option_type.name, value.value, value.position]
                        for value in item.variant.option_values.all()
                    ],
                    position=position,
                    orders=counts[item.pk]["orders"],
                    units=counts[item.pk]["units"],
                )
                for position, item in enumerate(items)
            ]
        )
        line_by_item = {line.campaign_item_id: line for line in lines}
        ProductionTallyNote.objects.bulk_create(
            [
                ProductionTallyNote(
                    line=line_by_item[row["campaign_item_id"]],
                    order_number=row["order__number"],
                    quantity=row["quantity"],
                    note=row["note"],
                )
                for row in paid_lines.exclude(note="")
                .values("campaign_item_id", "order__number", "quantity", "note")
                .order_by("order_id", "pk")
                .iterator(chunk_size=2000)
            ],
            batch_size=2000,
        )
    return tally


def campaign_production_blocker(*, campaign: Campaign, now: datetime.datetime) -> str:
    """Why the tally must wait, or "" when no first payment can come any more."""
    if campaign.stage != Stage.TALLYING:
        return _("Only a closed PO that is tallying goes into production.")
    if Payment.objects.filter(
        order__campaign=campaign, order__status=Order.Status.PENDING_PAYMENT, status=Payment.Status.PENDING
    ).exists():
        # The buyer paid in time; the seller's check decides whether the order is made.
        return _("Transfer proofs are waiting for your check; confirm or reject them first.")
    window_ends = campaign.closes_at + datetime.timedelta(hours=campaign.unpaid_expiry_hours)
    unpaid = Order.objects.filter(campaign=campaign, status=Order.Status.PENDING_PAYMENT)
    count = unpaid.count() if now < window_ends else 0
    if count:
        return ngettext(
            "%(count)d unpaid order may still pay until %(time)s.",
            "%(count)d unpaid orders may still pay until %(time)s.",
            count,
        ) % {"count": count, "time": f"{timezone.localtime(window_ends):%d-%m-%Y %H:%M} WIB"}
    return ""


def production_holdups(*, campaign: Campaign) -> QuerySet[Order]:
    """The unpaid orders that hold a tallying PO back, oldest first, each with its proofs waiting for the
    seller's check (`proofs_waiting`): one query."""
    return (
        Order.objects.filter(campaign=campaign, status=Order.Status.PENDING_PAYMENT)
        .annotate(proofs_waiting=Count("payments", filter=Q(payments__status=Payment.Status.PENDING)))
        .order_by("created_at", "pk")
    )


def campaign_unpaid_orders_cancel(
    *, campaign: Campaign, order_ids: Iterable[int], reason: str, actor, now: datetime.datetime
) -> list[Order]:
    """The seller cancels in one step the unpaid orders holding the tally back, as the orders' Cancel does:
    whatever one holds is refunded and each buyer gets the usual message. An order paid in the meantime, or
    with a proof waiting for the seller's check, is left alone. Returns the orders cancelled."""
    reason = reason.strip()
    if not reason:
        raise StepRefused(_("Give a reason; the buyers see it."))
    with transaction.atomic():
        # The campaign, then its orders, each by primary key: the house order (orders.locks).
        locked = rows_lock(
            campaign_ids=[campaign.pk],
            orders=Order.objects.filter(pk__in=list(order_ids), campaign=campaign, status=Order.Status.PENDING_PAYMENT),
        )
        campaign = locked.campaign
        if campaign.stage != Stage.TALLYING:
            raise StepRefused(_("Only the unpaid orders of a closed PO that is tallying are cancelled here."))
        proof_waiting = set(
            Payment.objects.filter(order_id__in=locked.orders, status=Payment.Status.PENDING).values_list(
                "order_id", flat=True
            )
        )
        cancelled = []
        for order in locked.orders.values():
            if order.status != Order.Status.PENDING_PAYMENT or order.pk in proof_waiting:
                continue
            order_end_with_refund(
                order=order,
                refund_reason=Refund.Reason.ORDER_CANCELLED,
                reason=reason,
                actor=actor,
                by="seller",
                now=now,
            )
            cancelled.append(order)
    return cancelled


def _production_start_locked(*, campaign: Campaign, now: datetime.datetime) -> ProductionTally:
    unpaid = rows_lock(
        orders=Order.objects.filter(campaign=campaign, status=Order.Status.PENDING_PAYMENT), with_campaigns=False
    ).orders
    for order in unpaid.values():
        if order.status != Order.Status.PENDING_PAYMENT:
            continue
        # Partly paid or not at all: it is not made, and anything it holds goes back.
        order_end_with_refund(
            order=order,
            refund_reason=Refund.Reason.ORDER_CANCELLED,
            reason=system_reason(gettext_noop("Not paid when the PO went into production.")),
            actor=None,
            by="system",
            now=now,
        )
    tally = production_tally_take(campaign=campaign, now=now)
    campaign_mark_in_production(campaign=campaign, now=now)
    return tally


def campaign_production_start(*, campaign: Campaign, now: datetime.datetime) -> ProductionTally:
    """Take the tally and start production now, or raise StepRefused saying what waits."""
    with transaction.atomic():
        campaign = rows_lock(campaign_ids=[campaign.pk]).campaign
        blocker = campaign_production_blocker(campaign=campaign, now=now)
        if blocker:
            raise StepRefused(blocker)
        return _production_start_locked(campaign=campaign, now=now)


def campaign_production_due(*, now: datetime.datetime) -> int:
    """The job: every tallying PO that can go into production does, once. Safe to run twice or at once."""

    def start(campaign: Campaign) -> bool:
        if campaign_production_blocker(campaign=campaign, now=now):
            return False
        _production_start_locked(campaign=campaign, now=now)
        return True

    return campaigns_step_each(Campaign.objects.filter(stage=Stage.TALLYING).values_list("pk", flat=True), start)


def campaign_tally_recompute(*, campaign: Campaign, now: datetime.datetime) -> ProductionTally:
    """The seller counts again (after a late cancellation, say); the same orders give the same numbers."""
    with transaction.atomic():
        campaign = rows_lock(campaign_ids=[campaign.pk]).campaign
        if campaign.stage not in (Stage.IN_PRODUCTION, Stage.SHIPPING, Stage.COMPLETED):
            raise StepRefused(_("The tally is taken when the PO goes into production."))
        return production_tally_take(campaign=campaign, now=now)
