"""A PO completes in the same transaction as its last order: the buyer's "received" or the job's
completion of the last order not ended moves the PO to completed at once, not an hour later."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

import fulfilment.services.completion
from campaigns.exceptions import CampaignError
from campaigns.models import Campaign, CampaignItem
from fulfilment.services import order_receipt_confirm, order_ship, orders_complete_due
from orders.models import Order, OrderEvent
from payments.services import order_cancel, payment_confirm
from tests.factories import campaign_with_products, place_order
from tests.helpers import at_once
from tests.payments.conftest import order_fresh, submit_transfer

Status = Order.Status
Stage = Campaign.Stage


def _shipped_po(orders: int, *, unpaid: int = 0) -> tuple[Campaign, list[Order], list[Order], datetime.datetime]:
    """A PO being shipped: `orders` paid orders, all shipped, and `unpaid` orders left as placed."""
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]}, quota_total=None, auto_complete_days=5)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    item = campaign.items.get()
    paid = []
    for number in range(orders):
        order = place_order(campaign, [(item, 1)], plan="full", phone=f"0812{number:08d}", email=f"b{number}@x.id")
        payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
        paid.append(order)
    left = [
        place_order(campaign, [(item, 1)], plan="full", phone=f"0813{number:08d}", email=f"u{number}@x.id")
        for number in range(unpaid)
    ]
    Campaign.objects.filter(pk=campaign.pk).update(stage=Stage.IN_PRODUCTION)
    shipped_at = timezone.now()
    for number, order in enumerate(paid):
        order_ship(order=order, courier="jne", tracking_number=f"JNE{number:09d}", actor=None, now=shipped_at)
    assert Campaign.objects.get(pk=campaign.pk).stage == Stage.SHIPPING
    return campaign, paid, left, shipped_at


def _stage(campaign: Campaign) -> str:
    return Campaign.objects.values_list("stage", flat=True).get(pk=campaign.pk)


@pytest.mark.django_db
def test_the_buyers_received_on_the_last_order_completes_the_po_at_once():
    campaign, (first, last), _left, shipped_at = _shipped_po(2)

    order_receipt_confirm(order=first, now=shipped_at + datetime.timedelta(hours=3))
    assert order_fresh(first).status == Status.COMPLETED
    assert _stage(campaign) == Stage.SHIPPING  # another order is still on its way

    received_at = shipped_at + datetime.timedelta(hours=5)
    order_receipt_confirm(order=last, now=received_at)
    assert order_fresh(last).status == Status.COMPLETED
    campaign.refresh_from_db()
    assert campaign.stage == Stage.COMPLETED
    # Confirming again changes nothing and raises nothing.
    order_receipt_confirm(order=last, now=received_at + datetime.timedelta(minutes=1))
    assert _stage(campaign) == Stage.COMPLETED


@pytest.mark.django_db
def test_orders_cancelled_before_shipping_count_as_ended():
    campaign, (only,), (unpaid,), shipped_at = _shipped_po(1, unpaid=1)
    order_cancel(order=unpaid, now=shipped_at, actor=None, reason="Tidak jadi.")

    order_receipt_confirm(order=only, now=shipped_at + datetime.timedelta(days=1))
    assert _stage(campaign) == Stage.COMPLETED


@pytest.mark.django_db
def test_an_unshipped_order_keeps_the_po_being_shipped():
    campaign, (only,), (unpaid,), shipped_at = _shipped_po(1, unpaid=1)

    order_receipt_confirm(order=only, now=shipped_at + datetime.timedelta(days=1))
    assert order_fresh(unpaid).status == Status.PENDING_PAYMENT
    assert _stage(campaign) == Stage.SHIPPING


@pytest.mark.django_db
def test_the_job_completing_the_last_order_completes_its_po_in_the_same_step():
    campaign, (first, last), _left, shipped_at = _shipped_po(2)
    order_receipt_confirm(order=first, now=shipped_at + datetime.timedelta(days=1))

    assert orders_complete_due(now=shipped_at + datetime.timedelta(days=5, minutes=1)) == 1
    assert order_fresh(last).status == Status.COMPLETED
    assert _stage(campaign) == Stage.COMPLETED


@pytest.mark.django_db
def test_the_order_and_its_po_complete_in_one_transaction(monkeypatch):
    """When the PO's step fails, the order's completion is undone with it: never one without the other."""
    campaign, (only,), _left, shipped_at = _shipped_po(1)

    def refused(*, campaign, now):
        raise CampaignError("refused")

    monkeypatch.setattr(fulfilment.services.completion, "campaign_mark_completed", refused)
    with pytest.raises(CampaignError):
        order_receipt_confirm(order=only, now=shipped_at + datetime.timedelta(days=1))
    assert order_fresh(only).status == Status.SHIPPED
    assert not OrderEvent.objects.filter(order=only, to_status=Status.COMPLETED).exists()
    assert _stage(campaign) == Stage.SHIPPING


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_two_buyers_confirming_the_last_two_orders_at_once_complete_the_po_once():
    for _round in range(10):
        campaign, (first, second), _left, shipped_at = _shipped_po(2)
        received_at = shipped_at + datetime.timedelta(hours=1)
        outcomes = at_once(
            lambda order=first, now=received_at: order_receipt_confirm(order=order, now=now),
            lambda order=second, now=received_at: order_receipt_confirm(order=order, now=now),
        )
        assert [outcome.error for outcome in outcomes] == [None, None]
        # Each waited for the other on the campaign's row, so the second to commit saw the first's order ended.
        assert _stage(campaign) == Stage.COMPLETED
