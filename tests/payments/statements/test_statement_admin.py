"""The seller imports a statement from the admin (upload, map the columns, preview, import), decides on the
lines that wait, rejects a proof the statement disproves; the same import by command."""

import datetime
import io
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from orders.models import BankAccount, Order
from payments.models import BankStatementImport, BankStatementLine, BankStatementMapping, Payment
from tests.factories import place_order
from tests.payments.conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db
IMPORT = reverse("admin:payments_bankstatementimport_import")
LINES = reverse("admin:payments_bankstatementline_changelist")


@pytest.fixture
def account():
    return BankAccount.objects.create(bank_name="BCA", account_number="0202405914", account_holder="Toko Batik")


def _bca_csv(*credits: int, day: datetime.date | None = None) -> bytes:
    day = day or timezone.localdate()
    rows = "".join(
        f"'{day:%d/%m/%Y},TRSF E-BANKING CR {number:04d}/FTSCY/WS95031 PEMBELI,'0000,{amount}.00,CR,9000000.00\n"
        for number, amount in enumerate(credits)
    )
    return (
        "No. Rekening,=,'0202405914\nNama,=,TOKO BATIK\nMata Uang,=,IDR\n\n"
        "Tanggal,Keterangan,Cabang,Jumlah,,Saldo\n"
        f"{rows}"
        f"'{day:%d/%m/%Y},BIAYA ADM,'0000,15000.00,DB,8985000.00\n"
        "Saldo Awal,=,0.00\nKredit,=,0.00\nDebet,=,15000.00\nSaldo Akhir,=,0.00\n"
    ).encode()


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _upload(client, account, data: bytes, layout="bca", name="mutasi.csv"):
    return client.post(
        IMPORT,
        {"step": "upload", "bank_account": account.pk, "layout": layout, "file": SimpleUploadedFile(name, data)},
    )


def test_the_seller_uploads_previews_and_imports_a_statement_once(seller_client, account, campaign):
    client = _english(seller_client)
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    assert client.get(IMPORT).status_code == 200

    preview = _upload(client, account, _bca_csv(order.first_transfer_idr, 5_000))
    html = preview.content.decode()
    assert preview.status_code == 200 and not BankStatementLine.objects.exists()  # nothing saved yet
    assert f"confirmed: pays {order.number}" in html
    assert "no order matches" in html and "money out: ignored" in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)

    done = client.post(IMPORT, {"step": "confirm", "token": token}, follow=True)
    assert "2 new credits; 1 matched and confirmed" in " ".join(_messages(done))
    assert order_fresh(order).status == Order.Status.PAID
    assert BankStatementImport.objects.count() == 1

    twice = client.post(IMPORT, {"step": "confirm", "token": token}, follow=True)
    assert twice.status_code == 200
    assert "no longer waiting" in " ".join(_messages(twice))
    assert BankStatementImport.objects.count() == 1 and Payment.objects.count() == 1

    tampered = client.post(IMPORT, {"step": "confirm", "token": token[:-3] + "abc"}, follow=True)
    assert tampered.status_code == 200 and BankStatementImport.objects.count() == 1


def test_a_file_of_another_bank_layout_is_mapped_once_and_the_mapping_is_saved(seller_client, account, campaign):
    client = _english(seller_client)
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    day = timezone.localdate()
    data = (
        f"Tgl;Uraian;Masuk;Keluar\n{day:%d-%m-%Y};TRANSFER DARI SITI;Rp{order.first_transfer_idr:,};\n".replace(
            ",", "."
        )
    ).encode()
    mapping_page = _upload(client, account, data, layout="mapping")
    html = mapping_page.content.decode()
    assert "TRANSFER DARI SITI" in html  # the first rows, to choose the columns by
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)

    incomplete = client.post(
        IMPORT, {"step": "map", "token": token, "date": "Tgl", "description": "Uraian", "day_first": "on"}
    )
    assert "Choose the amount column, or the credit column." in incomplete.content.decode()
    preview = client.post(
        IMPORT,
        {
            "step": "map",
            "token": token,
            "date": "Tgl",
            "description": "Uraian",
            "credit": "Masuk",
            "debit": "Keluar",
            "day_first": "on",
        },
    )
    token = re.search(r'name="token" value="([^"]+)"', preview.content.decode()).group(1)
    client.post(IMPORT, {"step": "confirm", "token": token})
    assert order_fresh(order).status == Order.Status.PAID
    assert BankStatementMapping.objects.get(bank_account=account).columns["credit"] == "Masuk"

    # Next time the saved mapping reads the same bank's file straight away.
    again = _upload(client, account, data, layout="saved")
    assert "imported before: skipped" in again.content.decode()


