"""A statement's credits matched to the orders they pay: exact amounts confirm (a waiting proof, or a payment
from the statement with no proof), near ones are suggestions, each line is kept once however often a file
covering it is imported, and proofs the statements disprove or that two orders share are flagged."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image, ImageDraw

from orders.models import BankAccount, Message, Order
from payments.ledger import ledger_disagreement, order_ledger
from payments.models import BankStatementImport, BankStatementLine, Payment
from payments.services import payment_confirm, payment_submit
from payments.statements.importing import statement_import, statement_line_confirm, statement_preview
from payments.statements.reading_types import StatementRow
from tests.factories import place_order
from tests.payments.conftest import order_fresh

pytestmark = pytest.mark.django_db
Status = BankStatementLine.Status


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def account():
    return BankAccount.objects.create(bank_name="BCA", account_number="873 012 3456", account_holder="Toko Batik")


def _row(amount, day=None, *, line=1, description="TRSF E-BANKING CR", credit=True):
    return StatementRow(
        line=line, booked_on=day or timezone.localdate(), description=description, amount_idr=amount, credit=credit
    )


def _import(account, rows, name="mutasi.csv"):
    return statement_import(
        bank_account=account, rows=rows, file_name=name, layout="bca", actor=None, now=timezone.now()
    )


def _receipt(text: str, *, size=(360, 640)) -> SimpleUploadedFile:
    """A transfer receipt as a banking app draws one: a picture of its own for each text."""
    picture = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(picture)
    draw.rectangle([20, 40, size[0] - 20, 160], fill="#1060c0")
    for number, word in enumerate(text.split()):
        draw.text((30, 200 + 40 * number), word, fill="black")
        draw.rectangle([30, 225 + 40 * number, 30 + 14 * len(word), 232 + 40 * number], fill="#333")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return SimpleUploadedFile("bukti.png", buffer.getvalue(), content_type="image/png")


def _proof(order, amount, *, upload=None, paid_on=None):
    return payment_submit(
        order=order,
        amount_idr=amount,
        paid_on=paid_on or timezone.localdate(),
        from_bank="BCA",
        from_account_name="Siti",
        proof_file=upload or _receipt(f"Transfer {order.number} {amount}"),
        now=timezone.now(),
    )


def test_an_exact_credit_confirms_the_waiting_proof_of_its_order(account, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    other = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", phone="081299999999", email="o@x.id")
    waiting = _proof(order, order.first_transfer_idr)
    record = _import(account, [_row(order.first_transfer_idr, line=5)])

    assert (record.lines_read, record.credits, record.confirmed, record.unmatched) == (1, 1, 1, 0)
    waiting.refresh_from_db()
    assert waiting.status == Payment.Status.CONFIRMED
    line = BankStatementLine.objects.get()
    assert (line.status, line.order_id, line.payment_id) == (Status.CONFIRMED, order.pk, waiting.pk)
    assert order_fresh(order).status == Order.Status.DP_PAID
    assert order_fresh(other).status == Order.Status.PENDING_PAYMENT
    assert Message.objects.filter(order=order, kind="payment_received").count() == 1
    assert Payment.objects.filter(order=order).count() == 1
    assert ledger_disagreement(order_fresh(order), order_ledger(order_fresh(order))) == ""


def test_an_exact_credit_without_a_proof_records_a_payment_from_the_statement(account, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    day = timezone.localdate()
    _import(account, [_row(order.first_transfer_idr, day)])
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.amount_idr, payment.paid_on, payment.proof.name) == (
        Payment.Status.CONFIRMED,
        order.first_transfer_idr,
        day,
        "",
    )
    assert payment.statement_line.status == Status.CONFIRMED
    assert order_fresh(order).status == Order.Status.PAID


def test_a_balance_is_matched_too(account, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payment_confirm(payment_id=_proof(order, order.first_transfer_idr).pk, now=timezone.now())
    due = order_ledger(order_fresh(order)).due_idr
    assert due == order.balance_idr
    record = _import(account, [_row(due)])
    assert record.confirmed == 1
    assert order_fresh(order).status == Order.Status.PAID


def test_the_same_file_twice_or_an_overlapping_one_adds_nothing_already_kept(account, campaign):
    first = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    second = place_order(campaign, [(campaign.items.first(), 1)], plan="full", phone="081299999999", email="o@x.id")
    day = timezone.localdate()
    yesterday = day - datetime.timedelta(days=1)
    rows = [
        _row(123_000, yesterday, line=1),
        _row(first.first_transfer_idr, day, line=2),
        _row(50_000, day, credit=False),
    ]
    again = _import(account, rows)
    assert (again.credits, again.debits, again.confirmed, again.unmatched) == (2, 1, 1, 1)
    repeat = _import(account, rows)
    assert (repeat.credits, repeat.already_imported, repeat.confirmed) == (0, 2, 0)
    overlapping = _import(account, [*rows[1:], _row(second.first_transfer_idr, day, line=9)])
    assert (overlapping.credits, overlapping.already_imported, overlapping.confirmed) == (1, 1, 1)
    assert BankStatementLine.objects.count() == 3
    assert Payment.objects.filter(status=Payment.Status.CONFIRMED).count() == 2
    # Two equal transfers on one day are two lines.
    twice = _import(account, [_row(77_000, day, line=1), _row(77_000, day, line=2)])
    assert twice.credits == 2


def test_an_amount_two_orders_owe_or_one_missing_the_kode_unik_is_a_suggestion(account, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    record = _import(account, [_row(order.first_payment_idr)])  # the kode unik left out
    line = BankStatementLine.objects.get()
    assert (record.suggestions, line.status, line.suggested_order_ids) == (1, Status.SUGGESTED, [order.pk])
    assert not Payment.objects.exists()
    statement_line_confirm(line=line, order=order, actor=None, now=timezone.now())
    assert order_fresh(order).status == Order.Status.DP_PAID  # the DP is in; the code only named the transfer
    line.refresh_from_db()
    assert line.status == Status.CONFIRMED


def test_an_order_placed_after_the_credit_is_not_what_it_paid(account, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    record = _import(account, [_row(order.first_transfer_idr, timezone.localdate() - datetime.timedelta(days=2))])
    assert (record.confirmed, record.unmatched) == (0, 1)


def test_without_automatic_confirmation_an_exact_match_waits_for_the_sellers_click(account, campaign, settings):
    settings.STATEMENT_AUTO_CONFIRM = False
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    (planned,) = statement_preview(bank_account=account, rows=[_row(order.first_transfer_idr)])
    assert planned.outcome == "wait" and planned.orders == [order.number]
    assert not BankStatementLine.objects.exists()  # the preview wrote nothing
    record = _import(account, [_row(order.first_transfer_idr)])
    assert (record.confirmed, record.waiting) == (0, 1)
    assert not Payment.objects.exists()
    line = BankStatementLine.objects.get()
    statement_line_confirm(line=line, order=order, actor=None, now=timezone.now())
    assert order_fresh(order).status == Order.Status.PAID
    with pytest.raises(Exception, match="already confirmed"):
        statement_line_confirm(line=BankStatementLine.objects.get(), order=order, actor=None, now=timezone.now())


def test_the_seller_confirmed_first_so_the_statement_line_points_at_that_payment(account, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    payment = _proof(order, order.first_transfer_idr)
    payment_confirm(payment_id=payment.pk, now=timezone.now())
    record = _import(account, [_row(order.first_transfer_idr)])
    line = BankStatementLine.objects.get()
    # The order owed nothing when the line came: no second payment; the seller matches it by hand if it was this one.
    assert record.confirmed == 0 and line.status == Status.UNMATCHED
    statement_line_confirm(line=line, order=order, actor=None, now=timezone.now())
    line.refresh_from_db()
    assert line.payment_id == payment.pk
    assert Payment.objects.filter(order=order).count() == 1


def test_a_proof_the_covering_statements_do_not_show_is_flagged_and_no_longer_holds_its_order(account, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    today = timezone.localdate()
    proof = _proof(order, order.first_transfer_idr, paid_on=today - datetime.timedelta(days=2))
    assert order_fresh(order).payment_awaiting_since is not None
    # A statement of yesterday and today only does not cover the proof's day: nothing is judged.
    assert _import(account, [_row(10_000, today - datetime.timedelta(days=1))]).proofs_flagged == 0
    # One that covers the transfer's day and the next, without that amount: flagged.
    record = _import(account, [_row(20_000, today - datetime.timedelta(days=3), line=1), _row(30_000, today, line=2)])
    assert record.proofs_flagged == 1
    proof.refresh_from_db()
    assert proof.proof_flag == Payment.ProofFlag.NOT_IN_STATEMENT and proof.status == Payment.Status.PENDING
    assert order_fresh(order).payment_awaiting_since is None


def test_a_proof_is_not_flagged_while_another_active_account_has_no_statement(account, campaign):
    BankAccount.objects.create(bank_name="Mandiri", account_number="1230009", account_holder="Toko Batik")
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    today = timezone.localdate()
    _proof(order, order.first_transfer_idr, paid_on=today - datetime.timedelta(days=2))
    record = _import(account, [_row(20_000, today - datetime.timedelta(days=3), line=1), _row(30_000, today, line=2)])
    assert record.proofs_flagged == 0


def test_a_transfer_that_arrives_the_next_day_is_in_the_statement(account, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    today = timezone.localdate()
    proof = _proof(order, 99_999, paid_on=today - datetime.timedelta(days=2))
    _import(
        account,
        [
            _row(99_999, today - datetime.timedelta(days=1), line=1),
            _row(1_000, today - datetime.timedelta(days=3), line=2),
        ],
    )
    proof.refresh_from_db()
    assert proof.proof_flag == ""


def test_one_screenshot_sent_for_two_orders_is_flagged_on_both(campaign):
    first = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    second = place_order(campaign, [(campaign.items.first(), 1)], plan="full", phone="081299999999", email="o@x.id")
    third = place_order(campaign, [(campaign.items.first(), 1)], plan="full", phone="081288888888", email="t@x.id")
    original = _receipt("Transfer Berhasil Rp200.123 ke 8730123456")
    one = _proof(first, first.first_transfer_idr, upload=original)
    # The same screenshot, re-saved as a smaller JPEG.
    original.seek(0)
    picture = Image.open(io.BytesIO(original.read())).convert("RGB").resize((300, 533))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=70)
    two = _proof(second, second.first_transfer_idr, upload=SimpleUploadedFile("b.jpg", buffer.getvalue()))
    three = _proof(third, third.first_transfer_idr, upload=_receipt("Pembayaran QRIS sukses 54.000 Warung Sate"))
    one.refresh_from_db()
    two.refresh_from_db()
    three.refresh_from_db()
    assert (one.proof_flag, two.proof_flag, three.proof_flag) == (
        Payment.ProofFlag.REUSED,
        Payment.ProofFlag.REUSED,
        "",
    )
    assert second.number in one.proof_flag_note and first.number in two.proof_flag_note


def test_the_same_file_sent_again_for_its_own_order_is_not_a_reuse(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    upload = _receipt("Transfer Berhasil")
    first = _proof(order, order.first_transfer_idr, upload=upload)
    upload.seek(0)
    corrected = payment_submit(
        order=order,
        amount_idr=order.first_transfer_idr,
        paid_on=timezone.localdate(),
        from_bank="BCA",
        from_account_name="Siti",
        proof_file=upload,
        replace_waiting=True,
        now=timezone.now(),
    )
    assert Payment.objects.get(pk=first.pk).proof_flag == "" and corrected.proof_flag == ""


def test_the_import_record_keeps_its_period(account, campaign):
    today = timezone.localdate()
    record = _import(account, [_row(1_000, today - datetime.timedelta(days=4)), _row(2_000, today)])
    assert (record.first_date, record.last_date) == (today - datetime.timedelta(days=4), today)
    assert BankStatementImport.objects.get().lines_read == 2


def test_a_credit_written_with_sen_is_never_an_orders_payment(account, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    interest = StatementRow(
        line=3,
        booked_on=timezone.localdate(),
        description="BUNGA",
        amount_idr=order.first_transfer_idr,
        credit=True,
        with_cents=True,
    )
    record = _import(account, [interest])
    assert (record.credits, record.debits, record.confirmed) == (0, 1, 0)
    assert not Payment.objects.exists() and not BankStatementLine.objects.exists()
