"""The kode unik keeps 2,000 unpaid orders at one price apart: three digits while any is free,
then four; never the same amount twice among unpaid orders."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, CampaignItem
from orders.checkout import UNIQUE_CODE_TIERS, unique_code
from orders.models import Order
from tests.factories import campaign_with_products, orders_at_amount, place_order
from tests.helpers import seeded_random

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_amount_known_full():
    """What this process learnt of full amounts is of the database a test before: forget it."""
    unique_code._three_digit_codes_full_until.clear()
    yield
    unique_code._three_digit_codes_full_until.clear()


def _full_payment_po_at_150_000():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]}, payment_terms="full_only")
    Campaign.objects.filter(pk=campaign.pk).update(payment_terms="full_only", balance_due_date=None)
    campaign.refresh_from_db()
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000)
    return campaign, campaign.items.get()


def test_two_thousand_unpaid_orders_at_one_price_all_get_an_amount_of_their_own():
    campaign, item = _full_payment_po_at_150_000()
    orders_at_amount(campaign, 150_000, range(1, 999))  # 998 codes taken: one three-digit code is left

    last_small = place_order(campaign, [(item, 1)], plan="full", phone="081399990001", email="x1@example.com")
    assert last_small.unique_code <= UNIQUE_CODE_TIERS[0][1]
    thousandth_plus = place_order(campaign, [(item, 1)], plan="full", phone="081399990002", email="x2@example.com")
    assert UNIQUE_CODE_TIERS[1][0] <= thousandth_plus.unique_code <= UNIQUE_CODE_TIERS[1][1]

    taken = set(Order.objects.values_list("unique_code", flat=True))
    orders_at_amount(campaign, 150_000, [code for code in range(1000, 2000) if code not in taken][:997])
    assert Order.objects.filter(status="pending_payment").count() == 1997
    more = [
        place_order(campaign, [(item, 1)], plan="full", phone=f"08139999{n:04d}", email=f"y{n}@example.com")
        for n in range(3, 6)
    ]
    assert Order.objects.filter(status="pending_payment").count() == 2000
    amounts = list(Order.objects.filter(status="pending_payment").values_list("first_transfer_idr", flat=True))
    assert len(amounts) == len(set(amounts)) == 2000
    assert all(order.first_transfer_idr == 150_000 + order.unique_code for order in more)


def test_with_every_three_digit_code_taken_an_order_tries_a_few_four_digit_ones_before_reading_them_all():
    campaign, item = _full_payment_po_at_150_000()
    orders_at_amount(campaign, 150_000, range(1, 1000))  # all 999 three-digit codes taken
    with CaptureQueriesContext(connection) as queries:
        order = place_order(campaign, [(item, 1)], plan="full", phone="081399990001", email="x1@example.com")
    assert UNIQUE_CODE_TIERS[1][0] <= order.unique_code <= UNIQUE_CODE_TIERS[1][1]
    amount_reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "first_transfer_idr" in q["sql"]]
    if connection.vendor == "postgresql":
        # 32 three-digit codes with the id, then one statement for the rest: it stops at the 32 four-digit
        # codes (COALESCE evaluates no more than it needs), before the range of all 9,000.
        assert len(amount_reads) == 2
        _amount_reads(amount_reads[0])
        reads = _amount_reads(amount_reads[1])
        nine_thousand = [plan for plan in reads if "151000" in plan["Index Cond"]]
        assert len(nine_thousand) == 1 and nine_thousand[0]["Actual Loops"] == 0
    else:
        # 32 three-digit codes, the 999 three-digit ones, 32 four-digit ones; the 9,000 four-digit amounts
        # are not read while one of the 32 is free.
        assert len(amount_reads) == 3
        assert "BETWEEN" not in amount_reads[2] and ">=" not in amount_reads[2]


def _amount_reads(sql: str) -> list[dict]:
    """Where the plan of `sql`, run (EXPLAIN ANALYZE), reads unpaid orders: each an index scan of their amounts."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plans = _plan_nodes(cursor.fetchone()[0][0]["Plan"])
    reads = [plan for plan in plans if plan.get("Relation Name") == Order._meta.db_table]
    # Each looks codes up in the unpaid amounts' unique index (not in another index, read through to the end).
    assert reads and all(plan.get("Index Name") == "order_unpaid_transfer_amount_unique" for plan in reads), [
        (p.get("Index Name"), p.get("Index Cond"), p.get("Filter")) for p in reads
    ]
    return reads


