"""The seller imports the shop's bank statement in the admin (in English): the preview says per line what
will happen, the import confirms the order the statement pays exactly, the seller confirms the suggestion
for an order whose buyer left out the kode unik, and rejects in one click the proof the statement disproves."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import CampaignItem
from orders.models import BankAccount, Order
from payments.models import BankStatementLine, Payment
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db(transaction=True)


def rupiah(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


def _bca_csv(credits: list[tuple[datetime.date, int]], *, fee_day: datetime.date) -> bytes:
    """A KlikBCA statement export: the account's header, one line per credit, a bank fee (money out)."""
    rows = "".join(
        f"'{day:%d/%m/%Y},TRSF E-BANKING CR {number:04d}/FTSCY/WS95031 PEMBELI,'0000,{amount}.00,CR,9000000.00\n"
        for number, (day, amount) in enumerate(credits)
    )
    return (
        "No. Rekening,=,'0202405914\nNama,=,TOKO BATIK\nMata Uang,=,IDR\n\n"
        "Tanggal,Keterangan,Cabang,Jumlah,,Saldo\n"
        f"{rows}"
        f"'{fee_day:%d/%m/%Y},BIAYA ADM,'0000,15000.00,DB,8985000.00\n"
        "Saldo Awal,=,0.00\nKredit,=,0.00\nDebet,=,15000.00\nSaldo Akhir,=,0.00\n"
    ).encode()


@pytest.fixture
def shop(settings, tmp_path):
    """One BCA account and an open PO with three orders:
    A sent a proof (dated yesterday) of a transfer the statement does not show;
    B sent nothing, and the statement pays it exactly;
    C's buyer left out the kode unik: the statement's credit is C's DP without it."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STATEMENT_AUTO_CONFIRM = True
    account = BankAccount.objects.create(bank_name="BCA", account_number="0202405914", account_holder="Toko Batik")
    # Every active account must be covered by a statement before a proof is judged: this one is the shop's only.
    BankAccount.objects.exclude(pk=account.pk).update(is_active=False)
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["M"]}, title="PO Batik Kawung", dp_percent=50, quota_total=50
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000, quota=20)
    item = campaign.items.get()
    order_a = place_order(
        campaign, [(item, 1)], plan="full", name="Ayu Lestari", phone="0812-1111-0001", email="ayu@example.com"
    )
    order_b = place_order(
        campaign, [(item, 2)], plan="full", name="Budi Santoso", phone="0812-1111-0002", email="budi@example.com"
    )
    order_c = place_order(
        campaign, [(item, 3)], plan="dp", name="Citra Dewi", phone="0812-1111-0003", email="citra@example.com"
    )
    proof = submit_transfer(order_a, order_a.first_transfer_idr)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Payment.objects.filter(pk=proof.pk).update(paid_on=yesterday)
    return {"account": account, "a": order_a, "b": order_b, "c": order_c, "proof": proof}


def _table_with_column(page, header: str):
    """The table with this column heading (the admin's sidebar lists the apps in tables too)."""
    return page.get_by_role("table").filter(has=page.get_by_role("columnheader", name=header, exact=True))


def _run_action(page, row, action: str):
    row.get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label=action)
    # The shop's admin names Django's "Go" button after what it does (templates/admin/actions.html).
    page.get_by_role("button", name="Run the chosen action on the selected rows").click()


