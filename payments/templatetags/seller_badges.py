from django import template

from orders.selectors import messages_whatsapp_only_waiting
from payments.seller import payments_waiting_count

register = template.Library()


@register.simple_tag
def proofs_waiting() -> int:
    """Transfer proofs waiting for the seller, for the badge in the admin header."""
    return payments_waiting_count()


@register.simple_tag
def whatsapp_only_waiting() -> int:
    """Messages to buyers without e-mail that the seller has not sent on WhatsApp yet, for the header."""
    return messages_whatsapp_only_waiting().count()
