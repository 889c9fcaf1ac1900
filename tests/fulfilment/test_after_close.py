"""The PO's second half, driven by the clock: closing, tallying, production; a PO that
fails its goal; a delay where one buyer cancels with a refund. Every job run again
changes nothing."""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import Campaign, CampaignItem
from fulfilment.exceptions import DelayAnswerRefused, StepRefused
from fulfilment.models import DelayResponse, ProductionTally
from fulfilment.selectors import campaign_delay_summaries, tally_matrices
from fulfilment.services import (
    campaign_close_due,
    campaign_production_due,
    campaign_production_start,
    campaign_tally_recompute,
    campaign_update_announce,
    order_delay_respond,
    production_tally_take,
)
from orders.checkout import LineRequest, order_place
from orders.models import Message, Order, OrderEvent, OrderLine
from orders.services import order_expire_overdue
from payments.exceptions import PaymentNotAccepted
from payments.ledger import order_ledger
from payments.models import Payment, Refund
from payments.services import payment_confirm
from tests.factories import buyer, campaign_with_products
from tests.helpers import at_once
from tests.payments.conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db
Stage = Campaign.Stage
Status = Order.Status
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _english():
    """The services' messages are matched in English, the language they are written in."""
    with translation.override("en"):
        yield


@pytest.fixture
def batik():
    """Batik with size x colour, open now, closing in two days; 24 hours to pay a new order."""
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M", "L"], "Warna": ["Sogan", "Biru"]},
        opens_at=now - datetime.timedelta(days=5),
        closes_at=now + datetime.timedelta(days=2),
        dp_percent=50,
        unpaid_expiry_hours=24,
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000)
    return campaign


def _item(campaign, label):
    return next(item for item in campaign.items.select_related("variant") if item.variant.label == label)


def _order(campaign, lines, *, n, plan="dp", now=None):
    return order_place(
        campaign_id=campaign.pk,
        lines=[LineRequest(_item(campaign, label).pk, quantity, note) for label, quantity, note in lines],
        buyer=buyer(email=f"buyer{n}@example.com", phone=f"0812000000{n:02d}", name=f"Pembeli {n}"),
        payment_plan=plan,
        terms_accepted=True,
        now=now or timezone.now(),
    )


def _pay_first(order, now=None):
    payment = submit_transfer(order, order.first_transfer_idr, now=now)
    return payment_confirm(payment_id=payment.pk, now=now or timezone.now())


def _snapshot(campaign):
    """Everything a job could change, to compare before and after running it again."""
    tally = ProductionTally.objects.filter(campaign=campaign).first()
    return {
        "stage": Campaign.objects.get(pk=campaign.pk).stage,
        "orders": sorted(Order.objects.filter(campaign=campaign).values_list("pk", "status")),
        "events": OrderEvent.objects.filter(order__campaign=campaign).count(),
        "refunds": list(Refund.objects.filter(order__campaign=campaign).values_list("pk", "amount_idr")),
        "messages": Message.objects.filter(order__campaign=campaign).count(),
        "tally": (tally.pk, tally.taken_at, tally.units, list(tally.lines.values_list("sku", "units")))
        if tally
        else None,
    }


def _run_every_job(now):
    campaign_close_due(now=now)
    order_expire_overdue(now=now)
    campaign_production_due(now=now)


