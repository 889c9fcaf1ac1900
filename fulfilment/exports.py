"""The production list and the packing list as spreadsheets (XLSX or CSV), and the address labels.

Both lists are written row by row, top to bottom: XlsxWriter's constant_memory
mode keeps one row in memory, the CSV goes straight to the file, and orders are
read 2,000 at a time, so a PO of 100,000 lines needs the memory of a few
thousand. Every text a person typed (buyers, and the seller's product names)
goes through spreadsheet_safe, so a note such as =HYPERLINK(...) stays text.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import xlsxwriter
from django.db.models import Model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from orders.models import Order, OrderLine
from payments.ledger import order_ledger

from .models import ProductionTally, ProductionTallyLine
from .selectors import ONE_COLUMN, tally_matrices

Cell = str | int | None
FILE_FORMATS = ("xlsx", "csv")
# Orders read per query (with their lines, payments and refunds prefetched per chunk).
CHUNK_SIZE = 2000
# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Cell) -> Cell:
    """A text that a spreadsheet would run as a formula, with a leading apostrophe; numbers as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Style:
    PLAIN = "plain"
    BOLD = "bold"
    TITLE = "title"


class _XlsxSheet:
    """One worksheet written top to bottom; text always as text, integers as "#,##0" numbers."""

    def __init__(self, out, *, name: str, widths: Sequence[float], freeze: tuple[int, int]):
        self.workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
        self.worksheet = self.workbook.add_worksheet(name[:31])
        # Column widths and panes belong to the sheet; set them before the first row.
        for column, width in enumerate(widths):
            self.worksheet.set_column(column, column, width)
        self.worksheet.freeze_panes(*freeze)
        add = self.workbook.add_format
        self.formats = {
            (_Style.PLAIN, str): None,
            (_Style.BOLD, str): add({"bold": True}),
            (_Style.TITLE, str): add({"bold": True, "font_size": 14}),
            (_Style.PLAIN, int): add({"num_format": "#,##0"}),
            (_Style.BOLD, int): add({"num_format": "#,##0", "bold": True}),
            (_Style.TITLE, int): add({"num_format": "#,##0", "bold": True, "font_size": 14}),
        }
        self.next_row = 0

    def row(self, cells: Sequence[Cell], style: str = _Style.PLAIN) -> None:
        index = self.next_row
        for column, value in enumerate(cells):
            if value is None or value == "":
                continue
            if isinstance(value, int):
                self.worksheet.write_number(index, column, value, self.formats[(style, int)])
            else:
                # write_string, never write(): "=..." must not become a formula.
                self.worksheet.write_string(index, column, spreadsheet_safe(value), self.formats[(style, str)])
        self.next_row += 1

    def close(self) -> None:
        self.workbook.close()


class _CsvSheet:
    """The same rows as CSV, UTF-8 with a BOM so that Excel on Windows reads the accents right."""

    def __init__(self, out):
        self.text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.text)

    def row(self, cells: Sequence[Cell], style: str = _Style.PLAIN) -> None:
        self.writer.writerow(["" if value is None else spreadsheet_safe(value) for value in cells])

    def close(self) -> None:
        self.text.flush()
        # Leave the caller's file open: closing it is the caller's business.
        self.text.detach()


@contextmanager
def _sheet(out, file_format: str, *, name: str, widths: Sequence[float], freeze: tuple[int, int]) -> Iterator:
    if file_format == "xlsx":
        sheet = _XlsxSheet(out, name=name, widths=widths, freeze=freeze)
    elif file_format == "csv":
        sheet = _CsvSheet(out)
    else:
        raise ValueError(f"Unknown file format {file_format!r}; use one of {', '.join(FILE_FORMATS)}.")
    try:
        yield sheet
    finally:
        sheet.close()


def _label(model: type[Model], field: str) -> str:
    """A field's verbose name as a column heading, so it shares the model's translation."""
    return str(capfirst(model._meta.get_field(field).verbose_name))


def _jakarta(moment) -> str:
    return f"{timezone.localtime(moment):%d-%m-%Y %H:%M} WIB"


def _variant_text(line: ProductionTallyLine) -> str:
    return f"{line.variant_label} ({line.sku})" if line.variant_label else line.sku


def production_list_write(*, tally: ProductionTally, out, file_format: str) -> None:
    """What the workshop makes: per product a size x colour table with totals, then its custom notes.

    Reads only the tally tables (three queries), never the orders.
    """
    campaign = tally.campaign
    matrices = tally_matrices(tally)
    # A: row labels, product names and variants; B on: units per column, and the notes' order, quantity, note.
    widths = [36, *[14] * max([len(matrix.columns) + 1 for matrix in matrices] + [3])]
    with _sheet(out, file_format, name=_("Production"), widths=widths, freeze=(1, 0)) as sheet:
        sheet.row([campaign.title], _Style.TITLE)
        sheet.row([_label(ProductionTally, "taken_at"), _jakarta(tally.taken_at)])
        sheet.row([_label(ProductionTally, "orders"), tally.orders])
        sheet.row([_label(ProductionTally, "units"), tally.units])
        for matrix in matrices:
            sheet.row([])
            sheet.row([matrix.product_name, matrix.column_option], _Style.BOLD)
            columns = [
                _("Units") if column == ONE_COLUMN and not matrix.column_option else column for column in matrix.columns
            ]
            sheet.row([matrix.row_option or _label(OrderLine, "product_name"), *columns, _("Total")], _Style.BOLD)
            for row, cells, row_total in matrix.table:
                sheet.row([row, *cells, row_total])
            sheet.row([_("Total"), *matrix.column_totals, matrix.total], _Style.BOLD)
            notes = [(line, note) for line in matrix.lines for note in line.notes.all()]
            if notes:
                sheet.row([])
                sheet.row([_("Notes")], _Style.BOLD)
                sheet.row(
                    [
                        _label(OrderLine, "variant"),
                        _label(Order, "number"),
                        _label(OrderLine, "quantity"),
                        _("Note"),
                    ],
                    _Style.BOLD,
                )
                for line, note in notes:
                    sheet.row([_variant_text(line), note.order_number, note.quantity, note.note])


