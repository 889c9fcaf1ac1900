"""The production list (XLSX to print, CSV and CSV for Excel), the export command and the exports' queries.

The packing list is tested in test_export_packing.py, the labels in test_export_labels.py, and both lists
as LibreOffice prints them in test_export_print.py."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from fulfilment.exports import FILE_FORMATS, address_labels, packing_list_write, production_list_write, spreadsheet_safe
from fulfilment.exports.sheets import text_lines
from fulfilment.models import ProductionTally
from fulfilment.services import production_tally_take
from orders.models import Order, OrderLine
from tests.factories import campaign_with_products, place_order
from tests.fulfilment.test_export_data import (
    HOSTILE_NOTES,
    ORDER_NOTES,
    PRINTED_AT,
    TALLY_AT,
    as_csv_text,
    assert_csv_safe,
    assert_print_setup,
    assert_readable_widths,
    assert_text_as_typed,
    campaign_made,
    csv_read,
    expected_units,
    items_of,
    orders_placed,
    pay,
    xlsx_read,
)
from tests.fulfilment.test_export_data import written as written_with

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # The headings and states are translated; the tests read them in English.
    with translation.override("en"):
        yield


@pytest.fixture
def campaign():
    return campaign_made()


@pytest.fixture
def items(campaign):
    return items_of(campaign)


@pytest.fixture
def placed(campaign, items):
    return orders_placed(campaign, items)


@pytest.fixture
def tally(campaign, placed):
    return production_tally_take(campaign=campaign, now=TALLY_AT)


def written(writer, file_format: str, **kwargs) -> bytes:
    return written_with(writer, file_format, now=PRINTED_AT, **kwargs)


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


def notes_read(rows: list[list], product_name: str) -> dict[str, list[tuple]]:
    """The notes under each variant's name: {variant: [(note, order number, quantity, order note)]}."""
    start = rows.index([f"Notes: {product_name}"])
    assert rows[start + 1] == ["Note for this item", "Order number", "Quantity", "Order note"]
    notes, variant = {}, None
    for row in rows[start + 2 :]:
        if not row:
            break
        if len(row) == 1:
            variant = row[0]
            notes[variant] = []
        else:
            notes[variant].append((*row[:3], row[3] if len(row) > 3 else ""))
    return notes


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


def test_production_list_totals_per_row_and_column_count_paid_orders_only(campaign, placed, tally):
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
    # The totals are labelled and bold: the heading "Total" over the row totals, "Total" before the columns'.
    assert sheet.cell(row=total_row + 1, column=1).font.b
    assert sheet.cell(row=total_row - 3, column=4).value == "Total" and sheet.cell(row=total_row - 3, column=4).font.b
    assert sheet.cell(row=total_row, column=4).font.b  # the first row's total
    assert_text_as_typed(sheet)
    assert sheet.freeze_panes == "A2"


def test_production_list_notes_under_their_variant_with_the_orders_own_note(campaign, placed, tally):
    sheet, rows = xlsx_read(written(production_list_write, "xlsx", tally=tally))
    product_name = placed["full"].order.lines.first().product_name
    full, dp, balance = (placed[key].order.number for key in ("full", "dp", "dp_then_balance"))
    # By the variant's name, in the product's order, the text as the buyer typed it; no SKU.
    assert notes_read(rows, product_name) == {
        "S / Sogan": [(HOSTILE_NOTES[0], full, 2, ORDER_NOTES["full"])],
        "S / Biru": [(HOSTILE_NOTES[4], balance, 1, "")],
        "M / Sogan": [(HOSTILE_NOTES[2], dp, 3, ORDER_NOTES["dp"])],
        "M / Biru": [(HOSTILE_NOTES[1], full, 1, ORDER_NOTES["full"])],
        "L / Sogan": [("Bordir: Citra; benang emas", balance, 2, "")],
        "L / Biru": [(HOSTILE_NOTES[3], dp, 1, ORDER_NOTES["dp"])],
    }
    skus = set(tally.lines.values_list("sku", flat=True))
    assert not any(sku in str(value) for row in rows for value in row for sku in skus)
    # Every paid order's own note, the unpaid order's not.
    start = rows.index(["Notes on the whole order"])
    assert rows[start + 1] == ["Order note", "Order number"]
    assert rows[start + 2 :] == [[ORDER_NOTES["full"], full], [ORDER_NOTES["dp"], dp]]
    assert "jangan dibuat" not in str(rows) and "=1+1" not in str(rows)
    assert_text_as_typed(sheet)
    assert_readable_widths(sheet)
    # Wide enough for an order number, and the long texts wrap inside their columns.
    assert sheet.column_dimensions["B"].width >= len(full) + 1
    note_row = next(index for index, row in enumerate(rows, 1) if row[:2] == [HOSTILE_NOTES[2], dp])
    assert sheet.cell(row=note_row, column=1).alignment.wrap_text
    assert sheet.cell(row=note_row, column=4).alignment.wrap_text


