"""Completion: an order completes when the buyer confirms receipt or some days after shipping; a PO
completes when every one of its orders has ended, in the transaction that ended the last one (the hourly
job completes any PO left behind)."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from campaigns.models import Campaign
from campaigns.services import campaign_mark_completed
from orders.locks import rows_lock
from orders.models import Order
from orders.services import order_transition, system_reason

from ..exceptions import ShippingError, StepRefused
from .each import campaigns_step_each

Status = Order.Status
Stage = Campaign.Stage


def order_receipt_confirm(*, order: Order, now: datetime.datetime) -> Order:
    """The buyer says the parcel arrived."""
    with transaction.atomic():
        locked = rows_lock(order_ids=[order.pk])
        order = locked.order
        if order.status == Status.COMPLETED:
            return order
        if order.status != Status.SHIPPED:
            raise ShippingError(_("This order has not shipped yet."))
        _complete_locked(
            campaign=locked.campaign,
            order=order,
            now=now,
            reason=system_reason(gettext_noop("The buyer confirmed receipt.")),
            by="buyer",
        )
    return order


def _complete_locked(*, campaign: Campaign, order: Order, now: datetime.datetime, reason: str, by: str) -> None:
    """Complete the order, and its PO when it was the last order not ended. Call with both locked, campaign
    first (rows_lock): two last orders completed at once wait for each other on the campaign's row."""
    order.completed_at = now
    order.save(update_fields=["completed_at"])
    order_transition(order=order, to_status=Status.COMPLETED, now=now, actor_label=by, reason=reason)
    if campaign.stage == Stage.SHIPPING and not _orders_not_ended(campaign):
        campaign_mark_completed(campaign=campaign, now=now)


def orders_complete_due(*, now: datetime.datetime) -> int:
    """The job: orders shipped their campaign's number of days ago complete, each with its PO when it was
    the last; then any PO whose orders all ended some other way (the safety net)."""
    completed = 0
    shipped = Order.objects.filter(status=Status.SHIPPED, shipped_at__isnull=False).select_related("campaign")
    for order_id, shipped_at, days in shipped.values_list("pk", "shipped_at", "campaign__auto_complete_days"):
        if shipped_at + datetime.timedelta(days=days) > now:
            continue
        with transaction.atomic():
            locked = rows_lock(order_ids=[order_id])
            order = locked.order
            if order.status != Status.SHIPPED:
                continue
            _complete_locked(
                campaign=locked.campaign,
                order=order,
                now=now,
                reason=system_reason(gettext_noop("Completed %(days)d days after shipping."), days=days),
                by="system",
            )
            completed += 1
    campaigns_complete_due(now=now)
    return completed


def campaigns_complete_due(*, now: datetime.datetime) -> int:
    """The job: a shipping PO completes once every order is completed, cancelled or expired (refunded)."""

    def complete(campaign: Campaign) -> bool:
        if campaign.stage != Stage.SHIPPING or _orders_not_ended(campaign):
            return False
        campaign_mark_completed(campaign=campaign, now=now)
        return True

    return campaigns_step_each(Campaign.objects.filter(stage=Stage.SHIPPING).values_list("pk", flat=True), complete)


def campaign_complete(*, campaign: Campaign, now: datetime.datetime) -> Campaign:
    """The seller marks a shipping PO completed; refused while any of its orders has not ended."""
    with transaction.atomic():
        campaign = rows_lock(campaign_ids=[campaign.pk]).campaign
        if campaign.stage != Stage.SHIPPING:
            raise StepRefused(
                _("%(campaign)s is %(stage)s; only a PO being shipped is completed.")
                % {"campaign": campaign.title, "stage": campaign.get_stage_display().lower()}
            )
        live = _orders_not_ended(campaign)
        if live:
            raise StepRefused(
                ngettext(
                    "%(campaign)s still has %(count)d order not completed, cancelled or expired.",
                    "%(campaign)s still has %(count)d orders not completed, cancelled or expired.",
                    live,
                )
                % {"campaign": campaign.title, "count": live}
            )
        return campaign_mark_completed(campaign=campaign, now=now)


def _orders_not_ended(campaign: Campaign) -> int:
    return Order.objects.filter(campaign=campaign).exclude(status__in=Order.ENDED_STATUSES).count()
