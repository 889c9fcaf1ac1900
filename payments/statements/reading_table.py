"""The rows under a table's header line, read into StatementRows, or the first unreadable one refused by number."""

import datetime
from decimal import Decimal

from django.utils.translation import gettext

from .reading_amounts import amount_read, mark_read, rupiah_whole
from .reading_columns import DATE_HEADERS, Columns, header_name
from .reading_dates import date_not_after, date_read, period_find, year_of_latest
from .reading_types import CellUnreadable, StatementRefused, StatementRow, Table, cell_shown, text_collapse

_PENDING = {"pend", "pending"}


def _cell(cells: list[object], index: int | None) -> object:
    if index is None or index >= len(cells):
        return None
    return cells[index]


def _filled(value: object) -> bool:
    return bool(text_collapse(value).strip("'`"))


def _cells_fitted(cells: list[object], columns: Columns, delimiter: str) -> list[object]:
    """KlikBCA writes descriptions unquoted, so a comma in one splits it: the cells past the header's width are
    put back into the description (the fields after it are counted from the end)."""
    cells = list(cells)
    while len(cells) > columns.width and not _filled(cells[-1]):
        cells.pop()
    extra = len(cells) - columns.width
    if extra > 0 and columns.description_holds_delimiter and len(columns.description) == 1:
        start = columns.description[0]
        joined = delimiter.join(str(cell or "") for cell in cells[start : start + extra + 1])
        cells[start : start + extra + 1] = [joined]
    return cells


def _money_one_column(cells: list[object], columns: Columns) -> tuple[Decimal, bool, object] | None:
    shown = _cell(cells, columns.amount)
    amount = amount_read(shown)
    if amount is None or amount.value == 0:
        return None
    says = {amount.mark} - {None}
    if columns.mark is not None and (mark := mark_read(_cell(cells, columns.mark))) is not None:
        says.add(mark)
    if amount.value < 0:
        says.add(False)
    if len(says) > 1:
        raise CellUnreadable(
            gettext("the amount '%(text)s' is marked both as a credit and as a debit.") % {"text": cell_shown(shown)}
        )
    if not says and columns.mark_required:
        raise CellUnreadable(
            gettext("the amount '%(text)s' has no credit or debit mark (CR or DB).") % {"text": cell_shown(shown)}
        )
    return abs(amount.value), says.pop() if says else True, shown


def _money_two_columns(cells: list[object], columns: Columns) -> tuple[Decimal, bool, object] | None:
    credit_shown, debit_shown = _cell(cells, columns.credit), _cell(cells, columns.debit)
    credit, debit = amount_read(credit_shown), amount_read(debit_shown)
    if credit is not None and (credit.value < 0 or credit.mark is False):
        raise CellUnreadable(
            gettext("the credit '%(text)s' is written as a debit.") % {"text": cell_shown(credit_shown)}
        )
    if debit is not None and debit.mark is True:
        raise CellUnreadable(
            gettext("the debit '%(text)s' is written as a credit.") % {"text": cell_shown(debit_shown)}
        )
    credit_value = credit.value if credit is not None else Decimal(0)
    debit_value = abs(debit.value) if debit is not None else Decimal(0)
    if credit_value and debit_value:
        raise CellUnreadable(gettext("both the credit and the debit column hold an amount."))
    if credit_value:
        return credit_value, True, credit_shown
    if debit_value:
        return debit_value, False, debit_shown
    return None  # nothing moved (BRI writes such lines; an empty export holds one)


def table_rows(table: Table, columns: Columns, *, today: datetime.date) -> list[StatementRow]:
    """Every transaction under the header line, up to the footer. Pending rows, blank lines, repeated headers and
    lines with no amount (a time on a line of its own, a bank's notice) are not transactions. Raises
    StatementRefused naming the first row that cannot be read."""
    money_columns = [columns.amount] if columns.amount is not None else [columns.credit, columns.debit]
    before = [" ".join(text_collapse(cell) for cell in cells) for _, cells in table.lines[: columns.header_index]]
    period = period_find(before)
    year_of = year_of_latest(period[1] if period else today)
    header_cells = table.lines[columns.header_index][1]
    repeated_header = DATE_HEADERS | {header_name(header_cells[columns.date])}
    rows = []
    for line, raw_cells in table.lines[columns.header_index + 1 :]:
        cells = _cells_fitted(raw_cells, columns, table.delimiter)
        date_cell = _cell(cells, columns.date)
        date_name = header_name(date_cell)
        if columns.footer and date_name.startswith(columns.footer):
            break
        if date_name in _PENDING or date_name in repeated_header:
            continue
        notice = columns.notice and not _filled(date_cell)
        if notice and any(word in header_name(cell) for cell in cells for word in columns.notice):
            continue
        if not any(_filled(_cell(cells, index)) for index in money_columns):
            continue
        try:
            money = (_money_one_column if columns.amount is not None else _money_two_columns)(cells, columns)
            if money is None:
                continue
            value, credit, shown = money
            amount_idr, with_cents = rupiah_whole(value)
            if not _filled(date_cell):
                raise CellUnreadable(gettext("the date is missing."))
            booked_on = date_read(date_cell, day_first=columns.day_first, year_of=year_of)
            date_not_after(booked_on, today=today, shown=date_cell)
        except CellUnreadable as problem:
            raise StatementRefused(
                gettext("Row %(line)s: %(problem)s") % {"line": line, "problem": _sentence(str(problem))}
            ) from None
        description = " ".join(
            text for text in (text_collapse(_cell(cells, index)) for index in columns.description) if text
        )
        rows.append(StatementRow(line, booked_on, description, amount_idr, credit, with_cents))
    return rows


def _sentence(problem: str) -> str:
    return problem if problem.endswith((".", "?", "!")) else problem + "."
