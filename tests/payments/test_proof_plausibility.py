"""A transfer proof the seller has not confirmed keeps an unpaid order from expiring only while it is
plausible: for at least what the order owes now, and not disproved by the bank statements covering its
date. Otherwise the order expires at its deadline like an unpaid one, the event says why, its units come
back, and the proof stays for the seller."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone, translation

from campaigns.models import Campaign, CampaignItem
from orders.models import BankAccount, Order
from orders.services import order_expire_overdue
from payments.models import BankStatementLine, Payment
from payments.services import (
    PAYMENT_NOT_CONFIRMED_IN_TIME,
    PROOF_BELOW_DUE,
    PROOF_NOT_IN_STATEMENTS,
    payment_submit,
    payments_stale_proofs_release,
)
from payments.statements.importing import statement_import
from payments.statements.reading_types import StatementRow
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import order_fresh, png_upload

pytestmark = pytest.mark.django_db
Status = Order.Status
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def account():
    return BankAccount.objects.create(bank_name="BCA", account_number="873 012 3456", account_holder="Toko Batik")


@pytest.fixture
def small_po():
    """A limited PO (20 units, 2 hours to pay), open since a week ago."""
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        quota_total=20,
        quick_pay_minutes=120,
        opens_at=timezone.now() - 7 * DAY,
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    return campaign


def _proof(order, amount, *, now, paid_on=None):
    """The buyer's transfer proof: a plain picture, whatever it shows."""
    return payment_submit(
        order=order,
        amount_idr=amount,
        paid_on=paid_on or timezone.localdate(now),
        from_bank="BCA",
        from_account_name="Siti Rahmawati",
        proof_file=png_upload(size=(8, 8)),
        now=now,
    )


def _statement(account, rows: list[tuple[int, datetime.date]]):
    """The seller imports the account's statement with these credits (amount, day)."""
    return statement_import(
        bank_account=account,
        rows=[
            StatementRow(line=number, booked_on=day, description="TRSF E-BANKING CR", amount_idr=amount, credit=True)
            for number, (amount, day) in enumerate(rows, start=1)
        ],
        file_name="mutasi.csv",
        layout="bca",
        actor=None,
        now=timezone.now(),
    )


def _expiry_event(order):
    return order.events.get(to_status=Status.EXPIRED)


def test_a_proof_for_less_than_is_due_does_not_keep_the_order_past_its_deadline(client, small_po):
    now = timezone.now()
    order = place_order(small_po, [(small_po.items.first(), 3)], plan="full", now=now)
    proof = _proof(order, order.first_payment_idr - 1, now=now + HOUR)  # short of the price itself
    assert order_fresh(order).payment_awaiting_since is None

    assert order_expire_overdue(now=order.payment_deadline - HOUR / 2) == 0
    assert order_expire_overdue(now=order.payment_deadline) == 1
    order = order_fresh(order)
    assert order.status == Status.EXPIRED
    assert Campaign.objects.get(pk=small_po.pk).units_reserved == 0
    proof.refresh_from_db()
    assert proof.status == Payment.Status.PENDING and proof.proof  # kept for the seller to see
    event = _expiry_event(order)
    assert event.reason_code == PROOF_BELOW_DUE
    with translation.override("en"):
        assert "less than the Rp300." in event.reason_shown
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "the transfer proof sent is for" in client.get(order.get_absolute_url()).content.decode()


def test_a_proof_for_the_full_amount_holds_until_a_statement_covering_its_day_shows_no_such_credit(account, small_po):
    placed_at = timezone.now() - 3 * DAY
    item = small_po.items.first()
    order = place_order(small_po, [(item, 3)], plan="full", now=placed_at)
    proof = _proof(order, order.first_transfer_idr, now=placed_at + HOUR)
    day = timezone.localdate(placed_at + HOUR)

    assert order_expire_overdue(now=order.payment_deadline + HOUR) == 0  # a plausible proof holds it
    # A statement of the next days only does not judge the proof's day: it still holds.
    assert _statement(account, [(55_000, day + DAY), (56_000, day + 2 * DAY)]).proofs_flagged == 0
    assert order_expire_overdue(now=timezone.now()) == 0

    record = _statement(account, [(50_000, day - DAY), (order.first_transfer_idr + 7, day)])
    assert record.proofs_flagged == 1
    assert order_fresh(order).payment_awaiting_since is None
    assert order_expire_overdue(now=timezone.now()) == 1
    order = order_fresh(order)
    assert order.status == Status.EXPIRED
    assert Campaign.objects.get(pk=small_po.pk).units_reserved == 0
    assert CampaignItem.objects.get(pk=item.pk).units_reserved == 0
    proof.refresh_from_db()
    assert (proof.status, proof.proof_flag) == (Payment.Status.PENDING, Payment.ProofFlag.NOT_IN_STATEMENT)
    event = _expiry_event(order)
    assert event.reason_code == PROOF_NOT_IN_STATEMENTS
    assert event.reason_params["day"] == day.strftime("%d-%m-%Y")