def test_the_seller_imports_the_statement_confirms_a_suggestion_and_rejects_a_disproved_proof(
    seller_desktop, shop, tmp_path
):
    page, order_a, order_b, order_c = seller_desktop, shop["a"], shop["b"], shop["c"]
    today = timezone.localdate()
    statement = tmp_path / "mutasi-bca.csv"
    statement.write_bytes(
        _bca_csv(
            [
                (today - datetime.timedelta(days=2), 12_345),  # the statement starts before A's transfer date
                (today, order_b.first_transfer_idr),  # B, exactly, kode unik and all
                (today, order_c.first_payment_idr),  # C's DP without the kode unik
            ],
            fee_day=today,
        )
    )

    # Upload: the account, the bank's layout, the file; the preview says what each line will do.
    page.goto(reverse("admin:payments_bankstatementimport_import"))
    expect(page.get_by_role("heading", name="Import a bank statement")).to_be_visible()
    page.get_by_label("Bank account").select_option(label=str(shop["account"]))
    page.get_by_label("The file is").select_option(label="BCA (KlikBCA, CSV)")
    page.get_by_label("Statement file").set_input_files(str(statement))
    page.get_by_role("button", name="Read the file").click()

    preview = _table_with_column(page, "what happens")
    expect(page.get_by_text("what importing it will do, line by line. Nothing is saved yet.")).to_be_visible()
    paid_b = preview.get_by_role("row").filter(has_text=f"confirmed: pays {order_b.number}")
    expect(paid_b).to_have_count(1)
    expect(paid_b).to_contain_text(rupiah(order_b.first_transfer_idr))
    suggested_c = preview.get_by_role("row").filter(has_text=f"suggestion: {order_c.number}")
    expect(suggested_c).to_have_count(1)
    expect(suggested_c).to_contain_text(rupiah(order_c.first_payment_idr))
    expect(preview.get_by_role("row").filter(has_text="no order matches: listed for you")).to_contain_text(
        rupiah(12_345)
    )
    expect(preview.get_by_role("row").filter(has_text="money out: ignored")).to_contain_text(rupiah(15_000))
    assert not BankStatementLine.objects.exists()  # nothing saved before "Import"
    preview_shot = tmp_path / "statement-preview.png"
    page.screenshot(path=str(preview_shot), full_page=True)

    page.get_by_role("button", name="Import").click()
    expect(
        page.get_by_text(
            "mutasi-bca.csv: 4 lines read, 3 new credits; 1 matched and confirmed, 0 matched and waiting for you, "
            "1 suggestion, 1 unmatched; 1 proof flagged."
        )
    ).to_be_visible()
    assert order_fresh(order_b).status == Order.Status.PAID

    # The statement lines: C's suggestion waits for the seller's click.
    line_c = page.get_by_role("row").filter(has_text=order_c.number)
    expect(line_c).to_have_count(1)
    lines_shot = tmp_path / "statement-lines.png"
    page.screenshot(path=str(lines_shot), full_page=True)
    _run_action(page, line_c, "Confirm the match (one order, or the only suggestion)")
    expect(page.get_by_text("1 payment confirmed.")).to_be_visible()

    assert order_fresh(order_c).status == Order.Status.DP_PAID
    line = BankStatementLine.objects.get(amount_idr=order_c.first_payment_idr)
    assert line.status == BankStatementLine.Status.CONFIRMED and line.order_id == order_c.pk
    proof = Payment.objects.get(pk=shop["proof"].pk)
    assert proof.status == Payment.Status.PENDING
    assert proof.proof_flag == Payment.ProofFlag.NOT_IN_STATEMENT

    # The payments list: A's proof comes first, with why; one click rejects it.
    page.goto(reverse("admin:payments_payment_changelist"))
    first = _table_with_column(page, "Status").get_by_role("row").nth(1)  # under the header
    expect(first).to_contain_text(order_a.number)
    expect(first).to_contain_text("Not in the bank statement")
    expect(first).to_contain_text(re.compile(r"No credit of this amount on \d\d-\d\d-\d{4} or \d\d-\d\d-\d{4}"))
    payments_shot = tmp_path / "statement-payments.png"
    page.screenshot(path=str(payments_shot), full_page=True)

    _run_action(page, first, "Reject: the bank statement does not show this transfer")
    expect(page.get_by_text("1 payment rejected; the buyer is told why.")).to_be_visible()
    proof.refresh_from_db()
    assert proof.status == Payment.Status.REJECTED
    assert "bank statement does not show" in proof.rejection_reason

    for shot in (preview_shot, lines_shot, payments_shot):
        assert shot.stat().st_size > 0, shot
