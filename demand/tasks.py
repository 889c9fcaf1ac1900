from celery import shared_task
from django.utils import timezone

from orders.tasks import DATABASE_RETRY

from .services import interests_notify_opened
from .waitlist import waitlists_notify_released


@shared_task(**DATABASE_RETRY)
def interests_notify_opened_task() -> int:
    return interests_notify_opened(now=timezone.now())


@shared_task(**DATABASE_RETRY)
def waitlists_notify_released_task() -> int:
    return waitlists_notify_released(now=timezone.now())