def test_production_list_print_setup(campaign, tally):
    sheet, _rows = xlsx_read(written(production_list_write, "xlsx", tally=tally))
    # Three columns of sizes and colours stand on A4 upright.
    assert_print_setup(sheet, title=campaign.title, list_name="Production list", landscape=False)


def test_a_wide_production_list_prints_landscape():
    colours = [f"Warna {number}" for number in range(10)]
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"], "Warna": colours})
    order = place_order(campaign, [(item, 1) for item in items_of(campaign).values()], plan="full")
    pay(order, order.first_transfer_idr)
    tally = production_tally_take(campaign=campaign, now=TALLY_AT)
    sheet, rows = xlsx_read(written(production_list_write, "xlsx", tally=tally))
    assert ["Ukuran", *colours, "Total"] in rows
    assert ["Total", *[2] * 10, 20] in rows
    assert_print_setup(sheet, title=campaign.title, list_name="Production list", landscape=True)
    assert_readable_widths(sheet)


@pytest.mark.parametrize(("file_format", "delimiter"), [("csv", ","), ("csv-excel", ";")])
def test_production_list_csv_has_the_same_rows(tally, file_format, delimiter):
    _sheet, xlsx_rows = xlsx_read(written(production_list_write, "xlsx", tally=tally))
    rows = csv_read(written(production_list_write, file_format, tally=tally), delimiter=delimiter)
    assert rows == as_csv_text(xlsx_rows)
    assert ["Total", "7", "3", "10"] in rows
    assert any(row[:1] == ['\'=HYPERLINK("http://x")'] for row in rows)
    assert any(row[:1] == ["'-- jangan dilipat"] for row in rows)
    assert_csv_safe(rows)


def test_unknown_file_format(tally):
    assert FILE_FORMATS == ("xlsx", "csv", "csv-excel")
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
    # The CSV for Excel ends in .excel.csv: a double click opens it in Excel, in columns.
    call_command("export_production", campaign.slug, "--list", "packing", "--format", "csv-excel", stdout=out)
    assert csv_read((folder / f"{campaign.slug}-packing.excel.csv").read_bytes(), delimiter=";") == rows
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        ["kirim.csv", f"{campaign.slug}-production.xlsx", f"{campaign.slug}-packing.excel.csv"]
    )


def test_command_writes_csv_to_stdout(campaign, placed, tally):
    out = io.StringIO()
    call_command(
        "export_production", campaign.slug, "--list", "production", "--format", "csv", "--output", "-", stdout=out
    )
    text = out.getvalue()
    assert text.startswith("\ufeff" + campaign.title)
    assert "Total,7,3,10" in text
    assert "Wrote" not in text
    out = io.StringIO()
    call_command(
        "export_production", campaign.slug, "--list", "production", "--format", "csv-excel", "--output", "-", stdout=out
    )
    assert "Total;7;3;10" in out.getvalue()


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
    with pytest.raises(CommandError, match="invalid choice: 'ods'"):
        call_command("export_production", campaign.slug, "--list", "packing", "--format", "ods")


def paid_orders_add(campaign, items, count: int) -> None:
    for number in range(count):
        order = place_order(
            campaign,
            [(items["S / Sogan"], 1), (items["M / Biru"], 2)],
            plan="full",
            name=f"Pembeli {number}",
            note=f"Catatan {number}",
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
        # The production list reads the tally (the campaign, its lines, their notes) and the orders' own notes.
        return (
            [
                (
                    4,
                    lambda file_format=file_format: production_list_write(
                        tally=tally, out=io.BytesIO(), file_format=file_format
                    ),
                )
                for file_format in FILE_FORMATS
            ]
            + [
                (
                    4,
                    lambda file_format=file_format: packing_list_write(
                        campaign=campaign, out=io.BytesIO(), file_format=file_format
                    ),
                )
                for file_format in FILE_FORMATS
            ]
            + [(2, lambda: address_labels(campaign=campaign))]
        )

    paid_orders_add(campaign, items, 3)
    production_tally_take(campaign=campaign, now=timezone.now())
    few = [query_count(django_assert_max_num_queries, limit, export) for limit, export in exports()]
    assert len(address_labels(campaign=campaign)) == 3

    paid_orders_add(campaign, items, 27)
    production_tally_take(campaign=campaign, now=timezone.now())
    many = [query_count(django_assert_max_num_queries, limit, export) for limit, export in exports()]
    assert many == few
    assert len(address_labels(campaign=campaign)) == 30
    assert Order.objects.filter(campaign=campaign).exclude(note="").count() == 30


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("", 10, 1),
        ("Sogan", 10, 1),
        ("Kemeja Batik Tulis", 10, 3),  # "Kemeja" / "Batik" / "Tulis": wrapped at the spaces
        ("Kemeja Batik Tulis", 19, 1),
        ("aaaa bbbb cccc", 10, 2),
        ("a" * 25, 10, 3),  # a word longer than the line breaks where the line ends
        ("Jl. Mawar 1\nSleman", 40, 2),
        ("x " + "a" * 20, 10, 4),
    ],
)
def test_text_lines_counts_the_lines_a_wrapped_cell_takes(text, width, lines):
    assert text_lines(text, width) == lines
