"""The production list: what the workshop makes, from the tally, printed or read by a machine."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order, OrderLine

from ..models import ProductionTally
from ..selectors import ONE_COLUMN, ProductMatrix, tally_matrices
from .sheets import PageSetup, Style, jakarta, label, landscape_needed, sheet_open

# Column A holds the product names, sizes, variants and notes; B on the units per column, and under the
# notes the order number, quantity and the order's own note.
LABEL_WIDTH = (24, 40)
NUMBER_WIDTH = 10
ORDER_NUMBER_WIDTH = 16


def tally_order_notes(tally: ProductionTally) -> dict[str, str]:
    """The paid orders' own notes ("kirim setelah tgl 20"), by order number (one query); the production
    page shows them as the list does."""
    orders = Order.objects.filter(campaign_id=tally.campaign_id, status__in=Order.PAID_STATUSES).exclude(note="")
    return {number: note.strip() for number, note in orders.order_by("number").values_list("number", "note")}


def tally_matrices_noted(tally: ProductionTally, order_notes: dict[str, str]) -> list[tuple]:
    """Per product its matrix, and per variant with notes each note beside its order's own note (two
    queries): the production page shows them as this list prints them."""
    return [
        (
            matrix,
            [
                (line, [(note, order_notes.get(note.order_number, "")) for note in notes])
                for line in matrix.lines
                if (notes := list(line.notes.all()))
            ],
        )
        for matrix in tally_matrices(tally)
    ]


def _widths(matrices: list[ProductMatrix], *, texts: list[str], notes: bool, taken_at: str) -> list[float]:
    """Wide enough to read every name and number; a longer name wraps inside its column. B holds the
    tally's date too."""
    longest = max((len(text) for text in texts), default=0)
    first = min(max(longest + 2, LABEL_WIDTH[0]), LABEL_WIDTH[1])
    columns = max([len(matrix.columns) + 1 for matrix in matrices] + [3 if notes else 1])
    longest_column = max((len(str(column)) for matrix in matrices for column in matrix.columns), default=0)
    width = max(NUMBER_WIDTH, longest_column + 2, ORDER_NUMBER_WIDTH if notes else 0)
    return [first, max(width, len(taken_at) + 1), *[width] * (columns - 1)]


def production_list_write(
    *, tally: ProductionTally, out, file_format: str, now: datetime.datetime | None = None
) -> None:
    """Per product a size x colour table with totals per row and per column, then its buyers' notes under
    their variant, each with its order's own note; last, every order's own note.

    Four queries whatever the PO's size: the campaign, the tally's lines and notes, the orders' own notes.
    """
    campaign = tally.campaign
    matrices = tally_matrices(tally)
    order_notes = tally_order_notes(tally)
    noted = [(matrix, [(line, list(line.notes.all())) for line in matrix.lines]) for matrix in matrices]
    noted = [(matrix, [(line, notes) for line, notes in lines if notes]) for matrix, lines in noted]
    headings = {
        "taken_at": label(ProductionTally, "taken_at"),
        "orders": label(ProductionTally, "orders"),
        "units": label(ProductionTally, "units"),
        "product": label(OrderLine, "product_name"),
        "total": _("Total"),
    }
    texts = [
        *headings.values(),
        *[text for matrix in matrices for text in (matrix.product_name, matrix.row_option, *matrix.rows)],
        *[line.variant_label or line.product_name for _matrix, lines in noted for line, _notes in lines],
    ]
    taken_at = jakarta(tally.taken_at)
    widths = _widths(
        matrices,
        texts=texts,
        notes=bool(order_notes) or any(lines for _matrix, lines in noted),
        taken_at=taken_at,
    )
    page = PageSetup(
        title=campaign.title,
        list_name=_("Production list"),
        printed_at=now or timezone.now(),
        landscape=landscape_needed(widths),
    )
    with sheet_open(out, file_format, name=_("Production"), widths=widths, freeze=(1, 0), page=page) as sheet:
        sheet.row([campaign.title], Style.TITLE)
        sheet.row([headings["taken_at"], taken_at])
        sheet.row([headings["orders"], tally.orders])
        sheet.row([headings["units"], tally.units])
        for matrix, lines in noted:
            columns = [
                _("Units") if column == ONE_COLUMN and not matrix.column_option else column for column in matrix.columns
            ]
            sheet.row([])
            sheet.row([matrix.product_name, matrix.column_option], [Style.STRONG_WRAP, Style.BOLD])
            sheet.row(
                [matrix.row_option or headings["product"], *columns, headings["total"]],
                [Style.HEADING, *[Style.HEADING_NUMBER] * (len(columns) + 1)],
            )
            for row, cells, row_total in matrix.table:
                sheet.row([row, *cells, row_total], [Style.WRAP, *[Style.PLAIN] * len(cells), Style.BOLD])
            sheet.row([headings["total"], *matrix.column_totals, matrix.total], Style.TOTAL)
            if lines:
                sheet.row([])
                sheet.row([_("Notes: %(product)s") % {"product": matrix.product_name}], Style.BOLD)
                sheet.row(
                    [
                        label(OrderLine, "note"),
                        label(Order, "number"),
                        label(OrderLine, "quantity"),
                        label(Order, "note"),
                    ],
                    [Style.HEADING, Style.HEADING, Style.HEADING_NUMBER, Style.HEADING],
                )
                for line, notes in lines:
                    # Under its variant by name: "M / Sogan", without the SKU a workshop does not read.
                    sheet.row([line.variant_label or line.product_name], Style.BOLD)
                    for note in notes:
                        sheet.row(
                            [note.note, note.order_number, note.quantity, order_notes.get(note.order_number, "")],
                            [Style.WRAP, Style.PLAIN, Style.PLAIN, Style.WRAP],
                        )
        if order_notes:
            sheet.row([])
            sheet.row([_("Notes on the whole order")], Style.BOLD)
            sheet.row([label(Order, "note"), label(Order, "number")], Style.HEADING)
            for number, note in order_notes.items():
                sheet.row([note, number], [Style.WRAP, Style.PLAIN])