@pytest.mark.parametrize("tries_500", [False, True], ids=["500-not-tried", "500-tried"])
def test_once_every_three_digit_code_was_found_taken_the_next_orders_skip_reading_them_for_a_while(
    monkeypatch, tries_500
):
    campaign, item = _full_payment_po_at_150_000()
    orders_at_amount(campaign, 150_000, range(1, 1000))
    first = place_order(campaign, [(item, 1)], plan="full", phone="081399990001", email="x1@example.com")
    assert first.unique_code > UNIQUE_CODE_TIERS[0][1]
    Order.objects.filter(unique_code=500).update(status="paid")  # a three-digit code is free again
    # The few codes tried "at random" are drawn the same each run, with 500 among the three-digit ones or not:
    # the test, not chance, says which way the next order goes.
    draw = seeded_random(500)

    def candidates(tier: int) -> list[int]:
        low, high = UNIQUE_CODE_TIERS[tier]
        codes = draw.sample([code for code in range(low, high + 1) if code != 500], unique_code.UNIQUE_CODE_CANDIDATES)
        return [500, *codes[1:]] if tries_500 and tier == 0 else codes

    monkeypatch.setattr(unique_code, "_candidates", candidates)
    with CaptureQueriesContext(connection) as queries:
        second = place_order(campaign, [(item, 1)], plan="full", phone="081399990002", email="x2@example.com")
    amount_reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "first_transfer_idr" in q["sql"]]
    # One read: a few three-digit codes and a few four-digit ones with the id, all looked up one by one.
    assert len(amount_reads) == 1
    if connection.vendor == "postgresql":
        assert all("BETWEEN" not in plan["Index Cond"] for plan in _amount_reads(amount_reads[0]))
    assert "BETWEEN" not in amount_reads[0] and ">=" not in amount_reads[0]
    # Meanwhile a three-digit code is given only when one of the few tried is free.
    assert (second.unique_code == 500) if tries_500 else (second.unique_code > UNIQUE_CODE_TIERS[0][1])

    # Once the while is over, the process reads them again and finds the one left.
    assert unique_code._three_digit_codes_full_until[150_000] > unique_code.time.monotonic()
    unique_code._three_digit_codes_full_until[150_000] = unique_code.time.monotonic() - 1
    if not tries_500:
        third = place_order(campaign, [(item, 1)], plan="full", phone="081399990003", email="x3@example.com")
        assert third.unique_code == 500
    fourth = place_order(campaign, [(item, 1)], plan="full", phone="081399990004", email="x4@example.com")
    assert fourth.unique_code > UNIQUE_CODE_TIERS[0][1]
    amounts = list(Order.objects.filter(status="pending_payment").values_list("first_transfer_idr", flat=True))
    assert len(amounts) == len(set(amounts))


def _plan_nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _plan_nodes(child))]


def test_the_free_three_digit_codes_left_are_found_from_those_taken():
    campaign, item = _full_payment_po_at_150_000()
    free = {17, 503, 998}
    orders_at_amount(campaign, 150_000, [code for code in range(1, 1000) if code not in free])
    placed = [
        place_order(campaign, [(item, 1)], plan="full", phone=f"08139999{n:04d}", email=f"z{n}@example.com")
        for n in range(4)
    ]
    assert {order.unique_code for order in placed[:3]} == free
    assert UNIQUE_CODE_TIERS[1][0] <= placed[3].unique_code <= UNIQUE_CODE_TIERS[1][1]
