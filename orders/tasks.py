from celery import shared_task
from django.utils import timezone

from .models import Order
from .notifications import order_email_send
from .services import order_expire_overdue


@shared_task
def order_expire_overdue_task() -> int:
    return order_expire_overdue(now=timezone.now())


def _send(order_id: int, template: str) -> None:
    order = Order.objects.select_related("campaign").get(pk=order_id)
    order_email_send(order=order, template=f"orders/email/{template}")


@shared_task
def order_placed_notify_task(order_id: int) -> None:
    _send(order_id, "placed")


@shared_task
def order_expired_notify_task(order_id: int) -> None:
    _send(order_id, "expired")


@shared_task
def order_link_send_task(order_id: int) -> None:
    _send(order_id, "link")
