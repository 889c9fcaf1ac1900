from celery import shared_task
from django.conf import settings
from django.utils import timezone

from orders.tasks import DATABASE_RETRY

from .privacy import personal_data_purge
from .production import campaign_production_due
from .seller import seller_daily_summary_send
from .services import balance_reminders_send, campaign_close_due, payments_stale_proofs_release
from .shipping import orders_complete_due


@shared_task(**DATABASE_RETRY)
def campaign_close_due_task() -> int:
    return campaign_close_due(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def campaign_production_due_task() -> int:
    return campaign_production_due(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def balance_reminders_send_task() -> int:
    return balance_reminders_send(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def orders_complete_due_task() -> int:
    return orders_complete_due(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def seller_daily_summary_task() -> int:
    return seller_daily_summary_send(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def payments_stale_proofs_release_task() -> int:
    return payments_stale_proofs_release(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def personal_data_purge_task() -> int:
    orders, _proofs = personal_data_purge(days=settings.PERSONAL_DATA_DAYS, now=timezone.now())
    return orders
