"""Reminders of the balance (pelunasan) to DP-paid buyers, each once."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.models import Order
from orders.outbox import message_queue

from .models import Reminder

OrderStatus = Order.Status


def balance_reminders_send(*, now: datetime.datetime) -> int:
    """Remind DP-paid buyers of the balance a few days before, the day before, and when overdue; each once."""
    today = timezone.localdate(now)
    soon = today + datetime.timedelta(days=settings.BALANCE_REMINDER_DAYS)
    tomorrow = today + datetime.timedelta(days=1)
    kinds = [
        (Reminder.Kind.BALANCE_SOON, {"balance_due_date": soon}),
        (Reminder.Kind.BALANCE_TOMORROW, {"balance_due_date": tomorrow}),
        (Reminder.Kind.BALANCE_OVERDUE, {"balance_due_date__lt": today}),
    ]
    sent = 0
    for kind, due_filter in kinds:
        order_ids = (
            Order.objects.filter(status=OrderStatus.DP_PAID, **due_filter)
            .exclude(reminders__kind=kind)
            .values_list("pk", flat=True)
        )
        for order_id in order_ids:
            with transaction.atomic():
                _reminder, created = Reminder.objects.get_or_create(
                    order_id=order_id, kind=kind, defaults={"sent_at": now}
                )
                if created:
                    message_queue(
                        kind="balance_reminder",
                        key=f"order:{order_id}:reminder:{kind}",
                        order=Order.objects.get(pk=order_id),
                        params={"kind": kind},
                        now=now,
                    )
                    sent += 1
    return sent
