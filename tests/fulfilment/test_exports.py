import codecs
import csv
import datetime
import io
import re
from dataclasses import dataclass

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.loader import render_to_string
from django.utils import timezone, translation

from fulfilment.exports import AddressLabel, address_labels, packing_list_write, production_list_write, spreadsheet_safe
from fulfilment.models import ProductionTally
from fulfilment.services import production_tally_take
from orders.models import Order, OrderLine
from payments.ledger import order_ledger
from payments.services import payment_confirm
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db
Status = Order.Status

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE_NOTES = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx"]
TALLY_AT = datetime.datetime(2026, 1, 5, 7, 30, tzinfo=datetime.UTC)  # 14:30 in Jakarta
ADDRESS = "Jl. Kaliurang No. 12, RT 03/RW 05, Gondokusuman, Kota Yogyakarta, DI Yogyakarta, 55223"
PHONE = "'+6281234567890"  # stored as +62...: a leading "+" is neutralised like any other


@pytest.fixture(autouse=True)
def _english():
    # The headings and states are translated; the tests read them in English.
    with translation.override("en"):
        yield


@dataclass
class Placed:
    order: Order
    lines: list[tuple[str, str, int, str]]  # size, colour, quantity, note
    paid: bool


def pay(order: Order, amount: int) -> None:
    payment = submit_transfer(order, amount)
    payment_confirm(payment_id=payment.pk, now=timezone.now())


def order_placed(campaign, items, lines, *, plan: str, pay_until: str, name: str) -> Placed:
    """An order of `lines` paid up to "nothing", "first" (DP or full) or "balance"; notes written as stored."""
    order = place_order(
        campaign, [(items[f"{size} / {colour}"], quantity) for size, colour, quantity, _ in lines], plan=plan, name=name
    )
    for size, colour, _quantity, note in lines:
        # Straight into the table: the checkout would strip the tab off "\tx".
        OrderLine.objects.filter(order=order, variant_label=f"{size} / {colour}").update(note=note)
    if pay_until in ("first", "balance"):
        pay(order, order.first_transfer_idr)
    if pay_until == "balance":
        pay(order, order_ledger(order_fresh(order)).due_idr)
    return Placed(order=Order.objects.get(pk=order.pk), lines=lines, paid=pay_until != "nothing")


@pytest.fixture
def campaign():
    return campaign_with_products(products=1, options={"Ukuran": ["S", "M", "L"], "Warna": ["Sogan", "Biru"]})


@pytest.fixture
def items(campaign):
    return {item.variant.label: item for item in campaign.items.prefetch_related("variant__option_values")}


@pytest.fixture
def placed(campaign, items) -> dict[str, Placed]:
    return {
        "full": order_placed(
            campaign,
            items,
            [("S", "Sogan", 2, HOSTILE_NOTES[0]), ("M", "Biru", 1, HOSTILE_NOTES[1])],
            plan="full",
            pay_until="first",
            name="Ani Lestari",
        ),
        "dp": order_placed(
            campaign,
            items,
            [("M", "Sogan", 3, HOSTILE_NOTES[2]), ("L", "Biru", 1, HOSTILE_NOTES[3])],
            plan="dp",
            pay_until="first",
            name="=Rina",
        ),
        "dp_then_balance": order_placed(
            campaign,
            items,
            [("S", "Biru", 1, HOSTILE_NOTES[4]), ("L", "Sogan", 2, "Bordir: Citra")],
            plan="dp",
            pay_until="balance",
            name="Citra & Ayu",
        ),
        "unpaid": order_placed(
            campaign,
            items,
            [("S", "Sogan", 5, "=1+1"), ("L", "Biru", 4, "")],
            plan="dp",
            pay_until="nothing",
            name="Dodi",
        ),
    }


@pytest.fixture
def tally(campaign, placed):
    return production_tally_take(campaign=campaign, now=TALLY_AT)


def expected_units(placed) -> dict[tuple[str, str], int]:
    """What the paid orders ask for, counted from what the test placed."""
    units: dict[tuple[str, str], int] = {}
    for order in placed.values():
        if order.paid:
            for size, colour, quantity, _note in order.lines:
                units[(size, colour)] = units.get((size, colour), 0) + quantity
    return units


def trimmed(row: list) -> list:
    while row and row[-1] in (None, ""):
        row = row[:-1]
    return row


def xlsx_read(data: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return sheet, [trimmed([cell.value for cell in row]) for row in sheet.iter_rows()]


def csv_read(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return [trimmed(row) for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))]


def as_text(rows: list[list]) -> list[list[str]]:
    return [["" if value is None else str(value) for value in row] for row in rows]


