from django import template

from payments.seller import payments_waiting_count

register = template.Library()


@register.simple_tag
def proofs_waiting() -> int:
    """Transfer proofs waiting for the seller, for the badge in the admin header."""
    return payments_waiting_count()
