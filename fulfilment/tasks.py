from celery import shared_task
from django.conf import settings
from django.utils import timezone

from orders.tasks import DATABASE_RETRY

from .services import campaign_close_due, campaign_production_due, orders_complete_due, personal_data_purge


@shared_task(**DATABASE_RETRY)
def campaign_close_due_task() -> int:
    return campaign_close_due(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def campaign_production_due_task() -> int:
    return campaign_production_due(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def orders_complete_due_task() -> int:
    return orders_complete_due(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def personal_data_purge_task() -> int:
    orders, _proofs = personal_data_purge(days=settings.PERSONAL_DATA_DAYS, now=timezone.now())
    return orders