def written(writer, file_format: str, **kwargs) -> bytes:
    out = io.BytesIO()
    writer(out=out, file_format=file_format, **kwargs)
    return out.getvalue()


def assert_no_formula(sheet) -> None:
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_STARTS), (cell.coordinate, cell.value)


def matrix_read(rows: list[list], product_name: str):
    """The product's table as {size: {colour: units}}, the row totals, column totals and grand total."""
    start = next(index for index, row in enumerate(rows) if row and row[0] == product_name)
    assert rows[start] == [product_name, "Warna"]
    header = rows[start + 1]
    assert header[0] == "Ukuran" and header[-1] == "Total"
    columns = header[1:-1]
    table, row_totals = {}, {}
    index = start + 2
    while rows[index][0] != "Total":
        label, *cells, row_total = rows[index]
        table[label] = dict(zip(columns, cells, strict=True))
        row_totals[label] = row_total
        index += 1
    *column_totals, grand_total = rows[index][1:]
    return columns, table, row_totals, dict(zip(columns, column_totals, strict=True)), grand_total, index


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Bordir: Citra", "Bordir: Citra"),
        ("", ""),
        (5, 5),
        (-5, -5),
        (None, None),
    ],
)
def test_spreadsheet_safe(value, safe):
    assert spreadsheet_safe(value) == safe


def test_production_list_xlsx_counts_paid_orders_only(campaign, placed, tally):
    sheet, rows = xlsx_read(written(production_list_write, "xlsx", tally=tally))
    expected = expected_units(placed)

    assert rows[0] == [campaign.title]
    assert rows[1] == ["Taken at", "05-01-2026 14:30 WIB"]
    assert rows[2] == ["Paid orders", 3]
    assert rows[3] == ["Units to produce", sum(expected.values())]

    product_name = placed["full"].order.lines.first().product_name
    columns, table, row_totals, column_totals, grand_total, total_row = matrix_read(rows, product_name)
    assert columns == ["Sogan", "Biru"]
    assert list(table) == ["S", "M", "L"]
    for size in ("S", "M", "L"):
        for colour in ("Sogan", "Biru"):
            assert table[size][colour] == expected.get((size, colour), 0), (size, colour)
        assert row_totals[size] == sum(expected.get((size, colour), 0) for colour in ("Sogan", "Biru"))
    for colour in ("Sogan", "Biru"):
        assert column_totals[colour] == sum(expected.get((size, colour), 0) for size in ("S", "M", "L"))
    # The unpaid order's 5 x S / Sogan and 4 x L / Biru are not made.
    assert grand_total == sum(expected.values()) == 10
    assert sheet.cell(row=total_row + 1, column=4).number_format == "#,##0"
    assert sheet.cell(row=total_row + 1, column=1).font.b

    notes = {(row[1], row[3]) for row in rows[total_row + 1 :] if len(row) == 4 and row[1].startswith("PO-")}
    assert notes == {
        (placed["full"].order.number, '\'=HYPERLINK("http://x")'),
        (placed["full"].order.number, "'+1"),
        (placed["dp"].order.number, "'-2"),
        (placed["dp"].order.number, "'@SUM(A1)"),
        (placed["dp_then_balance"].order.number, "'\tx"),
        (placed["dp_then_balance"].order.number, "Bordir: Citra"),
    }
    note_rows = [row for row in rows if len(row) == 4 and row[3] == "'-2"]
    assert note_rows[0][0].startswith("M / Sogan (") and note_rows[0][2] == 3
    assert all("'=1+1" not in row for row in rows)  # the unpaid order's note
    assert_no_formula(sheet)
    assert sheet.freeze_panes == "A2"


def test_production_list_csv_has_the_same_rows(tally):
    xlsx_sheet, xlsx_rows = xlsx_read(written(production_list_write, "xlsx", tally=tally))
    data = written(production_list_write, "csv", tally=tally)
    rows = csv_read(data)
    assert rows == as_text(xlsx_rows)
    assert ["Total", "7", "3", "10"] in rows
    assert any(row[-1:] == ['\'=HYPERLINK("http://x")'] for row in rows)
    assert not any(value.startswith(FORMULA_STARTS) for row in rows for value in row)


