"""The checkout's statements, prepared once per PostgreSQL connection: the one insert writes what
Model.save() would, and they outlive a rolled-back order and are prepared again on a new connection."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import CampaignItem
from orders.checkout import placing
from orders.exceptions import QuotaExceeded
from orders.models import Message, Order, OrderEvent, OrderLine
from orders.prepared import rows_insert_prepared
from tests.factories import campaign_with_products, place_order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="statements are prepared on PostgreSQL only"),
]


def _prepared_here() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def test_orders_go_on_after_a_refused_one_and_on_a_new_connection():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M", "L"]})
    small, medium, large = campaign.items.order_by("position")
    CampaignItem.objects.filter(pk=small.pk).update(quota=2)
    place_order(campaign, [(small, 1), (medium, 2)], phone="081200000001", email="a@example.com")
    assert {"order_insert", "units_reserve"} <= _prepared_here()

    with pytest.raises(QuotaExceeded):  # rolled back after the prepared UPDATEs ran
        place_order(campaign, [(small, 2), (large, 1)], phone="081200000002", email="b@example.com")
    place_order(campaign, [(small, 1), (large, 3)], phone="081200000003", email="c@example.com")

    connection.close()
    assert _prepared_here() == set()  # a new session has none
    place_order(campaign, [(medium, 1)], phone="081200000004", email="d@example.com")
    assert {"order_insert", "units_reserve"} <= _prepared_here()

    units = dict(CampaignItem.objects.filter(campaign=campaign).values_list("pk", "units_reserved"))
    assert units == {small.pk: 2, medium.pk: 3, large.pk: 3}
    assert Order.objects.count() == 3
    campaign.refresh_from_db()
    assert campaign.units_reserved == 8


def _stored(row) -> dict:
    return {field.attname: getattr(row, field.attname) for field in type(row)._meta.concrete_fields}


def test_the_one_insert_stores_every_field_as_save_would():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]})
    small, medium = campaign.items.order_by("position")
    placed = place_order(campaign, [(small, 1)], plan="full", phone="081200000001", email="a@example.com")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('orders_order', 'id'))")
        (order_id,) = cursor.fetchone()
    order = Order(
        **{
            field.attname: getattr(placed, field.attname)
            for field in Order._meta.concrete_fields
            if field.attname not in {"id", "number", "token", "unique_code", "first_transfer_idr"}
        }
    )
    order.id, order.number = order_id, f"PO-0000-{order_id:05d}"
    order.unique_code, order.first_transfer_idr = 999, placed.first_payment_idr + 999
    order.balance_due_date = datetime.date(2027, 1, 31)  # and a NULL below: the event's actor
    lines = [
        OrderLine(
            order=order,
            campaign_item=item,
            variant=item.variant,
            product_name="Kaos 'band' 100%",
            variant_label=label,
            sku=item.variant.sku,
            unit_price_idr=item.price_idr,
            quantity=quantity,
            line_total_idr=item.price_idr * quantity,
            note=note,
        )
        for item, label, quantity, note in [(small, "S", 2, ""), (medium, "M \\ besar", 1, 'Nama "Ani"')]
    ]
    event = OrderEvent(
        order=order, at=now, to_status="pending_payment", actor_label="pembeli", reason_params={"hari": 3}
    )
    message = Message(
        key=f"order:{order_id}:test", kind="order_placed", order=order, params={"ids": [1, 2], "teks": "é"},
        next_attempt_at=now, created_at=now,
    )  # fmt: skip

    rows_insert_prepared("order_insert", [([order], True), (lines, False), ([event], False), ([message], False)])

    assert not order._state.adding and not message._state.adding
    assert _stored(Order.objects.get(pk=order_id)) == _stored(order)
    stored_lines = list(OrderLine.objects.filter(order_id=order_id).order_by("pk"))
    assert [{**_stored(line), "id": None} for line in stored_lines] == [_stored(line) for line in lines]
    stored_event = OrderEvent.objects.get(order_id=order_id)
    assert {**_stored(stored_event), "id": None} == _stored(event)
    assert stored_event.actor_id is None and stored_event.reason_params == {"hari": 3}
    stored_message = Message.objects.get(order_id=order_id)
    assert {**_stored(stored_message), "id": None} == _stored(message)


def test_an_amount_taken_at_the_same_moment_is_picked_again(monkeypatch):
    """Another checkout took the amount between reading the codes and the insert: the one insert fails on
    the unpaid amounts' unique index, and the order is tried again with another code and the same id."""
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    small = campaign.items.get()
    first = place_order(campaign, [(small, 1)], plan="full", phone="081200000001", email="a@example.com")
    real = placing.order_id_and_unique_code
    tries = []

    def raced(first_payment_idr, order_id):
        order_id, code = real(first_payment_idr, order_id)
        tries.append((order_id, code))
        return (order_id, first.unique_code) if len(tries) == 1 else (order_id, code)

    monkeypatch.setattr(placing, "order_id_and_unique_code", raced)
    second = place_order(campaign, [(small, 1)], plan="full", phone="081200000002", email="b@example.com")

    assert len(tries) == 2 and tries[0][0] == tries[1][0] == second.pk
    assert second.first_payment_idr == first.first_payment_idr and second.unique_code != first.unique_code
    assert OrderLine.objects.filter(order=second).count() == 1
    assert Message.objects.filter(order=second, kind="order_placed").count() == 1
    assert OrderEvent.objects.filter(order=second).count() == 1
    assert CampaignItem.objects.get(pk=small.pk).units_reserved == 2
