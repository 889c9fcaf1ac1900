"""Reading a bank statement a seller downloaded (CSV, XLSX or MT940) into rows, or refusing it whole with a
sentence the seller can act on. Pure: no models, no database.

The layouts follow public parsers and fixtures of each bank's export (no bank publishes its own); a file that
does not match the chosen bank is refused rather than guessed at, and the seller can map its columns instead.
"""

import datetime

from django.utils.translation import gettext, gettext_lazy

from .reading_columns import header_guess, mapping_columns, preset_columns
from .reading_files import file_kind, table_read, text_decode
from .reading_mt940 import mt940_rows
from .reading_table import table_rows
from .reading_types import ColumnMapping, StatementRefused, StatementRow, Table, text_collapse

__all__ = ["PRESETS", "ColumnMapping", "StatementRefused", "StatementRow", "statement_headers", "statement_read"]

PRESETS = {
    "bca": gettext_lazy("BCA (KlikBCA, CSV)"),
    "mandiri": gettext_lazy("Mandiri (MCM or Kopra CSV, Livin' XLSX)"),
    "bri": gettext_lazy("BRI (Internet Banking, CMS, QLola, CSV)"),
    "bni": gettext_lazy("BNI (Internet Banking, BNIDirect, CSV)"),
    "mt940": gettext_lazy("MT940"),
}
MAPPING = "mapping"
_HEADER_ROWS_SHOWN = 5


def _refuse_mt940_given() -> StatementRefused:
    return StatementRefused(gettext("This is an MT940 file: choose MT940 as the layout."))


def _table(data: bytes, file_name: str) -> Table:
    kind = file_kind(data, file_name)
    if kind == "mt940":
        raise _refuse_mt940_given()
    return table_read(data, kind)


def statement_read(
    *, data: bytes, file_name: str, layout: str, mapping: ColumnMapping | None = None, today: datetime.date
) -> list[StatementRow]:
    """layout: a PRESETS key, or "mapping" with `mapping` given. Raises StatementRefused."""
    if layout not in PRESETS and layout != MAPPING:
        raise ValueError(f"unknown statement layout {layout!r}")
    if layout == MAPPING and mapping is None:
        raise ValueError("the mapping layout needs a ColumnMapping")
    if layout == "mt940":
        if file_kind(data, file_name) != "mt940":
            raise StatementRefused(
                gettext(
                    "This file does not look like an MT940 statement: it has no :20: and :61: lines. "
                    "Choose your bank instead, or map the columns."
                )
            )
        return mt940_rows(text_decode(data), today=today)
    table = _table(data, file_name)
    if layout == MAPPING:
        columns = mapping_columns(table, mapping)
    else:
        columns = preset_columns(table, layout)
    return table_rows(table, columns, today=today)


def _cell_text(value: object) -> str:
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != datetime.time() else value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return text_collapse(value)


def statement_headers(*, data: bytes, file_name: str) -> tuple[list[str], list[list[str]]]:
    """For the mapping step: the header cells of the table (the first row that looks like a header) and up
    to 5 rows under it, as text. Raises StatementRefused."""
    table = _table(data, file_name)
    index = header_guess(table)
    header = [_cell_text(cell) for cell in table.lines[index][1]]
    while header and not header[-1]:
        header.pop()
    rows = []
    for _, cells in table.lines[index + 1 :]:
        texts = [_cell_text(cell) for cell in cells]
        if not any(texts):
            continue
        rows.append((texts + [""] * len(header))[: len(header)])
        if len(rows) == _HEADER_ROWS_SHOWN:
            break
    return header, rows