def test_packing_list_xlsx(placed):
    campaign = placed["full"].order.campaign
    sheet, rows = xlsx_read(written(packing_list_write, "xlsx", campaign=campaign))
    header, *lines, total = rows
    assert header == [
        "Order number",
        "Name",
        "WhatsApp number",
        "Address",
        "Product",
        "Variant",
        "Quantity",
        "Note",
        "Postage (Rp)",
        "Total (Rp)",
        "Payment",
        "Amount due (Rp)",
    ]
    paid = [placed[key].order for key in ("full", "dp", "dp_then_balance")]
    assert [line[0] for line in lines] == sorted(order.number for order in paid for _ in range(2))
    assert placed["unpaid"].order.number not in {line[0] for line in lines}
    assert total == ["Total", None, None, None, None, None, 10]

    by_order = {}
    for line in lines:
        by_order.setdefault(line[0], []).append(line)
    full, dp, dp_then_balance = (by_order[order.number] for order in paid)
    dp_order = placed["dp"].order
    assert dp_order.status == Status.DP_PAID
    due = dp_order.total_idr - dp_order.first_payment_idr - dp_order.unique_code  # the kode unik counts as paid
    assert due > 0
    assert {(line[10], line[11]) for line in dp} == {("Balance outstanding", due)}
    assert {(line[10], line[11]) for line in full} == {("Paid in full", 0)}
    assert {(line[10], line[11]) for line in dp_then_balance} == {("Paid in full", 0)}
    assert [(line[8], line[9]) for line in dp] == [(dp_order.postage_idr, dp_order.total_idr)] * 2

    assert dp[0][1:8] == ["'=Rina", PHONE, ADDRESS, dp[0][4], "M / Sogan", 3, "'-2"]
    assert [line[7] for line in full] == ['\'=HYPERLINK("http://x")', "'+1"]
    assert dp_then_balance[0][7] == "'\tx"
    assert_no_formula(sheet)
    assert sheet.freeze_panes == "B2"
    assert sheet["A1"].font.b
    assert sheet.cell(row=2, column=10).number_format == "#,##0"


def test_packing_list_csv_has_the_same_rows(placed):
    campaign = placed["full"].order.campaign
    _sheet, xlsx_rows = xlsx_read(written(packing_list_write, "xlsx", campaign=campaign))
    rows = csv_read(written(packing_list_write, "csv", campaign=campaign))
    assert rows == as_text(xlsx_rows)
    dp_row = next(row for row in rows if row[0] == placed["dp"].order.number)
    assert (
        dp_row[10] == "Balance outstanding" and int(dp_row[11]) == order_ledger(order_fresh(placed["dp"].order)).due_idr
    )
    assert not any(value.startswith(FORMULA_STARTS) for row in rows for value in row)


def test_unknown_file_format(tally):
    with pytest.raises(ValueError, match="ods"):
        production_list_write(tally=tally, out=io.BytesIO(), file_format="ods")


def test_command_writes_files(tmp_path, monkeypatch, campaign, placed, tally):
    folder = tmp_path / "lists"
    folder.mkdir()
    monkeypatch.chdir(folder)
    out = io.StringIO()
    call_command("export_production", campaign.slug, "--list", "production", stdout=out)
    path = folder / f"{campaign.slug}-production.xlsx"
    assert f"{campaign.slug}-production.xlsx" in out.getvalue()
    assert openpyxl.load_workbook(path).active["A1"].value == campaign.title

    target = folder / "kirim.csv"
    call_command(
        "export_production",
        str(campaign.pk),
        "--list",
        "packing",
        "--format",
        "csv",
        "--output",
        str(target),
        stdout=io.StringIO(),
    )
    rows = csv_read(target.read_bytes())
    assert rows[-1] == ["Total", "", "", "", "", "", "10"]
    assert sorted(path.name for path in folder.iterdir()) == ["kirim.csv", f"{campaign.slug}-production.xlsx"]


def test_command_writes_csv_to_stdout(campaign, placed, tally):
    out = io.StringIO()
    call_command(
        "export_production", campaign.slug, "--list", "production", "--format", "csv", "--output", "-", stdout=out
    )
    text = out.getvalue()
    assert text.startswith("\ufeff" + campaign.title)
    assert "Total,7,3,10" in text
    assert "Wrote" not in text


def test_command_errors(tmp_path, campaign, placed):
    folder = tmp_path / "lists"
    folder.mkdir()
    with pytest.raises(CommandError, match="no campaign with the id or slug 'tidak-ada'"):
        call_command("export_production", "tidak-ada", "--list", "packing")
    with pytest.raises(CommandError, match="no production tally yet: the PO has not gone into production"):
        call_command("export_production", campaign.slug, "--list", "production", "--output", str(folder / "x.xlsx"))
    assert not list(folder.iterdir())
    with pytest.raises(CommandError, match="Only a CSV goes to standard output"):
        call_command("export_production", campaign.slug, "--list", "packing", "--output", "-")
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "export_production", campaign.slug, "--list", "packing", "--output", str(tmp_path / "no" / "x.csv")
        )


