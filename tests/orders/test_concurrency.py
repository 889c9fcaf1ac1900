"""Many buyers at once, through the real checkout, on PostgreSQL.

SQLite runs one writer at a time, so a race there proves nothing; these
tests run in the PostgreSQL + Redis pass of the suite (CI runs both).
"""

import datetime
import threading

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from orders.models import Order
from orders.services import order_expire_overdue
from payments.gateways import GatewayNotice
from payments.ledger import ledger_disagreement, order_ledger
from payments.models import Refund
from payments.services import gateway_notice_apply
from tests.factories import campaign_with_products, checkout_form, place_order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"),
]
BUYERS = 50


def _race(worker, count=BUYERS):
    """Start `count` threads together and collect what each returns."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = worker(index)
        except Exception as error:  # what a buyer would see as an error 500
            results[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # A buyer still waiting would leave None, which a caller may read as "no error".
    assert [index for index, thread in enumerate(threads) if thread.is_alive()] == [], "a buyer's request hung"
    return results


def _no_errors(codes) -> bool:
    return all(code in ("placed", "refused") or (isinstance(code, int) and code < 500) for code in codes)


def _checkout(campaign, item_quantities, index, *, phone=None, email=None):
    data = checkout_form(
        item_quantities,
        payment_plan="full",
        buyer_name=f"Pembeli {index}",
        phone=phone or f"0812{index:08d}",
        email=email or f"pembeli{index}@example.com",
    )
    response = Client().post(reverse("orders:checkout", args=[campaign.slug]), data)
    if response.status_code == 302:
        # On to the order's page, or back to the PO's page with why (sold out, over the limit).
        return "refused" if response.url.split("?")[0] == campaign.get_absolute_url() else "placed"
    return response.status_code


def _campaign(**fields):
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["S", "M", "L", "XL"]}, payment_terms="dp_allowed", **fields
    )
    return campaign, list(campaign.items.order_by("position"))


def test_fifty_buyers_racing_for_a_quota_of_ten_get_exactly_ten():
    campaign, items = _campaign()
    CampaignItem.objects.filter(pk=items[0].pk).update(quota=10)

    codes = _race(lambda index: _checkout(campaign, [(items[0], 1)], index))

    assert _no_errors(codes)
    assert codes.count("placed") == 10  # sent on to the order's page
    assert codes.count("refused") == BUYERS - 10  # back to the PO's page, which says it sold out
    items[0].refresh_from_db()
    assert items[0].units_reserved == 10
    assert Order.objects.filter(status=Order.Status.PENDING_PAYMENT).count() == 10
    assert len(set(Order.objects.values_list("first_transfer_idr", flat=True))) == 10


def test_the_campaign_wide_quota_holds_across_variants():
    campaign, items = _campaign(quota_total=10)

    codes = _race(lambda index: _checkout(campaign, [(items[index % 4], 1)], index))

    assert _no_errors(codes)
    assert codes.count("placed") == 10
    campaign.refresh_from_db()
    assert campaign.units_reserved == 10
    assert sum(CampaignItem.objects.filter(campaign=campaign).values_list("units_reserved", flat=True)) == 10


def test_one_buyer_in_fifty_tabs_stays_within_the_per_buyer_limit():
    campaign, items = _campaign(per_buyer_limit=3)

    codes = _race(
        lambda index: _checkout(
            campaign, [(items[index % 4], 1)], index, phone="081234567890", email=f"tab{index}@example.com"
        )
    )

    assert _no_errors(codes)
    assert codes.count("placed") == 3
    assert codes.count(200) == BUYERS - 3  # the form again, with the limit explained
    assert Order.objects.filter(campaign=campaign).count() == 3


def test_expiry_running_twice_at_once_gives_units_back_once():
    campaign, items = _campaign()
    past = timezone.now() - datetime.timedelta(days=2)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=past - datetime.timedelta(days=1))
    for index in range(5):
        place_order(campaign, [(items[0], 2)], now=past, phone=f"0813{index:08d}", email=f"e{index}@example.com")

    expired = _race(lambda index: order_expire_overdue(now=timezone.now()), count=4)

    assert sum(expired) == 5
    items[0].refresh_from_db()
    campaign.refresh_from_db()
    assert (items[0].units_reserved, campaign.units_reserved) == (0, 0)


def test_expiry_at_the_same_moment_as_a_gateway_payment_counts_units_and_money_once():
    campaign, items = _campaign()
    past = timezone.now() - datetime.timedelta(days=2)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=past - datetime.timedelta(days=1))
    orders = [
        place_order(campaign, [(items[0], 1)], now=past, phone=f"0814{index:08d}", email=f"p{index}@example.com")
        for index in range(10)
    ]

    def pay(order):
        notice = GatewayNotice(
            provider_order_id=f"{order.number}-DP-0001",
            order_number=order.number,
            kind_code="DP",
            transaction_id="t",
            amount_idr=order.first_payment_idr,
            is_paid=True,
            is_final_failure=False,
            state="settlement",
        )
        gateway_notice_apply(notice=notice, provider="midtrans", now=timezone.now())

    def work(index):
        if index < len(orders):
            pay(orders[index])
        else:
            order_expire_overdue(now=timezone.now())

    results = _race(work, count=len(orders) + 2)

    assert _no_errors([0 if result is None else result for result in results])
    paid = Order.objects.filter(status=Order.Status.DP_PAID).count()
    expired = Order.objects.filter(status=Order.Status.EXPIRED).count()
    assert paid + expired == 10
    items[0].refresh_from_db()
    assert items[0].units_reserved == paid
    # A payment that lost the race to expiry is owed back, never kept.
    assert Refund.objects.filter(reason=Refund.Reason.ORDER_ENDED).count() == expired
    for order in Order.objects.prefetch_related("payments", "refunds"):
        assert ledger_disagreement(order, order_ledger(order)) == ""


def test_checkouts_racing_the_expiry_job_neither_deadlock_nor_miscount():
    """An order's rows go in before the campaign's lock, and the expiry job locks the campaign meanwhile:
    neither may wait on the other in a circle (PostgreSQL would cancel one with a deadlock: a 500)."""
    campaign, items = _campaign(quota_total=30)
    past = timezone.now() - datetime.timedelta(days=2)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=past - datetime.timedelta(days=1))
    for index in range(10):
        place_order(campaign, [(items[0], 1)], now=past, phone=f"0815{index:08d}", email=f"x{index}@example.com")

    def work(index):
        if index % 10 == 0:
            order_expire_overdue(now=timezone.now())
            return 200
        return _checkout(campaign, [(items[index % 4], 1)], index)

    codes = _race(work, count=40)

    assert _no_errors(codes), codes
    campaign.refresh_from_db()
    live = Order.objects.filter(campaign=campaign, status=Order.Status.PENDING_PAYMENT)
    assert Order.objects.filter(campaign=campaign, status=Order.Status.EXPIRED).count() == 10
    # 36 buyers of one unit: 20 places are free from the start, 10 more once the job has run.
    assert 20 <= live.count() <= 30
    assert campaign.units_reserved == sum(order.units for order in live) <= 30
    for item in items:
        item.refresh_from_db()
        assert item.units_reserved == sum(
            line.quantity for order in live for line in order.lines.all() if line.campaign_item_id == item.pk
        )
