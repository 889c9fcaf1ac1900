"""The packing list: a block per parcel to print (XLSX), one row per line for machines (CSV, CSV for Excel)."""

import pytest
from django.urls import reverse
from django.utils import translation

from fulfilment.exports import packing_list_write
from fulfilment.exports.sheets import A4_POINTS, MARGINS
from orders.models import Order
from payments.ledger import order_ledger
from tests.factories import place_order
from tests.fulfilment.test_export_data import (
    ADDRESS,
    COURIER,
    HOSTILE_NOTES,
    ORDER_NOTES,
    PHONE,
    PRINTED_AT,
    TICK_BOX,
    assert_csv_safe,
    assert_print_setup,
    assert_readable_widths,
    assert_text_as_typed,
    campaign_made,
    csv_read,
    items_of,
    orders_placed,
    pay,
    written,
    xlsx_read,
)
from tests.payments.conftest import order_fresh

pytestmark = pytest.mark.django_db
HEADINGS = ["\u2713", "Order number", "Product", "Variant", "Quantity", "Note"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def campaign():
    return campaign_made()


@pytest.fixture
def placed(campaign):
    return orders_placed(campaign, items_of(campaign))


def packing(campaign, file_format: str) -> bytes:
    return written(packing_list_write, file_format, campaign=campaign, now=PRINTED_AT)


def parcels_read(rows: list[list]) -> list[dict]:
    """The printed blocks: each parcel's first row, its address row and its lines, up to the blank row."""
    parcels, current = [], None
    for row in rows[1:]:
        if not row:
            current = None
        elif row[0] == TICK_BOX and row[1] is not None:
            current = {"head": row, "address": None, "lines": []}
            parcels.append(current)
        elif current and row[1] == "Address":
            current["address"] = row
        elif current and row[0] == TICK_BOX:
            current["lines"].append(tuple(row[2:6]) + (None,) * (6 - len(row)))
    return parcels


def test_packing_list_a_block_per_parcel(placed):
    campaign = placed["full"].order.campaign
    sheet, rows = xlsx_read(packing(campaign, "xlsx"))
    assert rows[0] == HEADINGS
    parcels = parcels_read(rows)
    paid = [placed[key].order for key in ("full", "dp", "dp_then_balance")]
    # Each produced order once, in order-number order; the unpaid one not at all.
    assert [parcel["head"][1] for parcel in parcels] == sorted(order.number for order in paid)
    by_number = {parcel["head"][1]: parcel for parcel in parcels}
    full, dp, balance = (by_number[order.number] for order in paid)

    # Buyer, phone and courier once, in the parcel's first row, the phone as typed (no apostrophe).
    assert full["head"] == [TICK_BOX, paid[0].number, "Ani Lestari", PHONE]
    assert dp["head"] == [TICK_BOX, paid[1].number, "=Rina", PHONE]
    assert balance["head"] == [TICK_BOX, paid[2].number, "Citra & Ayu", PHONE, None, f"JNE, resi {COURIER[1]}"]
    # Under it the address as on the parcel, the balance if any, and the order's own note.
    due = order_ledger(order_fresh(paid[1])).due_idr
    assert due > 0
    assert dp["address"] == [
        None,
        "Address",
        ADDRESS,
        f"Balance due Rp{due:,}".replace(",", "."),
        None,
        f"Order note: {ORDER_NOTES['dp']}",
    ]
    assert full["address"][3:] == ["Paid in full", None, f"Order note: {ORDER_NOTES['full']}"]
    assert balance["address"][3:] == ["Paid in full"]
    # Then its lines with a box each: product, variant, quantity and note as the buyer typed it.
    product = paid[0].lines.first().product_name
    assert full["lines"] == [(product, "S / Sogan", 2, HOSTILE_NOTES[0]), (product, "M / Biru", 1, HOSTILE_NOTES[1])]
    assert dp["lines"] == [(product, "M / Sogan", 3, HOSTILE_NOTES[2]), (product, "L / Biru", 1, HOSTILE_NOTES[3])]
    assert balance["lines"] == [
        (product, "S / Biru", 1, HOSTILE_NOTES[4]),
        (product, "L / Sogan", 2, "Bordir: Citra; benang emas"),
    ]
    # A blank row between two parcels, the total at the end.
    heads = [index for index, row in enumerate(rows) if row and row[0] == TICK_BOX and row[1]]
    assert all(rows[index - 1] == [] for index in heads[1:])
    assert rows[-1] == [None, "Total", "3 parcels", None, 10]
    assert "Dodi" not in str(rows)

    assert_text_as_typed(sheet)
    assert_readable_widths(sheet)
    assert sheet.freeze_panes == "A2"
    head_row = heads[0] + 1
    assert sheet.cell(row=head_row, column=3).font.b and sheet.cell(row=head_row, column=3).fill.fgColor.rgb
    # Every row has the height its lines need: the page breaks are worked out from them.
    assert all(sheet.row_dimensions[index].customHeight for index in range(1, len(rows) + 1))
    assert sheet.row_dimensions[head_row + 1].height >= 2 * 12.75  # the address's two lines
    assert not sheet.row_breaks.brk


def test_packing_list_print_setup(placed):
    campaign = placed["full"].order.campaign
    sheet, _rows = xlsx_read(packing(campaign, "xlsx"))
    assert_print_setup(sheet, title=campaign.title, list_name="Packing list", landscape=True)


def page_room(sheet) -> float:
    """The points between the margins of an A4 landscape page, less the headings printed atop each page."""
    assert (sheet.page_margins.top, sheet.page_margins.bottom) == (MARGINS["top"], MARGINS["bottom"])
    return A4_POINTS[0] - (sheet.page_margins.top + sheet.page_margins.bottom) * 72 - sheet.row_dimensions[1].height


def pages_read(sheet, rows: list[list]) -> list[list[tuple[str, float]]]:
    """The rows of each page, by the sheet's page breaks, as (order number or "", height)."""
    breaks = [brk.id for brk in sheet.row_breaks.brk]  # the last row before each break, counted from 1
    pages, page = [], []
    for index, row in enumerate(rows[1:], 2):
        number = row[1] if row and row[0] == TICK_BOX and row[1] else ""
        page.append((number, sheet.row_dimensions[index].height))
        if index in breaks:
            pages.append(page)
            page = []
    pages.append(page)
    return pages


def many_orders_placed(campaign, count: int) -> None:
    items = list(items_of(campaign).values())
    for number in range(count):
        lines = [(items[(number + step) % len(items)], 1 + step) for step in range(1 + number % 4)]
        long_street = number % 5 == 0
        order = place_order(
            campaign,
            lines,
            plan="dp" if number % 3 == 0 else "full",
            name=f"Pembeli Nomor {number}",
            street="Perumahan Griya Asri Blok C-12 No. 7, RT 004/RW 011, di belakang masjid"
            if long_street
            else f"Jl. Mawar {number}",
            note="kirim setelah tgl 20, tolong dibungkus rapi ya kak" if number % 4 == 0 else "",
        )
        pay(order, order.first_transfer_idr)


def test_a_parcel_is_never_split_over_two_pages():
    campaign = campaign_made()
    many_orders_placed(campaign, 40)
    sheet, rows = xlsx_read(packing(campaign, "xlsx"))
    pages = pages_read(sheet, rows)
    room = page_room(sheet)
    assert len(pages) > 2
    for page, next_page in zip(pages, pages[1:], strict=False):
        # Each page starts with a parcel, and ends where the next parcel would not fit.
        assert next_page[0][0], next_page[0]
        assert sum(height for _number, height in page) <= room
        next_parcel = next(index for index, (number, _height) in enumerate(next_page[1:], 1) if number)
        assert sum(height for _number, height in page) + sum(h for _n, h in next_page[:next_parcel]) > room
    numbers = [number for page in pages for number, _height in page if number]
    assert len(numbers) == len(set(numbers)) == 40


def test_packing_list_csv_is_a_row_per_line_with_the_order_note(placed):
    campaign = placed["full"].order.campaign
    rows = csv_read(packing(campaign, "csv"))
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
        "Order note",
    ]
    paid = [placed[key].order for key in ("full", "dp", "dp_then_balance")]
    assert [line[0] for line in lines] == sorted(order.number for order in paid for _ in range(2))
    assert total == ["Total", "", "", "", "", "", "10"]
    by_order = {}
    for line in lines:
        by_order.setdefault(line[0], []).append(line)
    full, dp, dp_then_balance = (by_order[order.number] for order in paid)
    dp_order = placed["dp"].order
    assert dp_order.status == Order.Status.DP_PAID
    due = dp_order.total_idr - dp_order.first_payment_idr  # the kode unik pays no part of the balance
    assert {(line[10], line[11]) for line in dp} == {("Balance outstanding", str(due))}
    assert {(line[10], line[11]) for line in full} == {("Paid in full", "0")}
    assert {(line[10], line[11]) for line in dp_then_balance} == {("Paid in full", "0")}
    assert [(line[8], line[9]) for line in dp] == [(str(dp_order.postage_idr), str(dp_order.total_idr))] * 2
    # In a CSV a typed formula keeps its apostrophe: the spreadsheet reads every cell anew.
    assert dp[0][1:8] == ["'=Rina", "'" + PHONE, ADDRESS, dp[0][4], "M / Sogan", "3", "'-2"]
    assert [line[12] for line in dp] == [ORDER_NOTES["dp"]] * 2
    assert [line[12] for line in full] == ["'" + ORDER_NOTES["full"]] * 2
    assert [line[7] for line in dp_then_balance] == ["'\tx", "Bordir: Citra; benang emas"]
    assert_csv_safe(rows)


def test_the_csv_for_excel_has_the_same_rows_separated_by_semicolons(placed):
    campaign = placed["full"].order.campaign
    comma, semicolon = packing(campaign, "csv"), packing(campaign, "csv-excel")
    assert csv_read(semicolon, delimiter=";") == csv_read(comma)
    text = semicolon.decode("utf-8-sig")
    # UTF-8 with a BOM; no "sep=;" line, which would make Excel drop the BOM (and show it as a row elsewhere).
    assert semicolon.startswith(b"\xef\xbb\xbfOrder number;Name;")
    assert "sep=" not in text
    # A semicolon inside a text is quoted, so it stays in its cell.
    assert '"Bordir: Citra; benang emas"' in text
    assert ";1;" in text and "," not in text.splitlines()[0]


def test_the_seller_downloads_the_csv_for_excel(seller_client, placed):
    campaign = placed["full"].order.campaign
    url = reverse("admin:campaigns_campaign_export", args=[campaign.pk, "packing", "csv-excel"])
    response = seller_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    data = b"".join(response.streaming_content)
    assert csv_read(data, delimiter=";") == csv_read(packing(campaign, "csv"))
    assert response["Content-Disposition"].endswith('-packing.excel.csv"')
