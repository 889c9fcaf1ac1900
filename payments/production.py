"""After closing: a PO in "closed, tallying" goes into production once no first
payment is still possible; its unpaid orders end, the tally is taken and the
stage moves, in one transaction under the campaign lock."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.models import Campaign
from campaigns.services import campaign_stage_move
from orders.models import Order, ProductionTally
from orders.production import production_tally_take
from orders.services import system_reason

from .exceptions import PaymentNotAccepted
from .models import Payment, Refund
from .services import _order_end_with_refund

Stage = Campaign.Stage


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
    if now < window_ends and unpaid.exists():
        return _("%(count)d unpaid orders may still pay until %(time)s.") % {
            "count": unpaid.count(),
            "time": f"{timezone.localtime(window_ends):%d-%m-%Y %H:%M} WIB",
        }
    return ""


def _production_start_locked(*, campaign: Campaign, now: datetime.datetime) -> ProductionTally:
    unpaid = Order.objects.select_for_update().filter(campaign=campaign, status=Order.Status.PENDING_PAYMENT)
    for order in unpaid.order_by("pk"):
        # Partly paid or not at all: it is not made, and anything it holds goes back.
        _order_end_with_refund(
            order=order,
            refund_reason=Refund.Reason.ORDER_CANCELLED,
            reason=system_reason(gettext_noop("Not paid when the PO went into production.")),
            actor=None,
            by="system",
            now=now,
        )
    tally = production_tally_take(campaign=campaign, now=now)
    campaign_stage_move(campaign=campaign, to_stage=Stage.IN_PRODUCTION, now=now)
    return tally


def campaign_production_start(*, campaign: Campaign, now: datetime.datetime) -> ProductionTally:
    """Take the tally and start production now, or raise PaymentNotAccepted saying what waits."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
        blocker = campaign_production_blocker(campaign=campaign, now=now)
        if blocker:
            raise PaymentNotAccepted(blocker)
        return _production_start_locked(campaign=campaign, now=now)


def campaign_production_due(*, now: datetime.datetime) -> int:
    """The job: every tallying PO that can go into production does, once. Safe to run twice or at once."""
    started = 0
    for campaign_id in Campaign.objects.filter(stage=Stage.TALLYING).values_list("pk", flat=True):
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
            if campaign_production_blocker(campaign=campaign, now=now):
                continue
            _production_start_locked(campaign=campaign, now=now)
            started += 1
    return started


def campaign_tally_recompute(*, campaign: Campaign, now: datetime.datetime) -> ProductionTally:
    """The seller counts again (after a late cancellation, say); the same orders give the same numbers."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
        if campaign.stage not in (Stage.IN_PRODUCTION, Stage.SHIPPING, Stage.COMPLETED):
            raise PaymentNotAccepted(_("The tally is taken when the PO goes into production."))
        return production_tally_take(campaign=campaign, now=now)