def test_a_po_goes_from_open_to_closed_to_tally_to_production_and_the_tally_matches_the_orders(batik):
    dp_buyer = _order(batik, [("S / Sogan", 2, ""), ("M / Biru", 1, "Bordir: Budi")], n=1)
    full_buyer = _order(batik, [("M / Biru", 3, "")], n=2, plan="full")
    # Two orders placed in the last hours before closing: they may pay after it.
    late_payer = _order(batik, [("L / Sogan", 1, "=1+1")], n=3, now=batik.closes_at - 2 * HOUR)
    never_pays = _order(batik, [("S / Sogan", 5, "")], n=4, now=batik.closes_at - 2 * HOUR)
    _pay_first(dp_buyer)
    _pay_first(full_buyer)

    closing = batik.closes_at
    _run_every_job(closing - datetime.timedelta(seconds=1))
    assert Campaign.objects.get(pk=batik.pk).stage == Stage.PUBLISHED

    assert campaign_close_due(now=closing) == 1
    batik.refresh_from_db()
    assert batik.stage == Stage.TALLYING and batik.status_at(closing) == Campaign.Status.TALLYING

    # A first payment is still possible while the window for unpaid orders runs.
    assert campaign_production_due(now=closing + HOUR) == 0
    _pay_first(late_payer, now=closing + HOUR)
    assert order_fresh(late_payer).status == Status.DP_PAID

    # The window ends: the order never paid ends, and production starts with the tally.
    window_end = closing + datetime.timedelta(hours=24)
    assert campaign_production_due(now=window_end) == 1
    batik.refresh_from_db()
    assert batik.stage == Stage.IN_PRODUCTION
    assert order_fresh(never_pays).status in (Status.EXPIRED, Status.CANCELLED)
    assert Campaign.objects.get(pk=batik.pk).units_reserved == 2 + 1 + 3 + 1

    tally = ProductionTally.objects.get(campaign=batik)
    paid_lines = OrderLine.objects.filter(
        order__campaign=batik, order__status__in=[Status.DP_PAID, Status.PAID, Status.SHIPPED, Status.COMPLETED]
    )
    expected = {row["sku"]: row["units"] for row in paid_lines.values("sku").annotate(units=Sum("quantity")).order_by()}
    assert dict(tally.lines.values_list("sku", "units")) == expected
    assert tally.units == sum(expected.values()) == 7 and tally.orders == 3
    (matrix,) = tally_matrices(tally)
    assert (matrix.row_option, matrix.column_option) == ("Ukuran", "Warna")
    assert matrix.rows == ["S", "M", "L"] and matrix.columns == ["Sogan", "Biru"]
    assert [total for _row, _cells, total in matrix.table] == [2, 4, 1]
    assert matrix.column_totals == [3, 4] and matrix.total == 7
    notes = {note.note for line in matrix.lines for note in line.notes.all()}
    assert notes == {"Bordir: Budi", "=1+1"}

    # Every job again, later: nothing changes.
    before = _snapshot(batik)
    _run_every_job(window_end + HOUR)
    _run_every_job(window_end + datetime.timedelta(days=3))
    assert _snapshot(batik) == before

    # The seller recomputes: the same numbers.
    again = campaign_tally_recompute(campaign=batik, now=window_end + 2 * HOUR)
    assert again.units == tally.units and dict(again.lines.values_list("sku", "units")) == expected
    assert ProductionTally.objects.filter(campaign=batik).count() == 1


def test_no_first_payment_is_taken_once_production_started_and_no_balance_once_the_po_completed(batik):
    unpaid = _order(batik, [("S / Sogan", 1, "")], n=1)
    dp = _order(batik, [("M / Sogan", 1, "")], n=2)
    _pay_first(dp)
    Campaign.objects.filter(pk=batik.pk).update(stage=Stage.IN_PRODUCTION)
    with pytest.raises(PaymentNotAccepted, match="no more payments"):
        submit_transfer(unpaid, unpaid.first_transfer_idr)
    balance = submit_transfer(dp, order_ledger(order_fresh(dp)).due_idr)  # the balance is still taken
    assert balance.kind == Payment.Kind.BALANCE
    payment_confirm(payment_id=balance.pk, now=timezone.now())
    Campaign.objects.filter(pk=batik.pk).update(stage=Stage.COMPLETED)
    other = _order_in_completed_po(batik)
    with pytest.raises(PaymentNotAccepted, match="no more payments"):
        submit_transfer(other, order_ledger(order_fresh(other)).due_idr)
    assert Payment.objects.filter(order=other).count() == 1  # its DP only


