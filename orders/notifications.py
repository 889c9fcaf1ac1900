"""What the shop says to buyers, in the language they ordered in.

Each kind of message registers how it is written; the outbox (orders.outbox)
writes it out when it is delivered, or when the seller opens it for WhatsApp.
"""

import copy

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import BankAccount, Message, Order
from .outbox import message_renderer, sweep_shared


def order_url(order: Order) -> str:
    return settings.SITE_URL.rstrip("/") + order.get_absolute_url()


# What the buyer typed at checkout, free text each: left out of messages until the address is confirmed.
BUYER_TEXT_FIELDS = ("buyer_name", "street", "district", "city", "note")


def order_email_confirmed(order: Order) -> bool:
    """Whether messages about the order may quote what the buyer typed (name, address, notes).

    Anyone may type anyone's e-mail address at checkout, with any name and notes: quoting them would let a
    stranger make the shop write to that address in the stranger's words. So the address counts as
    confirmed only once a payment for the order was confirmed (by the seller, the bank statement or the
    gateway), which moved the order to a paid status: real money came for this very order, and the seller
    holds the bank's record of who sent it. That does not prove the mailbox is the payer's; it makes the
    abuse cost money and leave a trace. Until then messages greet without a name and point to the order's
    page, behind its private link, where the buyer's details are shown.
    """
    if order.status in Order.PAID_STATUSES:
        return True
    if order.status != Order.Status.CANCELLED:
        return False  # waiting for payment, or expired unpaid: never paid
    # A cancelled order may have been paid first (its refund is written about): its events tell.
    return order.events.filter(to_status__in=Order.PAID_STATUSES).exists()


def _without_buyer_text(order: Order, lines: list) -> tuple[Order, list]:
    """Copies of the order and its lines with the buyer's free text blank, for a template to read: whatever
    a template quotes, none of it reaches an address nobody confirmed."""
    order = copy.copy(order)
    for field in BUYER_TEXT_FIELDS:
        setattr(order, field, "")
    blank_lines = []
    for line in lines:
        line = copy.copy(line)
        line.note = ""
        blank_lines.append(line)
    return order, blank_lines


def order_message_render(
    *, order: Order, template: str, language: str, extra_context: dict | None = None
) -> tuple[str, str]:
    """Render <template>_subject.txt and <template>_body.txt for the order: (subject, body).

    The template's `order` and `lines` carry the buyer's free text only when order_email_confirmed;
    `buyer_text_shown` says which.
    """
    lines = list(order.lines.all())
    confirmed = order_email_confirmed(order)
    if not confirmed:
        order, lines = _without_buyer_text(order, lines)
    with translation.override(language):
        context = {
            **(extra_context or {}),
            "order": order,
            "lines": lines,
            "buyer_text_shown": confirmed,
            "bank_accounts": sweep_shared("bank_accounts", lambda: list(BankAccount.objects.filter(is_active=True))),
            "order_url": order_url(order),
            "SHOP_NAME": settings.SHOP_NAME,
        }
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    return subject, body


def _message_order(message: Message) -> Order:
    """The message's order with its PO: as the sweep read them with the message, else read now."""
    if Message.order.is_cached(message) and message.order and Order.campaign.is_cached(message.order):
        return message.order
    return Order.objects.select_related("campaign").get(pk=message.order_id)


def _order_template(template: str):
    def render(message: Message) -> tuple[str, str]:
        order = _message_order(message)
        return order_message_render(order=order, template=f"orders/email/{template}", language=message.language)

    return render


for _kind, _label in (
    ("placed", _("Order placed: how to pay")),
    ("expired", _("Order expired")),
    ("link", _("Order link sent again")),
):
    message_renderer(f"order_{_kind}", _label)(_order_template(_kind))