def _one_line(text: str) -> str:
    """A street typed on several lines, as one line of a spreadsheet cell."""
    return ", ".join(" ".join(part.split()) for part in text.splitlines() if part.strip())


def _address_lines(order: Order) -> tuple[str, ...]:
    """As written on a parcel: the street (as typed), district and city, province and postal code."""
    street = [" ".join(part.split()) for part in order.street.splitlines() if part.strip()]
    area = ", ".join(part for part in (order.district, order.city) if part)
    region = " ".join(part for part in (order.province, order.postal_code) if part)
    return tuple(part for part in (*street, area, region) if part)


def order_address(order: Order) -> str:
    """The whole address on one line: street, district, city, province, postal code."""
    parts = [_one_line(order.street), order.district, order.city, order.province, order.postal_code]
    return ", ".join(part for part in parts if part)


def _produced_orders(*, campaign: Campaign, statuses: Iterable[str], prefetch: Sequence[str]) -> Iterator[Order]:
    """The campaign's orders in order-number order, a chunk at a time with their relations prefetched."""
    orders = Order.objects.filter(campaign=campaign, status__in=list(statuses)).order_by("number", "pk")
    return orders.prefetch_related(*prefetch).iterator(chunk_size=CHUNK_SIZE)


def packing_list_write(*, campaign: Campaign, out, file_format: str) -> None:
    """One row per line of every produced order, with where it goes and whether the balance is in.

    Four queries per 2,000 orders: the orders, then their lines, payments and refunds.
    """
    headings = [
        _label(Order, "number"),
        _label(Order, "buyer_name"),
        _label(Order, "phone"),
        _("Address"),
        _label(OrderLine, "product_name"),
        _label(OrderLine, "variant_label"),
        _label(OrderLine, "quantity"),
        _("Note"),
        _label(Order, "postage_idr"),
        _label(Order, "total_idr"),
        _("Payment"),
        _("Amount due (Rp)"),
    ]
    widths = [16, 24, 18, 56, 28, 18, 10, 30, 14, 14, 20, 16]
    paid_in_full, outstanding = _("Paid in full"), _("Balance outstanding")
    units = 0
    with _sheet(out, file_format, name=_("Packing"), widths=widths, freeze=(1, 1)) as sheet:
        sheet.row(headings, _Style.BOLD)
        orders = _produced_orders(
            campaign=campaign, statuses=Order.PAID_STATUSES, prefetch=("lines", "payments", "refunds")
        )
        for order in orders:
            due = order_ledger(order).due_idr
            address = order_address(order)
            for line in order.lines.all():
                units += line.quantity
                sheet.row(
                    [
                        order.number,
                        order.buyer_name,
                        order.phone,
                        address,
                        line.product_name,
                        line.variant_label,
                        line.quantity,
                        line.note,
                        order.postage_idr,
                        order.total_idr,
                        paid_in_full if due == 0 else outstanding,
                        due,
                    ]
                )
        sheet.row([_("Total"), None, None, None, None, None, units], _Style.BOLD)


@dataclass(frozen=True)
class AddressLabel:
    """One parcel's label: who receives it, where, and what goes in."""

    order_number: str
    recipient_name: str
    phone: str
    address_lines: tuple[str, ...]
    contents: str  # "2x Kemeja Batik (M / Sogan), 1x Tas Tenun"
    # DP paid only: the balance is collected before this parcel may leave.
    balance_outstanding: bool = False

    @property
    def address(self) -> str:
        return ", ".join(self.address_lines)


def _contents_summary(lines: Iterable[OrderLine]) -> str:
    return ", ".join(
        f"{line.quantity}x {line.product_name} ({line.variant_label})"
        if line.variant_label
        else f"{line.quantity}x {line.product_name}"
        for line in lines
    )


def address_labels(*, campaign: Campaign) -> list[AddressLabel]:
    """A label for every produced order not shipped yet, in order-number order (two queries per 2,000 orders)."""
    return [
        AddressLabel(
            order_number=order.number,
            recipient_name=order.buyer_name,
            phone=order.phone,
            address_lines=_address_lines(order),
            contents=_contents_summary(order.lines.all()),
            balance_outstanding=order.status == Order.Status.DP_PAID,
        )
        for order in _produced_orders(campaign=campaign, statuses=Order.PACKABLE_STATUSES, prefetch=("lines",))
    ]
