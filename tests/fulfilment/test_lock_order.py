"""One lock order everywhere (campaign, then order, then payment or refund): a buyer cancelling after a
delay and the seller marking the same order shipped, at the same moment, never deadlock; one of them
wins and the other is told why it cannot."""

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from fulfilment.exceptions import FulfilmentError
from fulfilment.services import (
    campaign_close_due,
    campaign_production_start,
    campaign_update_announce,
    order_delay_respond,
    order_ship,
)
from orders.locks import rows_lock
from orders.models import Order
from payments.models import Refund
from payments.services import payment_confirm
from tests.factories import campaign_with_products, place_order
from tests.helpers import at_once
from tests.payments.conftest import submit_transfer

ROUNDS = 40


def _shipping_po_with_a_delay(orders: int) -> tuple[list[Order], int]:
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, quota_total=None)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    placed = []
    for number in range(orders):
        order = place_order(
            campaign, [(campaign.items.first(), 1)], plan="full", phone=f"0812{number:08d}", email=f"b{number}@x.id"
        )
        payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
        placed.append(order)
    closes = timezone.now() - datetime.timedelta(days=3)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=closes - datetime.timedelta(days=7), closes_at=closes)
    campaign_close_due(now=timezone.now())
    campaign_production_start(campaign=campaign, now=timezone.now())
    campaign.refresh_from_db()
    update = campaign_update_announce(
        campaign=campaign,
        message="Kain datang terlambat.",
        new_estimated_ship_date=campaign.estimated_ship_date + datetime.timedelta(days=10),
        now=timezone.now(),
    )
    return placed, update.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and deadlocks are PostgreSQL's")
def test_a_buyers_cancel_and_the_sellers_mark_shipped_of_one_order_never_deadlock():
    orders, update_id = _shipping_po_with_a_delay(ROUNDS)
    shipped = cancelled = 0
    for number, order in enumerate(orders):
        cancel, ship = at_once(
            lambda order=order: order_delay_respond(
                order=order, update_id=update_id, choice="cancel", now=timezone.now()
            ),
            lambda order=order, number=number: order_ship(
                order=order, courier="jne", tracking_number=f"JNE{number:09d}", actor=None, now=timezone.now()
            ),
        )
        # Never a database error (a deadlock is one): either step wins, the other is refused by a rule.
        for outcome in (cancel, ship):
            assert outcome.error is None or isinstance(outcome.error, FulfilmentError), repr(outcome.error)
        assert (cancel.error is None) != (ship.error is None), (cancel, ship)
        status = Order.objects.values_list("status", flat=True).get(pk=order.pk)
        if ship.error is None:
            assert status == Order.Status.SHIPPED
            assert not Refund.objects.filter(order=order).exists()
            shipped += 1
        else:
            assert status == Order.Status.CANCELLED
            assert Refund.objects.get(order=order).amount_idr == order.first_transfer_idr
            cancelled += 1
    assert shipped + cancelled == ROUNDS


@pytest.mark.django_db(transaction=True)
def test_rows_lock_takes_campaigns_then_orders_then_the_rest_each_by_primary_key():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    first = place_order(campaign, [(campaign.items.first(), 1)], phone="081200000001", email="a@x.id")
    second = place_order(campaign, [(campaign.items.first(), 1)], phone="081200000002", email="b@x.id")
    with pytest.raises(RuntimeError, match="needs a transaction"):
        rows_lock(order_ids=[first.pk])
    statements = _Recorder()
    with connection.execute_wrapper(statements), transaction.atomic():
        locked = rows_lock(order_ids=[second.pk, first.pk])
    assert list(locked.orders) == [first.pk, second.pk]
    assert list(locked.campaigns) == [campaign.pk]
    if connection.vendor == "postgresql":
        locks = [sql for sql in statements.sql if " FOR " in sql]
        assert len(locks) == 2
        assert '"campaigns_campaign"' in locks[0] and "FOR NO KEY UPDATE" in locks[0] and "ORDER BY" in locks[0]
        assert '"orders_order"' in locks[1] and "FOR UPDATE" in locks[1] and "ORDER BY" in locks[1]


class _Recorder:
    def __init__(self):
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)
