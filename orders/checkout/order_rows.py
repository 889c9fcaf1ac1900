"""Writing a new order's rows: the order, its lines, its first event and the message that tells the buyer.

Two implementations of one step (see vendor.py): the ORM's inserts on SQLite, where the insert numbers
the order; one prepared statement on PostgreSQL, where the order's id was read from the sequence before.
"""

import datetime

from django.utils import timezone

from ..models import Message, Order, OrderEvent, OrderLine
from ..outbox import message_build
from ..prepared import rows_insert_prepared
from .vendor import by_vendor

BUYER = "buyer"


def order_number(order_id: int, now: datetime.datetime) -> str:
    return f"PO-{timezone.localtime(now):%y%m}-{order_id:05d}"


def _first_event_and_message(order: Order, now: datetime.datetime) -> tuple[OrderEvent, Message]:
    event = OrderEvent(order=order, at=now, from_status="", to_status=order.status, actor_label=BUYER)
    message = message_build(kind="order_placed", key=f"order:{order.pk}:placed", order=order, now=now)
    return event, message


def _insert_orm(*, order: Order, lines: list[OrderLine], now: datetime.datetime) -> Message:
    order.save(force_insert=True)
    if order.number is None:  # the insert gave the order its id: its number follows
        order.number = order_number(order.pk, now)
        Order.objects.filter(pk=order.pk).update(number=order.number)
    for line in lines:
        line.order = order
    event, message = _first_event_and_message(order, now)
    OrderLine.objects.bulk_create(lines)
    event.save(force_insert=True)
    message.save(force_insert=True)
    return message


def _insert_postgresql(*, order: Order, lines: list[OrderLine], now: datetime.datetime) -> Message:
    event, message = _first_event_and_message(order, now)
    # The order, its lines, its first event and its message in one round trip.
    rows_insert_prepared("order_insert", [([order], True), (lines, False), ([event], False), ([message], False)])
    return message


_insert = by_vendor(postgresql=_insert_postgresql, orm=_insert_orm)


def order_rows_insert(*, order: Order, lines: list[OrderLine], now: datetime.datetime) -> Message:
    """Insert `order` (with its id and number on PostgreSQL), its `lines`, its first event and its
    "order_placed" message, and give the message back (for message_written). Raises IntegrityError when
    another unpaid order holds the order's transfer amount."""
    return _insert(order=order, lines=lines, now=now)