def test_a_file_that_cannot_be_read_imports_nothing_and_says_why(seller_client, account):
    client = _english(seller_client)
    refused = client.post(
        IMPORT,
        {
            "step": "upload",
            "bank_account": account.pk,
            "layout": "bca",
            "file": SimpleUploadedFile("a.pdf", b"%PDF-1.7 x"),
        },
        follow=True,
    )
    assert refused.status_code == 200
    assert any(message.startswith("Nothing was imported") for message in _messages(refused))
    assert not BankStatementImport.objects.exists()


def test_the_seller_confirms_a_waiting_match_and_a_suggestion_with_the_order_typed(
    seller_client, account, campaign, settings, tmp_path
):
    settings.STATEMENT_AUTO_CONFIRM = False
    client = _english(seller_client)
    first = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    second = place_order(campaign, [(campaign.items.first(), 1)], plan="full", phone="081299999999", email="o@x.id")
    call_command(
        "statement_import",
        "020-240-5914",
        _write(tmp_path, _bca_csv(first.first_transfer_idr, second.first_payment_idr)),
        stdout=io.StringIO(),
    )
    waiting = BankStatementLine.objects.get(status=BankStatementLine.Status.EXACT)
    suggestion = BankStatementLine.objects.get(status=BankStatementLine.Status.SUGGESTED)

    client.post(LINES, {"action": "confirm_match", "_selected_action": [waiting.pk]})
    assert order_fresh(first).status == Order.Status.PAID
    nobody = client.post(
        LINES,
        {"action": "confirm_with_order", "_selected_action": [suggestion.pk], "order_number": "PO-0000-00000"},
        follow=True,
    )
    assert "Type the number of an order" in " ".join(_messages(nobody))
    client.post(
        LINES,
        {"action": "confirm_with_order", "_selected_action": [suggestion.pk], "order_number": second.number.lower()},
    )
    suggestion.refresh_from_db()
    assert suggestion.status == BankStatementLine.Status.CONFIRMED and suggestion.order_id == second.pk
    assert order_fresh(second).status == Order.Status.PAID


def test_a_proof_the_statement_disproves_comes_first_and_is_rejected_in_one_click(
    seller_client, account, campaign, tmp_path
):
    client = _english(seller_client)
    honest = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    faker = place_order(campaign, [(campaign.items.first(), 1)], plan="full", phone="081299999999", email="o@x.id")
    submit_transfer(honest, honest.first_transfer_idr + 1)  # waits, with an amount the statement does not show either
    fake = submit_transfer(faker, faker.first_transfer_idr)
    Payment.objects.filter(pk=fake.pk).update(paid_on=timezone.localdate() - datetime.timedelta(days=1))
    Payment.objects.exclude(pk=fake.pk).update(paid_on=timezone.localdate() + datetime.timedelta(days=5))  # not covered
    call_command(
        "statement_import",
        "0202405914",
        _write(tmp_path, _bca_csv(12_345, day=timezone.localdate() - datetime.timedelta(days=1))),
        stdout=io.StringIO(),
    )
    call_command("statement_import", "0202405914", _write(tmp_path, _bca_csv(54_321)), stdout=io.StringIO())
    fake.refresh_from_db()
    assert fake.proof_flag == Payment.ProofFlag.NOT_IN_STATEMENT

    listing = client.get(reverse("admin:payments_payment_changelist")).content.decode()
    assert listing.index(faker.number) < listing.index(honest.number)  # flagged first
    assert "Not in the bank statement" in listing
    client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "reject_not_in_statement", "_selected_action": [fake.pk]},
    )
    fake.refresh_from_db()
    assert fake.status == Payment.Status.REJECTED and "bank statement does not show" in fake.rejection_reason


def _write(folder, data: bytes) -> str:
    path = folder / f"mutasi-{len(list(folder.iterdir()))}.csv"
    path.write_bytes(data)
    return str(path)


def test_the_command_prints_what_it_did_and_refuses_a_bad_file_with_an_error(account, campaign, tmp_path):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    good = tmp_path / "mutasi.csv"
    good.write_bytes(_bca_csv(order.first_transfer_idr, 7_000))
    out = io.StringIO()
    call_command("statement_import", "0202405914", str(good), "--layout", "bca", stdout=out)
    printed = out.getvalue()
    assert "lines read: 3" in printed and "matched and confirmed: 1" in printed and "unmatched: 1" in printed
    again = io.StringIO()
    call_command("statement_import", "0202405914", str(good), stdout=again)  # the account's bank names the layout
    assert "new credits: 0" in again.getvalue() and "imported before: 2" in again.getvalue()

    bad = tmp_path / "bukti.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not a statement")
    with pytest.raises(CommandError, match="Refused"):
        call_command("statement_import", "0202405914", str(bad), "--layout", "bca")
    with pytest.raises(CommandError, match="No bank account 999"):
        call_command("statement_import", "999", str(good))
    assert BankStatementImport.objects.count() == 2
