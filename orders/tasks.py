from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .outbox import message_deliver, messages_deliver_due, outbox_nudge_clear
from .services import order_expire_overdue

# A dropped database connection is retried: before the next attempt the health
# check finds the connection broken and it is closed (preorder_shop.celery).
DATABASE_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "max_retries": 8,
}


@shared_task(**DATABASE_RETRY)
def order_expire_overdue_task() -> int:
    return order_expire_overdue(now=timezone.now())


# One message; what the checkout queued before the sweep took them all (kept for tasks still queued).
@shared_task(bind=True, **DATABASE_RETRY)
def message_deliver_task(self, message_id: int) -> str:
    return message_deliver(message_id=message_id, now=timezone.now(), claim_token=self.request.id or "")


@shared_task(bind=True, **DATABASE_RETRY)
def messages_deliver_due_task(self, nudged: bool = False) -> int:
    """Beat's sweep every minute, or one nudged after a message was written (`nudged`)."""
    # First, before it looks: a message written from now on nudges another sweep.
    outbox_nudge_clear()
    return messages_deliver_due(now=timezone.now(), claim_token=self.request.id or "", release_stale=not nudged)
