"""A delay, with the buyer's consent: every live buyer is told once, and each may
keep the order or cancel it and get back everything paid (PRODUCT.md: a seller
failure is always refunded). A buyer who does not answer keeps the order."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.models import Campaign, CampaignUpdate
from campaigns.services import campaign_update_post
from orders.locks import rows_lock
from orders.models import Message, Order
from orders.outbox import messages_queue_bulk
from orders.services import system_reason
from payments.models import Refund
from payments.services import order_end_with_refund

from ..exceptions import DelayAnswerRefused
from ..models import DelayResponse
from ..selectors import order_open_delay, update_is_delay

# Orders a delay concerns: not yet shipped, not ended.
DELAY_AFFECTED = Order.UNSHIPPED_STATUSES


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


def order_delay_respond(*, order: Order, update_id: int, choice: str, now: datetime.datetime) -> DelayResponse:
    """Record the buyer's answer once; "cancel" ends the order and records a refund of all it paid."""
    if choice not in DelayResponse.Choice.values:
        raise DelayAnswerRefused(_("Choose to keep the order or to cancel it."))
    with transaction.atomic():
        order = rows_lock(order_ids=[order.pk]).order
        updates = list(CampaignUpdate.objects.filter(campaign_id=order.campaign_id))
        open_delay = order_open_delay(order, updates)
        if open_delay is None or open_delay.pk != update_id:
            raise DelayAnswerRefused(_("This delay no longer asks for an answer on this order."))
        answered = DelayResponse.objects.filter(order=order, update=open_delay).first()
        if answered is not None:
            raise DelayAnswerRefused(
                _("You already answered: %(choice)s.") % {"choice": answered.get_choice_display().lower()}
            )
        response = DelayResponse.objects.create(order=order, update=open_delay, choice=choice, answered_at=now)
        if choice == DelayResponse.Choice.CANCEL:
            order_end_with_refund(
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