def _order_in_completed_po(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(stage=Stage.PUBLISHED)
    order = _order(campaign, [("L / Biru", 1, "")], n=9)
    _pay_first(order)
    Campaign.objects.filter(pk=campaign.pk).update(stage=Stage.COMPLETED)
    return order


def test_production_waits_for_proofs_the_seller_has_not_checked(batik):
    order = _order(batik, [("S / Sogan", 1, "")], n=1, now=batik.closes_at - 2 * HOUR)
    waiting = submit_transfer(order, order.first_transfer_idr, now=batik.closes_at - HOUR)
    campaign_close_due(now=batik.closes_at)
    late = batik.closes_at + datetime.timedelta(days=3)
    assert campaign_production_due(now=late) == 0
    with pytest.raises(StepRefused, match="waiting for your check"):
        campaign_production_start(campaign=batik, now=late)
    payment_confirm(payment_id=waiting.pk, now=late)
    assert campaign_production_due(now=late) == 1
    assert ProductionTally.objects.get(campaign=batik).units == 1


def test_a_tally_that_dies_half_way_leaves_nothing_and_the_next_run_takes_it_once(batik):
    _pay_first(_order(batik, [("S / Sogan", 2, "catatan")], n=1))
    campaign_close_due(now=batik.closes_at)
    with mock.patch(
        "fulfilment.services.production.ProductionTallyNote.objects.bulk_create", side_effect=RuntimeError("killed")
    ):
        with pytest.raises(RuntimeError):
            campaign_production_due(now=batik.closes_at + HOUR)
    assert Campaign.objects.get(pk=batik.pk).stage == Stage.TALLYING
    assert not ProductionTally.objects.exists()
    assert campaign_production_due(now=batik.closes_at + HOUR) == 1
    assert ProductionTally.objects.count() == 1 and ProductionTally.objects.get().units == 2


def test_a_po_that_misses_its_goal_fails_refunds_and_is_never_tallied(batik):
    Campaign.objects.filter(pk=batik.pk).update(minimum_goal_units=10, goal_missed_policy="refund")
    paid = _order(batik, [("S / Sogan", 2, "")], n=1)
    _pay_first(paid)
    _order(batik, [("S / Biru", 1, "")], n=2)
    _run_every_job(batik.closes_at)
    _run_every_job(batik.closes_at + datetime.timedelta(days=2))
    batik.refresh_from_db()
    assert batik.stage == Stage.FAILED
    assert not ProductionTally.objects.exists()
    assert order_fresh(paid).status == Status.CANCELLED
    assert Refund.objects.get(order=paid).amount_idr == paid.first_transfer_idr
    assert Message.objects.filter(order=paid, kind="order_cancelled").count() == 1


def test_a_delay_tells_every_live_buyer_once_and_one_buyer_cancels_with_everything_paid_back(batik):
    keeper = _order(batik, [("S / Sogan", 1, "")], n=1)
    leaver = _order(batik, [("M / Sogan", 2, "")], n=2, plan="full")
    silent = _order(batik, [("L / Sogan", 1, "")], n=3)
    ended = _order(batik, [("L / Biru", 1, "")], n=4)
    for order in (keeper, leaver, silent):
        _pay_first(order)
    order_expire_overdue(now=ended.payment_deadline)
    campaign_close_due(now=batik.closes_at)
    campaign_production_due(now=batik.closes_at + datetime.timedelta(days=1))
    old_date = Campaign.objects.get(pk=batik.pk).estimated_ship_date
    new_date = old_date + datetime.timedelta(days=14)
    when = batik.closes_at + datetime.timedelta(days=2)

    update = campaign_update_announce(
        campaign=batik, message="Kain terlambat datang.", new_estimated_ship_date=new_date, now=when
    )
    told = Message.objects.filter(kind="delay_announced")
    assert sorted(told.values_list("order_id", flat=True)) == sorted([keeper.pk, leaver.pk, silent.pk])
    assert Campaign.objects.get(pk=batik.pk).estimated_ship_date == new_date

    order_delay_respond(order=keeper, update_id=update.pk, choice="keep", now=when + HOUR)
    order_delay_respond(order=leaver, update_id=update.pk, choice="cancel", now=when + HOUR)
    with pytest.raises(DelayAnswerRefused, match="already answered"):
        order_delay_respond(order=keeper, update_id=update.pk, choice="cancel", now=when + 2 * HOUR)
    with pytest.raises(DelayAnswerRefused):
        order_delay_respond(order=silent, update_id=update.pk, choice="maybe", now=when + 2 * HOUR)

    leaver = order_fresh(leaver)
    assert leaver.status == Status.CANCELLED
    paid = sum(p.amount_idr for p in leaver.payments.all() if p.status == Payment.Status.CONFIRMED)
    assert paid == leaver.first_transfer_idr
    assert sum(refund.amount_idr for refund in leaver.refunds.all()) == paid
    assert {refund.reason for refund in leaver.refunds.all()} == {Refund.Reason.DELAY}
    assert order_fresh(keeper).status == order_fresh(silent).status == Status.DP_PAID
    assert DelayResponse.objects.count() == 2
    (summary,) = campaign_delay_summaries(campaign=batik)
    assert (summary.buyers_told, summary.kept, summary.cancelled, summary.not_answered) == (3, 1, 1, 1)

    # Announcing is recorded once per buyer even if the same rows are written again.
    before = told.count()
    campaign_production_due(now=when + 3 * HOUR)
    assert told.count() == before


def test_the_buyer_answers_a_delay_on_the_order_page(client, batik):
    order = _order(batik, [("S / Sogan", 1, "")], n=1)
    _pay_first(order)
    new_date = batik.estimated_ship_date + datetime.timedelta(days=10)
    update = campaign_update_announce(
        campaign=batik, message="Penjahit sakit.", new_estimated_ship_date=new_date, now=timezone.now()
    )
    page = client.get(order.get_absolute_url()).content.decode()
    assert "data-delay" in page and 'value="cancel"' in page
    response = client.post(
        reverse("fulfilment:delay_respond", args=[order.token]), {"update": update.pk, "choice": "cancel"}, follow=True
    )
    assert response.status_code == 200
    assert order_fresh(order).status == Status.CANCELLED
    assert "data-delay-answer" in response.content.decode()
    bad = client.post(reverse("fulfilment:delay_respond", args=[order.token]), {"update": "x", "choice": "keep"})
    assert bad.status_code == 400


def test_a_buyer_who_ordered_after_the_delay_is_not_asked(client, batik):
    update = campaign_update_announce(
        campaign=batik,
        message="Mundur.",
        new_estimated_ship_date=batik.estimated_ship_date + datetime.timedelta(days=7),
        now=timezone.now() - HOUR,
    )
    order = _order(batik, [("S / Sogan", 1, "")], n=1)
    assert "data-delay" not in client.get(order.get_absolute_url()).content.decode()
    with pytest.raises(DelayAnswerRefused):
        order_delay_respond(order=order, update_id=update.pk, choice="cancel", now=timezone.now())


def test_the_tally_is_counted_by_the_database_in_a_fixed_number_of_queries(
    batik, django_assert_max_num_queries, django_assert_num_queries
):
    for n in range(1, 4):
        _pay_first(_order(batik, [("S / Sogan", 1, "a"), ("M / Biru", 2, "b")], n=n))
    production_tally_take(campaign=batik, now=timezone.now())  # compare a recount with a recount
    with django_assert_max_num_queries(20) as few:
        production_tally_take(campaign=batik, now=timezone.now())
    for n in range(4, 20):
        _pay_first(_order(batik, [("S / Sogan", 1, "a"), ("L / Biru", 2, "c")], n=n))
    with django_assert_num_queries(len(few.captured_queries)):
        production_tally_take(campaign=batik, now=timezone.now())
    assert ProductionTally.objects.get(campaign=batik).units == 19 * 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_production_jobs_at_once_take_one_tally(batik):
    for n in range(1, 6):
        _pay_first(_order(batik, [("S / Sogan", 1, "")], n=n))
    campaign_close_due(now=batik.closes_at)
    outcomes = at_once(*[lambda: campaign_production_due(now=batik.closes_at + HOUR)] * 4)
    assert [outcome.error for outcome in outcomes] == [None] * 4
    assert sorted(outcome.value for outcome in outcomes) == [0, 0, 0, 1]
    assert ProductionTally.objects.count() == 1 and ProductionTally.objects.get().units == 5
