"""What the shop says to buyers, in the language they ordered in.

Each kind of message registers how it is written; the outbox (orders.outbox)
writes it out when it is delivered, or when the seller opens it for WhatsApp.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import BankAccount, Message, Order
from .outbox import message_renderer, sweep_shared


def order_url(order: Order) -> str:
    return settings.SITE_URL.rstrip("/") + order.get_absolute_url()


def order_message_render(
    *, order: Order, template: str, language: str, extra_context: dict | None = None
) -> tuple[str, str]:
    """Render <template>_subject.txt and <template>_body.txt for the order: (subject, body)."""
    with translation.override(language):
        context = {
            **(extra_context or {}),
            "order": order,
            "lines": list(order.lines.all()),
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
