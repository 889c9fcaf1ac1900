from celery import shared_task
from django.utils import timezone

from orders.tasks import DATABASE_RETRY

from .reminders import balance_reminders_send
from .seller import seller_daily_summary_send
from .services import payments_stale_proofs_release


@shared_task(**DATABASE_RETRY)
def balance_reminders_send_task() -> int:
    return balance_reminders_send(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def seller_daily_summary_task() -> int:
    return seller_daily_summary_send(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def payments_stale_proofs_release_task() -> int:
    return payments_stale_proofs_release(now=timezone.now())
