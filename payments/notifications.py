"""Messages about money, registered with the outbox (orders.outbox)."""

import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from orders.models import Message, Order
from orders.notifications import order_message_render
from orders.outbox import message_renderer

from .ledger import order_ledger
from .models import Payment, Refund, Reminder
from .seller import campaign_day_figures, payments_waiting_count


def _order(order_id: int) -> Order:
    return Order.objects.select_related("campaign").prefetch_related("payments", "refunds").get(pk=order_id)


def order_money_message_render(message: Message, template: str, **context) -> tuple[str, str]:
    """A message about an order, with its ledger in the context; `template` is a path without
    _subject.txt/_body.txt (the apps above payments write theirs with it too)."""
    order = _order(message.order_id)
    return order_message_render(
        order=order,
        template=template,
        language=message.language,
        extra_context={"ledger": order_ledger(order), **context},
    )


def _render(message: Message, template: str, **context) -> tuple[str, str]:
    return order_money_message_render(message, f"payments/email/{template}", **context)


@message_renderer("payment_received", _("Payment received"))
def _payment_received(message: Message) -> tuple[str, str]:
    return _render(message, "payment_received", payment=Payment.objects.get(pk=message.params["payment_id"]))


@message_renderer("payment_rejected", _("Payment rejected"))
def _payment_rejected(message: Message) -> tuple[str, str]:
    return _render(message, "payment_rejected", payment=Payment.objects.get(pk=message.params["payment_id"]))


@message_renderer("order_cancelled", _("Order cancelled"))
def _order_cancelled(message: Message) -> tuple[str, str]:
    refund_id = message.params.get("refund_id")
    return _render(message, "order_cancelled", refund=Refund.objects.get(pk=refund_id) if refund_id else None)


@message_renderer("refund_sent", _("Refund sent"))
def _refund_sent(message: Message) -> tuple[str, str]:
    return _render(message, "refund_sent", refund=Refund.objects.get(pk=message.params["refund_id"]))


@message_renderer("balance_reminder", _("Balance reminder"))
def _balance_reminder(message: Message) -> tuple[str, str]:
    return _render(message, "balance_reminder", kind=message.params["kind"], Kind=Reminder.Kind)


def _seller_render(template: str, context: dict, language: str) -> tuple[str, str]:
    with translation.override(language):
        context = {**context, "SHOP_NAME": settings.SHOP_NAME, "SITE_URL": settings.SITE_URL.rstrip("/")}
        subject = " ".join(render_to_string(f"payments/email/{template}_subject.txt", context).split())
        body = render_to_string(f"payments/email/{template}_body.txt", context)
    return subject, body


@message_renderer("seller_proof_waiting", _("To the seller: a transfer proof to check"))
def _seller_proof_waiting(message: Message) -> tuple[str, str]:
    payment = Payment.objects.select_related("order").get(pk=message.params["payment_id"])
    return _seller_render(
        "seller_proof_waiting", {"payment": payment, "waiting": payments_waiting_count()}, message.language
    )


@message_renderer("seller_daily_summary", _("To the seller: the day's summary of a PO"))
def _seller_daily_summary(message: Message) -> tuple[str, str]:
    campaign = Campaign.objects.get(pk=message.params["campaign_id"])
    since = datetime.datetime.fromisoformat(message.params["since"])
    figures = campaign_day_figures(campaign_id=campaign.pk, since=since)
    return _seller_render(
        "seller_daily_summary",
        {"campaign": campaign, "day": datetime.date.fromisoformat(message.params["day"]), **figures},
        message.language,
    )