def test_a_proof_sent_after_the_statements_covering_its_day_is_judged_when_it_is_sent(account, campaign):
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full", now=now)
    today = timezone.localdate(now)
    _statement(account, [(10_000, today - 3 * DAY), (20_000, today)])
    proof = _proof(order, order.first_transfer_idr, now=now, paid_on=today - 2 * DAY)
    assert proof.proof_flag == Payment.ProofFlag.NOT_IN_STATEMENT
    assert order_fresh(order).payment_awaiting_since is None
    assert order_expire_overdue(now=order.payment_deadline) == 1


def test_a_credit_that_paid_another_order_does_not_show_this_proof(account):
    placed_at = timezone.now() - 3 * DAY
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["M"]}, opens_at=placed_at - DAY, unpaid_expiry_hours=96
    )
    item = campaign.items.get()
    bigger = place_order(campaign, [(item, 2)], plan="full", now=placed_at)
    smaller = place_order(campaign, [(item, 1)], plan="full", now=placed_at, phone="081299990001")
    day = timezone.localdate(placed_at) + DAY
    _statement(account, [(bigger.first_transfer_idr, day), (20_000, day + DAY)])
    assert BankStatementLine.objects.get(amount_idr=bigger.first_transfer_idr).order_id == bigger.pk
    # The same amount and day, claimed for another order: the one credit is the first order's payment.
    proof = _proof(smaller, bigger.first_transfer_idr, now=timezone.now(), paid_on=day)
    assert proof.proof_flag == Payment.ProofFlag.NOT_IN_STATEMENT
    assert order_fresh(smaller).payment_awaiting_since is None


def test_a_proof_the_statement_confirms_is_untouched(account, small_po):
    now = timezone.now()
    order = place_order(small_po, [(small_po.items.first(), 1)], plan="full", now=now)
    proof = _proof(order, order.first_transfer_idr, now=now)
    record = _statement(account, [(order.first_transfer_idr, timezone.localdate(now))])
    assert (record.confirmed, record.proofs_flagged) == (1, 0)
    proof.refresh_from_db()
    assert (proof.status, proof.proof_flag) == (Payment.Status.CONFIRMED, "")
    assert order_expire_overdue(now=order.payment_deadline + DAY) == 0
    assert order_fresh(order).status == Status.PAID


def test_a_plausible_proof_nobody_checks_expires_after_the_hold_saying_so(small_po, settings):
    settings.PROOF_HOLD_HOURS = 48
    now = timezone.now()
    order = place_order(small_po, [(small_po.items.first(), 1)], plan="full", now=now)
    _proof(order, order.first_transfer_idr, now=now)
    later = now + 49 * HOUR
    assert order_expire_overdue(now=later) == 0
    assert payments_stale_proofs_release(now=later) == 1
    assert order_expire_overdue(now=later) == 1
    event = _expiry_event(order_fresh(order))
    assert (event.reason_code, event.reason_params) == (PAYMENT_NOT_CONFIRMED_IN_TIME, {"hours": 48})


def test_a_corrected_proof_for_less_than_is_due_releases_the_hold(campaign):
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", now=now)
    _proof(order, order.first_transfer_idr, now=now)
    assert order_fresh(order).payment_awaiting_since is not None
    payment_submit(
        order=order,
        amount_idr=order.first_payment_idr - 1_000,  # short of the DP
        paid_on=timezone.localdate(now),
        from_bank="BCA",
        from_account_name="Siti Rahmawati",
        proof_file=png_upload(colour="#aa2266"),
        replace_waiting=True,
        now=now + HOUR,
    )
    assert order_fresh(order).payment_awaiting_since is None
    assert order_expire_overdue(now=order.payment_deadline) == 1
    assert _expiry_event(order_fresh(order)).reason_code == PROOF_BELOW_DUE


def test_a_proof_of_the_price_without_its_kode_unik_keeps_the_order(small_po):
    # The code only tells the transfer apart: the seller may confirm such a proof, and it pays the order.
    now = timezone.now()
    order = place_order(small_po, [(small_po.items.first(), 3)], plan="full", now=now)
    _proof(order, order.first_payment_idr, now=now + HOUR)
    assert order_fresh(order).payment_awaiting_since is not None
    assert order_expire_overdue(now=order.payment_deadline + HOUR) == 0
