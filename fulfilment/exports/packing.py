"""The packing list: one block per parcel to print for the packer, or one row per line for a machine."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import Campaign
from catalog.money import format_rupiah
from orders.models import Order, OrderLine
from payments.ledger import order_ledger

from .parcels import order_address, order_courier, produced_orders
from .sheets import TICK_BOX, CsvSheet, PageSetup, Style, XlsxSheet, label, row_height, sheet_open, text_lines

# The printed list: a box to tick, the order number, then product, variant, quantity and the line's note.
# A parcel's first rows use the same columns for the buyer, phone, courier, address, balance and order note.
# 131 characters: A4 across at 100 %, so that the rows' heights below are the printed ones.
PRINT_WIDTHS = (5, 17, 47, 20, 9, 33)
HEADING_HEIGHT = row_height(1)
GAP_HEIGHT = 6.0  # the blank row between two parcels
PARCEL_FONT_POINTS = 11
# What is printed from an order for its parcel, four queries per 2,000 orders whatever the format.
PREFETCH = ("lines", "payments", "refunds")


def packing_list_write(*, campaign: Campaign, out, file_format: str, now: datetime.datetime | None = None) -> None:
    """Every produced order with its lines, where it goes and whether the balance is in.

    As XLSX, printed for the packer: a block per parcel, never split over two pages. As CSV, one row
    per line, for a machine (or a mail merge). Four queries per 2,000 orders: the orders, then their
    lines, payments and refunds.
    """
    page = PageSetup(
        title=campaign.title, list_name=_("Packing list"), printed_at=now or timezone.now(), landscape=True
    )
    with sheet_open(out, file_format, name=_("Packing"), widths=PRINT_WIDTHS, freeze=(1, 0), page=page) as sheet:
        orders = produced_orders(campaign=campaign, statuses=Order.PAID_STATUSES, prefetch=PREFETCH)
        if isinstance(sheet, XlsxSheet):
            _parcels_write(sheet, orders, page=page)
        else:
            _lines_write(sheet, orders)


def _lines_write(sheet: CsvSheet, orders) -> None:
    sheet.row(
        [
            label(Order, "number"),
            label(Order, "buyer_name"),
            label(Order, "phone"),
            _("Address"),
            label(OrderLine, "product_name"),
            label(OrderLine, "variant_label"),
            label(OrderLine, "quantity"),
            _("Note"),
            label(Order, "postage_idr"),
            label(Order, "total_idr"),
            _("Payment"),
            _("Amount due (Rp)"),
            label(Order, "note"),
        ]
    )
    paid_in_full, outstanding = _("Paid in full"), _("Balance outstanding")
    units = 0
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
                    order.note.strip(),
                ]
            )
    sheet.row([_("Total"), None, None, None, None, None, units])


Row = tuple[list, list[str], float]


def _cell_lines(text: str, column: int, *, bold: bool = False, font_points: float = 10) -> int:
    # Bold or larger letters are wider: count the column narrower.
    narrower = (0.9 if bold else 1) * 10 / font_points
    return text_lines(text, PRINT_WIDTHS[column] * narrower) if text else 1


def _parcel_rows(order: Order) -> list[Row]:
    """A parcel's block: the buyer, phone and courier; the address, balance and order note; its lines."""
    rows: list[Row] = []
    courier = order_courier(order)
    lines = max(
        _cell_lines(order.buyer_name, 2, bold=True, font_points=PARCEL_FONT_POINTS),
        _cell_lines(courier, 5, bold=True, font_points=PARCEL_FONT_POINTS),
    )
    rows.append(
        (
            [TICK_BOX, order.number, order.buyer_name, order.phone, None, courier],
            [Style.PARCEL_BOX, Style.PARCEL, Style.PARCEL_WRAP, Style.PARCEL, Style.PARCEL, Style.PARCEL_WRAP],
            row_height(lines, font_points=PARCEL_FONT_POINTS),
        )
    )
    due = order_ledger(order).due_idr
    if due:
        payment = _("Balance due %(amount)s") % {"amount": format_rupiah(due)}
    else:
        payment = _("Paid in full")
    order_note = _("Order note: %(note)s") % {"note": order.note.strip()} if order.note.strip() else ""
    address = order_address(order)
    lines = max(
        _cell_lines(address, 2),
        _cell_lines(payment, 3, bold=bool(due)),
        _cell_lines(order_note, 5, bold=True),
    )
    rows.append(
        (
            [None, _("Address"), address, payment, None, order_note],
            [Style.PLAIN, Style.CAPTION, Style.WRAP, Style.STRONG_WRAP if due else Style.WRAP, Style.PLAIN]
            + [Style.STRONG_WRAP],
            row_height(lines),
        )
    )
    for line in order.lines.all():
        lines = max(_cell_lines(line.product_name, 2), _cell_lines(line.variant_label, 3), _cell_lines(line.note, 5))
        rows.append(
            (
                [TICK_BOX, None, line.product_name, line.variant_label, line.quantity, line.note],
                [Style.BOX, Style.PLAIN, Style.WRAP, Style.WRAP, Style.PLAIN, Style.WRAP],
                row_height(lines),
            )
        )
    return rows


def _parcels_write(sheet: XlsxSheet, orders, *, page: PageSetup) -> None:
    """Blocks laid out page by page: a parcel that does not fit on the page left starts the next one."""
    sheet.row(
        [
            "\u2713",
            label(Order, "number"),
            label(OrderLine, "product_name"),
            label(OrderLine, "variant_label"),
            label(OrderLine, "quantity"),
            _("Note"),
        ],
        [Style.HEADING] * 4 + [Style.HEADING_NUMBER, Style.HEADING],
        height=HEADING_HEIGHT,
    )
    # The heading row is printed atop every page.
    room = page.body_points - HEADING_HEIGHT
    used = 0.0
    parcels = units = 0
    for order in orders:
        rows = _parcel_rows(order)
        height = sum(row[2] for row in rows)
        if used and used + GAP_HEIGHT + height > room:
            sheet.page_break()
            used = 0.0
        elif used:
            sheet.row([], height=GAP_HEIGHT)
            used += GAP_HEIGHT
        for cells, styles, row_points in rows:
            sheet.row(cells, styles, height=row_points)
        # A parcel taller than a page runs onto the next: the spreadsheet breaks it where it must.
        used = (used + height) % room if used + height > room else used + height
        parcels += 1
        units += sum(line.quantity for line in order.lines.all())
    total_height = GAP_HEIGHT + row_height(1)
    if used and used + total_height > room:
        sheet.page_break()
    else:
        sheet.row([], height=GAP_HEIGHT)
    total = ngettext("%(count)d parcel", "%(count)d parcels", parcels) % {"count": parcels}
    sheet.row([None, _("Total"), total, None, units, None], Style.TOTAL, height=row_height(1))
