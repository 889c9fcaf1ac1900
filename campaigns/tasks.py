from celery import shared_task
from django.utils import timezone

from .services import campaign_close_due


@shared_task
def campaign_close_due_task() -> int:
    return campaign_close_due(now=timezone.now())
