from celery import shared_task
from django.utils import timezone

from orders.models import Order
from orders.notifications import order_email_send

from .models import Payment, Refund, Reminder
from .production import campaign_production_due
from .services import balance_reminders_send, campaign_close_due, order_ledger


@shared_task
def campaign_close_due_task() -> int:
    return campaign_close_due(now=timezone.now())


@shared_task
def campaign_production_due_task() -> int:
    return campaign_production_due(now=timezone.now())


@shared_task
def balance_reminders_send_task() -> int:
    return balance_reminders_send(now=timezone.now())


def _order(order_id: int) -> Order:
    return Order.objects.select_related("campaign").prefetch_related("payments", "refunds").get(pk=order_id)


@shared_task
def payment_received_notify_task(payment_id: int) -> None:
    payment = Payment.objects.get(pk=payment_id)
    order = _order(payment.order_id)
    order_email_send(
        order=order,
        template="payments/email/payment_received",
        extra_context={"payment": payment, "ledger": order_ledger(order)},
    )


@shared_task
def payment_rejected_notify_task(payment_id: int) -> None:
    payment = Payment.objects.get(pk=payment_id)
    order_email_send(
        order=_order(payment.order_id), template="payments/email/payment_rejected", extra_context={"payment": payment}
    )


@shared_task
def order_cancelled_notify_task(order_id: int, refund_id: int | None = None) -> None:
    refund = Refund.objects.get(pk=refund_id) if refund_id else None
    order = _order(order_id)
    order_email_send(
        order=order,
        template="payments/email/order_cancelled",
        extra_context={"refund": refund, "ledger": order_ledger(order)},
    )


@shared_task
def refund_sent_notify_task(refund_id: int) -> None:
    refund = Refund.objects.get(pk=refund_id)
    order_email_send(
        order=_order(refund.order_id), template="payments/email/refund_sent", extra_context={"refund": refund}
    )


@shared_task
def balance_reminder_notify_task(order_id: int, kind: str) -> None:
    order = _order(order_id)
    order_email_send(
        order=order,
        template="payments/email/balance_reminder",
        extra_context={"kind": kind, "Kind": Reminder.Kind, "ledger": order_ledger(order)},
    )
