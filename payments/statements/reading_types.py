"""What reading a statement gives back, the refusal a seller sees, and the limits on what is read."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class StatementRow:
    line: int  # the row's number in the file as the seller would count it (1-based, header lines counted)
    booked_on: datetime.date
    description: str  # whitespace collapsed
    amount_idr: int  # whole rupiah, > 0
    credit: bool  # True: money in (what we match); False: a debit
    # The bank wrote sen (month-end interest, its tax, some fees): no order is paid in sen, so such a line is
    # read (its amount rounded down) but never matched.
    with_cents: bool = False


@dataclass(frozen=True)
class ColumnMapping:
    """For a file of no preset: which column is which, by the header text as written in the file."""

    date: str
    description: str  # one column name, or several joined by "+" ("Remarks+AdditionalDesc")
    amount: str = ""  # one amount column (signed, or with `mark`)...
    credit: str = ""  # ...or a credit column and a debit column
    debit: str = ""
    mark: str = ""  # a column holding the credit/debit mark (CR/DB, C/D, K/D, Kredit/Debet)
    day_first: bool = True  # 04/12/2026 is 4 December (False: US order)


class StatementRefused(Exception):
    """The statement is not read at all; str(error) is a sentence to show the seller."""


class CellUnreadable(ValueError):
    """One cell cannot be read; str(error) is a phrase that the row's number is put in front of."""


@dataclass
class Table:
    """The cells of a CSV or XLSX file, line by line, each with its number as the seller counts rows."""

    lines: list[tuple[int, list[object]]] = field(default_factory=list)
    delimiter: str = ","  # what joins cells again when an unquoted description held the delimiter


# An XLSX is a zip: what it unpacks to is capped before anything unpacks it.
XLSX_UNPACKED_BYTES_MAX = 50 * 1024 * 1024
# Spreadsheet XML packs about ten to one; a member packed a hundred times smaller is built to explode.
XLSX_MEMBER_RATIO_MAX = 100
XLSX_MEMBERS_MAX = 1_000
# Statements have a few dozen columns at most; cells further right are not read.
COLUMNS_MAX = 100


def statement_bytes_max() -> int:
    return getattr(settings, "STATEMENT_MAX_BYTES", 10 * 1024 * 1024)


def statement_rows_max() -> int:
    return getattr(settings, "STATEMENT_MAX_ROWS", 100_000)


def text_collapse(value: object) -> str:
    """A cell as one line of text: runs of whitespace (newlines, Excel's non-breaking spaces) become one space."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def cell_shown(value: object, *, length: int = 40) -> str:
    """A cell as it may be quoted back to the seller in a message: collapsed and cut short."""
    text = text_collapse(value)
    return text if len(text) <= length else text[: length - 1] + "…"
