"""Closing a PO when its window ends (or failing it, when it missed its goal), and cancelling a PO.

A failed or cancelled PO ends every live order with a refund of what it paid.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.models import Campaign
from campaigns.services import (
    ALLOWED_STAGE_MOVES,
    campaign_mark_cancelled,
    campaign_mark_failed,
    campaign_mark_tallying,
)
from orders.locks import rows_lock
from orders.models import Order
from orders.services import system_reason
from payments.models import Payment, Refund
from payments.services import order_end_with_refund

from ..exceptions import StepRefused
from ..selectors import campaign_paid_units
from .each import campaigns_step_each

Stage = Campaign.Stage
# Orders a failed or cancelled PO ends: every live one not shipped yet.
ENDED_BY_CAMPAIGN = Order.UNSHIPPED_STATUSES


def campaign_close_due(*, now: datetime.datetime) -> int:
    """Close each published campaign whose window has ended, once.

    One that met its goal (or has none, or goes ahead anyway) moves to
    "closed, tallying". A campaign that missed its minimum goal with the refund policy fails:
    every live order is cancelled, its units freed and what it paid recorded
    as a refund due. Safe to run twice or at the same time.
    """
    due_ids = Campaign.objects.filter(
        stage=Stage.PUBLISHED, closes_at__lte=now, close_processed_at__isnull=True
    ).values_list("pk", flat=True)

    def close(campaign: Campaign) -> bool:
        if campaign.close_processed_at is not None or campaign.stage != Stage.PUBLISHED or campaign.closes_at > now:
            return False
        if (
            campaign.minimum_goal_units
            and Payment.objects.filter(
                order__campaign=campaign, order__status__in=Order.PAYABLE_STATUSES, status=Payment.Status.PENDING
            ).exists()
        ):
            # The goal counts paid units: decide once the seller has checked every payment sent.
            return False
        goal_missed = bool(campaign.minimum_goal_units) and campaign_paid_units(campaign) < campaign.minimum_goal_units
        if goal_missed and campaign.goal_missed_policy == Campaign.GoalMissedPolicy.REFUND:
            _campaign_fail(campaign=campaign, now=now)
        else:
            # The tally follows once no first payment is possible (fulfilment.services.production).
            campaign_mark_tallying(campaign=campaign, now=now)
        Campaign.objects.filter(pk=campaign.pk).update(close_processed_at=now)
        return True

    return campaigns_step_each(due_ids, close)


def _campaign_fail(*, campaign: Campaign, now: datetime.datetime) -> None:
    """Fail a locked campaign at closing: it missed its goal, so every buyer gets back what they paid."""
    campaign_mark_failed(campaign=campaign, now=now)
    _campaign_orders_end(
        campaign=campaign,
        reason=system_reason(
            gettext_noop("The PO did not reach its minimum goal, so it is cancelled and every payment refunded.")
        ),
        actor=None,
        now=now,
    )


def campaign_cancel(*, campaign: Campaign, reason: str, actor, now: datetime.datetime) -> Campaign:
    """The seller calls a PO off: every live order is cancelled and what it paid refunded."""
    if not reason.strip():
        raise StepRefused(_("Give the buyers a reason."))
    with transaction.atomic():
        campaign = rows_lock(campaign_ids=[campaign.pk]).campaign
        if Stage.CANCELLED not in ALLOWED_STAGE_MOVES[campaign.stage]:
            raise StepRefused(
                _("%(campaign)s is %(stage)s and can no longer be cancelled; cancel single orders instead.")
                % {"campaign": campaign.title, "stage": campaign.get_stage_display().lower()}
            )
        _campaign_orders_end(campaign=campaign, reason=reason.strip(), actor=actor, now=now)
        campaign = campaign_mark_cancelled(campaign=campaign, now=now)
    return campaign


def _campaign_orders_end(*, campaign: Campaign, reason: str, actor, now: datetime.datetime) -> None:
    """Cancel every live order of a locked campaign and record refunds of what each paid."""
    live = rows_lock(
        orders=Order.objects.filter(campaign=campaign, status__in=ENDED_BY_CAMPAIGN), with_campaigns=False
    ).orders
    for order in live.values():
        if order.status not in ENDED_BY_CAMPAIGN:
            continue
        order_end_with_refund(
            order=order, refund_reason=Refund.Reason.CAMPAIGN_FAILED, reason=reason, actor=actor, by="system", now=now
        )
