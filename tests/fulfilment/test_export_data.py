"""What the export tests share (no test of its own): a PO with paid, part-paid and unpaid orders placed and
paid through the services, and readers for the files the exports write."""

import codecs
import csv
import datetime
import io
from dataclasses import dataclass

import openpyxl
from django.utils import timezone

from fulfilment.exports import spreadsheet_safe
from orders.models import Order, OrderLine
from payments.ledger import order_ledger
from payments.services import payment_confirm
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import order_fresh, submit_transfer

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE_NOTES = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx"]
TALLY_AT = datetime.datetime(2026, 1, 5, 7, 30, tzinfo=datetime.UTC)  # 14:30 in Jakarta
PRINTED_AT = datetime.datetime(2026, 1, 6, 2, 0, tzinfo=datetime.UTC)  # 09:00 in Jakarta
ADDRESS = "Jl. Kaliurang No. 12, RT 03/RW 05, Gondokusuman, Kota Yogyakarta, DI Yogyakarta, 55223"
ADDRESS_LINES = ("Jl. Kaliurang No. 12, RT 03/RW 05", "Gondokusuman, Kota Yogyakarta", "DI Yogyakarta 55223")
PHONE = "+6281234567890"
ORDER_NOTES = {"dp": "kirim setelah tgl 20", "full": "-- jangan dilipat"}
COURIER = ("jne", "JX1234567890")
TICK_BOX = "\u2610"


@dataclass
class Placed:
    order: Order
    lines: list[tuple[str, str, int, str]]  # size, colour, quantity, note
    paid: bool


def pay(order: Order, amount: int) -> None:
    payment = submit_transfer(order, amount)
    payment_confirm(payment_id=payment.pk, now=timezone.now())


def order_placed(campaign, items, lines, *, plan: str, pay_until: str, name: str, **buyer) -> Placed:
    """An order of `lines` paid up to "nothing", "first" (DP or full) or "balance"; notes written as stored."""
    order = place_order(
        campaign,
        [(items[f"{size} / {colour}"], quantity) for size, colour, quantity, _ in lines],
        plan=plan,
        name=name,
        **buyer,
    )
    for size, colour, _quantity, note in lines:
        # Straight into the table: the checkout would strip the tab off "\tx".
        OrderLine.objects.filter(order=order, variant_label=f"{size} / {colour}").update(note=note)
    if pay_until in ("first", "balance"):
        pay(order, order.first_transfer_idr)
    if pay_until == "balance":
        pay(order, order_ledger(order_fresh(order)).due_idr)
    return Placed(order=Order.objects.get(pk=order.pk), lines=lines, paid=pay_until != "nothing")


def campaign_made():
    return campaign_with_products(products=1, options={"Ukuran": ["S", "M", "L"], "Warna": ["Sogan", "Biru"]})


def items_of(campaign) -> dict:
    return {item.variant.label: item for item in campaign.items.prefetch_related("variant__option_values")}


def orders_placed(campaign, items) -> dict[str, Placed]:
    """Paid in full, DP only (with the order's own note), DP then balance (with a courier), and unpaid."""
    placed = {
        "full": order_placed(
            campaign,
            items,
            [("S", "Sogan", 2, HOSTILE_NOTES[0]), ("M", "Biru", 1, HOSTILE_NOTES[1])],
            plan="full",
            pay_until="first",
            name="Ani Lestari",
            note=ORDER_NOTES["full"],
        ),
        "dp": order_placed(
            campaign,
            items,
            [("M", "Sogan", 3, HOSTILE_NOTES[2]), ("L", "Biru", 1, HOSTILE_NOTES[3])],
            plan="dp",
            pay_until="first",
            name="=Rina",
            note=ORDER_NOTES["dp"],
        ),
        "dp_then_balance": order_placed(
            campaign,
            items,
            [("S", "Biru", 1, HOSTILE_NOTES[4]), ("L", "Sogan", 2, "Bordir: Citra; benang emas")],
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
            note="jangan dibuat",
        ),
    }
    order = placed["dp_then_balance"].order
    Order.objects.filter(pk=order.pk).update(courier=COURIER[0], tracking_number=COURIER[1])
    placed["dp_then_balance"].order = Order.objects.get(pk=order.pk)
    return placed


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


def csv_read(data: bytes, *, delimiter: str = ",") -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    return [trimmed(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def as_csv_text(rows: list[list]) -> list[list[str]]:
    """XLSX rows as their CSV holds them: text, with the apostrophe that keeps a formula from running."""
    return [["" if value is None else str(spreadsheet_safe(value)) for value in row] for row in rows]


def written(writer, file_format: str, **kwargs) -> bytes:
    out = io.BytesIO()
    writer(out=out, file_format=file_format, **kwargs)
    return out.getvalue()


def assert_text_as_typed(sheet) -> None:
    """No formula, and no apostrophe shown in front of a text: an XLSX text cell is never a formula."""
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith("'"), (cell.coordinate, cell.value)


def assert_csv_safe(rows: list[list[str]]) -> None:
    assert not any(value.startswith(FORMULA_STARTS) for row in rows for value in row)


def assert_readable_widths(sheet) -> None:
    """No text runs into a filled cell beside it: it fits its column's width, or wraps inside it."""
    for row in sheet.iter_rows():
        for cell, neighbour in zip(row, row[1:], strict=False):
            if isinstance(cell.value, str) and neighbour.value not in (None, "") and not cell.alignment.wrap_text:
                width = sheet.column_dimensions[cell.column_letter].width
                assert len(cell.value) <= width, (cell.coordinate, cell.value, width)


def assert_print_setup(sheet, *, title: str, list_name: str, landscape: bool) -> None:
    """Printed on A4, one page wide, the headings atop every page, the PO and the date above, pages below."""
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == ("landscape" if landscape else "portrait")
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # One page wide (an absent fitToWidth is the schema's default, 1), as many tall as the rows need (0).
    assert int(sheet.page_setup.fitToWidth or 1) == 1
    assert int(sheet.page_setup.fitToHeight) == 0
    assert sheet.print_options.gridLines
    assert sheet.oddHeader.left.text == title.replace("&", "&&")
    assert sheet.oddHeader.center.text == list_name
    assert sheet.oddHeader.right.text == "06-01-2026 09:00 WIB"
    assert sheet.oddFooter.center.text == "Page &P of &N"
    margins = sheet.page_margins
    assert (margins.left, margins.right, margins.top, margins.bottom) == (0.4, 0.4, 0.75, 0.6)
    assert (margins.header, margins.footer) == (0.3, 0.3)
