"""A delay, with the buyer's consent: every live buyer is told once, and each may
keep the order or cancel it and get back everything paid (PRODUCT.md: a seller
failure is always refunded). A buyer who does not answer keeps the order."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.models import Campaign, CampaignUpdate
from campaigns.services import campaign_update_post
from orders.models import DelayResponse, Message, Order
from orders.outbox import messages_queue_bulk
from orders.services import system_reason

from .exceptions import PaymentNotAccepted
from .models import Refund
from .services import _order_end_with_refund

Status = Order.Status
# Orders a delay concerns: not yet shipped, not ended.
DELAY_AFFECTED = (Status.PENDING_PAYMENT, Status.DP_PAID, Status.PAID)


def update_is_delay(update: CampaignUpdate) -> bool:
    return bool(
        update.new_estimated_ship_date
        and update.previous_estimated_ship_date
        and update.new_estimated_ship_date > update.previous_estimated_ship_date
    )


def campaign_update_announce(
    *,
    campaign: Campaign,
    message: str,
    new_estimated_ship_date: datetime.date | None,
    posted_by=None,
    now: datetime.datetime,
) -> CampaignUpdate:
    """Post an update and tell every live buyer of the PO, once each, in the same transaction."""
    with transaction.atomic():
        update = campaign_update_post(
            campaign=campaign,
            message=message,
            new_estimated_ship_date=new_estimated_ship_date,
            posted_by=posted_by,
            now=now,
        )
        kind = "delay_announced" if update_is_delay(update) else "campaign_update"
        orders = Order.objects.filter(campaign=campaign, status__in=DELAY_AFFECTED).values_list(
            "pk", "email", "phone", "language"
        )
        messages_queue_bulk(
            [
                Message(
                    kind=kind,
                    key=f"update:{update.pk}:order:{order_id}",
                    order_id=order_id,
                    to_email=email,
                    to_phone=phone,
                    language=language,
                    params={"update_id": update.pk},
                )
                for order_id, email, phone, language in orders.iterator(chunk_size=2000)
            ],
            now=now,
        )
    return update


def order_latest_delay(order: Order, updates: list[CampaignUpdate]) -> CampaignUpdate | None:
    """The latest delay announced after the order was placed (one placed later accepted the new date)."""
    delays = [update for update in updates if update_is_delay(update)]
    if not delays:
        return None
    latest = max(delays, key=lambda update: (update.posted_at, update.pk))
    return latest if latest.posted_at >= order.created_at else None


def order_open_delay(order: Order, updates: list[CampaignUpdate]) -> CampaignUpdate | None:
    """The delay this buyer may answer: the latest, while the order is live and not shipped."""
    return order_latest_delay(order, updates) if order.status in DELAY_AFFECTED else None


def order_delay_respond(*, order: Order, update_id: int, choice: str, now: datetime.datetime) -> DelayResponse:
    """Record the buyer's answer once; "cancel" ends the order and records a refund of all it paid."""
    if choice not in DelayResponse.Choice.values:
        raise PaymentNotAccepted(_("Choose to keep the order or to cancel it."))
    with transaction.atomic():
        Campaign.objects.select_for_update(no_key=True).get(pk=order.campaign_id)
        order = Order.objects.select_for_update().get(pk=order.pk)
        updates = list(CampaignUpdate.objects.filter(campaign_id=order.campaign_id))
        open_delay = order_open_delay(order, updates)
        if open_delay is None or open_delay.pk != update_id:
            raise PaymentNotAccepted(_("This delay no longer asks for an answer on this order."))
        answered = DelayResponse.objects.filter(order=order, update=open_delay).first()
        if answered is not None:
            raise PaymentNotAccepted(
                _("You already answered: %(choice)s.") % {"choice": answered.get_choice_display().lower()}
            )
        response = DelayResponse.objects.create(order=order, update=open_delay, choice=choice, answered_at=now)
        if choice == DelayResponse.Choice.CANCEL:
            _order_end_with_refund(
                order=order,
                refund_reason=Refund.Reason.DELAY,
                reason=system_reason(
                    gettext_noop("Cancelled by the buyer after the delay to %(date)s."),
                    date=open_delay.new_estimated_ship_date.strftime("%d-%m-%Y"),
                ),
                actor=None,
                by="buyer",
                now=now,
            )
    return response


@dataclass
class DelaySummary:
    update: CampaignUpdate
    buyers_told: int
    kept: int
    cancelled: int

    @property
    def not_answered(self) -> int:
        return max(self.buyers_told - self.kept - self.cancelled, 0)


def campaign_delay_summaries(*, campaign: Campaign) -> list[DelaySummary]:
    """Per delay: buyers told, and who kept or cancelled (two queries)."""
    delays = [update for update in campaign.updates.order_by("-posted_at", "-pk") if update_is_delay(update)]
    told = dict(
        Message.objects.filter(kind="delay_announced", params__update_id__in=[update.pk for update in delays])
        .values_list("params__update_id")
        .annotate(count=Count("pk"))
    )
    answers = {
        row["update_id"]: row
        for row in DelayResponse.objects.filter(update__in=delays)
        .values("update_id")
        .annotate(
            kept=Count("pk", filter=Q(choice=DelayResponse.Choice.KEEP)),
            cancelled=Count("pk", filter=Q(choice=DelayResponse.Choice.CANCEL)),
        )
    }
    return [
        DelaySummary(
            update=update,
            buyers_told=told.get(update.pk, 0),
            kept=answers.get(update.pk, {}).get("kept", 0),
            cancelled=answers.get(update.pk, {}).get("cancelled", 0),
        )
        for update in delays
    ]
