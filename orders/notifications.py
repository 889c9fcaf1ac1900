"""E-mails to buyers, in the language they ordered in. Sent from Celery tasks."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from .models import BankAccount, Order


def order_email_send(*, order: Order, template: str, extra_context: dict | None = None) -> None:
    """Render <template>_subject.txt and <template>_body.txt for the order and send it to the buyer."""
    with translation.override(order.language):
        context = {
            **(extra_context or {}),
            "order": order,
            "lines": list(order.lines.all()),
            "bank_accounts": list(BankAccount.objects.filter(is_active=True)),
            "order_url": settings.SITE_URL.rstrip("/") + order.get_absolute_url(),
            "SHOP_NAME": settings.SHOP_NAME,
        }
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [order.email])