def test_address_labels(campaign, placed):
    Order.objects.filter(pk=placed["full"].order.pk).update(status=Status.SHIPPED)  # already on its way
    labels = address_labels(campaign=campaign)
    dp, balance = placed["dp"].order, placed["dp_then_balance"].order
    assert [label.order_number for label in labels] == sorted([dp.number, balance.number])
    label = next(label for label in labels if label.order_number == dp.number)
    product_name = dp.lines.first().product_name
    assert label.recipient_name == "=Rina"
    assert label.phone == "+6281234567890"
    assert label.address_lines == (
        "Jl. Kaliurang No. 12, RT 03/RW 05",
        "Gondokusuman, Kota Yogyakarta",
        "DI Yogyakarta 55223",
    )
    assert label.contents == f"3x {product_name} (M / Sogan), 1x {product_name} (L / Biru)"
    # A DP-paid parcel is marked: the balance comes before shipping.
    balance_label = next(label for label in labels if label.order_number == balance.number)
    assert (label.balance_outstanding, balance_label.balance_outstanding) == (True, False)

    html = render_to_string(
        "fulfilment/address_labels.html",
        {
            "shop_name": "Toko Batik Sekar",
            "shop_address": "Jl. Malioboro 5, Yogyakarta",
            "campaign": campaign,
            "labels": labels,
        },
    )
    assert '<html lang="en">' in html
    assert "=Rina" in html and "Citra &amp; Ayu" in html
    assert "Ani Lestari" not in html and "Dodi" not in html
    assert html.count("From: Toko Batik Sekar, Jl. Malioboro 5, Yogyakarta") == 2
    assert html.count("BALANCE NOT PAID YET") == 1
    assert dp.number in html and f"3x {product_name} (M / Sogan)" in html
    assert "@page { size: A4; margin: 10mm; }" in html
    # No inline script: the Print button's script is a static file.
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts == [""] and 'src="/static/js/print.js"' in html
    assert "data-print" in html


def test_address_labels_eight_per_sheet(campaign):
    labels = [
        AddressLabel(
            order_number=f"PO-2601-{number:05d}",
            recipient_name=f"Pembeli {number}",
            phone="+6281234567890",
            address_lines=("Jl. Solo 1", "Depok, Sleman", "DI Yogyakarta 55281"),
            contents="1x Kemeja Batik (M / Sogan)",
        )
        for number in range(9)
    ]
    html = render_to_string(
        "fulfilment/address_labels.html",
        {"shop_name": "Toko Batik Sekar", "shop_address": "", "campaign": campaign, "labels": labels},
    )
    assert html.count('<section class="sheet">') == html.count("</section>") == 2
    assert html.count('<article class="label">') == 9
    assert "From: Toko Batik Sekar</div>" in html


def paid_orders_add(campaign, items, count: int) -> None:
    for number in range(count):
        order = place_order(
            campaign, [(items["S / Sogan"], 1), (items["M / Biru"], 2)], plan="full", name=f"Pembeli {number}"
        )
        OrderLine.objects.filter(order=order).update(note=f"Nama {number}")
        pay(order, order.first_transfer_idr)


def query_count(django_assert_max_num_queries, limit: int, export) -> int:
    with django_assert_max_num_queries(limit) as captured:
        export()
    return len(captured.captured_queries)


def test_exports_take_the_same_queries_for_3_and_30_orders(django_assert_max_num_queries, campaign, items):
    def exports():
        # A tally fresh from the database, as a view or the command would load it.
        tally = ProductionTally.objects.get(campaign=campaign)
        return [
            (3, lambda: production_list_write(tally=tally, out=io.BytesIO(), file_format="xlsx")),
            (3, lambda: production_list_write(tally=tally, out=io.BytesIO(), file_format="csv")),
            (4, lambda: packing_list_write(campaign=campaign, out=io.BytesIO(), file_format="xlsx")),
            (4, lambda: packing_list_write(campaign=campaign, out=io.BytesIO(), file_format="csv")),
            (2, lambda: address_labels(campaign=campaign)),
        ]

    paid_orders_add(campaign, items, 3)
    production_tally_take(campaign=campaign, now=timezone.now())
    few = [query_count(django_assert_max_num_queries, limit, export) for limit, export in exports()]
    assert len(address_labels(campaign=campaign)) == 3

    paid_orders_add(campaign, items, 27)
    production_tally_take(campaign=campaign, now=timezone.now())
    many = [query_count(django_assert_max_num_queries, limit, export) for limit, export in exports()]
    assert many == few
    assert len(address_labels(campaign=campaign)) == 30
