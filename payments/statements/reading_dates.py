"""Dates as banks and Excel write them, in Indonesian or English, with or without a year."""

import datetime
import re
from collections.abc import Callable

from django.utils import formats
from django.utils.translation import gettext
from openpyxl.utils.datetime import from_excel

from .reading_types import CellUnreadable, cell_shown

_MONTHS = {
    **{name: 1 for name in ("jan", "januari", "january")},
    **{name: 2 for name in ("feb", "peb", "februari", "pebruari", "february")},
    **{name: 3 for name in ("mar", "maret", "march")},
    **{name: 4 for name in ("apr", "april")},
    **{name: 5 for name in ("mei", "may")},
    **{name: 6 for name in ("jun", "juni", "june")},
    **{name: 7 for name in ("jul", "juli", "july")},
    **{name: 8 for name in ("agu", "agt", "ags", "agus", "agustus", "aug", "august")},
    **{name: 9 for name in ("sep", "sept", "september")},
    **{name: 10 for name in ("okt", "oktober", "oct", "october")},
    **{name: 11 for name in ("nov", "nop", "november", "nopember")},
    **{name: 12 for name in ("des", "desember", "dec", "december")},
}
_ISO = re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})")
_NUMERIC = re.compile(r"(?P<first>\d{1,2})[-/.](?P<second>\d{1,2})[-/.](?P<year>\d{4}|\d{2})(?![\d:])")
_NAMED = re.compile(r"(?P<day>\d{1,2})[-\s/.]*(?P<name>[^\W\d_]+)\.?(?:[-\s/.,]*(?P<year>\d{4}|\d{2})(?![\d:.]))?")
_NAME_FIRST = re.compile(r"(?P<name>[^\W\d_]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})")
_YEARLESS = re.compile(r"(?P<first>\d{1,2})[/.-](?P<second>\d{1,2})(?![\d/.-])")
# What may follow a date in its cell: a time ("09:15:00", BNI's "06.25.21", "11:15:17 WIB").
_TIME_AFTER = re.compile(r"(?:[T\s,]+\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?\s*(?:WIB|WITA|WIT|AM|PM)?)?\s*", re.I)
_PERIOD = re.compile(r"period[e]?(?:\s*/\s*period)?\s*:?\s*", re.IGNORECASE)
_PERIOD_BETWEEN = re.compile(r"\s*(?:-|–|s/d|s\.d\.?|sampai|hingga|to)\s*", re.IGNORECASE)

YearOf = Callable[[int, int], int]  # (month, day) -> the year of a date written without one


def _parts(text: str, *, day_first: bool) -> tuple[int | None, int, int, str] | None:
    """(year or None, month, day, what follows) of the date at the start of `text`, or None."""
    if match := _ISO.match(text):
        return int(match["year"]), int(match["month"]), int(match["day"]), text[match.end() :]
    if match := _NUMERIC.match(text):
        first, second = int(match["first"]), int(match["second"])
        day, month = (first, second) if day_first else (second, first)
        year = int(match["year"])
        return (2000 + year if year < 100 else year), month, day, text[match.end() :]
    for pattern in (_NAMED, _NAME_FIRST):
        match = pattern.match(text)
        if match and match["name"].lower() in _MONTHS:
            year = int(match["year"]) if match["year"] else None
            if year is not None and year < 100:
                year += 2000
            return year, _MONTHS[match["name"].lower()], int(match["day"]), text[match.end() :]
    if match := _YEARLESS.match(text):
        first, second = int(match["first"]), int(match["second"])
        day, month = (first, second) if day_first else (second, first)
        return None, month, day, text[match.end() :]
    return None


def _not_a_date(value: object) -> CellUnreadable:
    return CellUnreadable(gettext("the date '%(text)s' is not a date.") % {"text": cell_shown(value)})


def date_read(value: object, *, day_first: bool, year_of: YearOf) -> datetime.date:
    """The date in a cell (a time after it is dropped). Raises CellUnreadable."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An XLSX date cell left without a date format holds Excel's day count (46360 is 4 December 2026).
        if not 1 <= value < 2_958_466:
            raise _not_a_date(value)
        return from_excel(value).date()
    text = " ".join(str(value or "").split()).strip("'`")
    parts = _parts(text, day_first=day_first)
    if parts is None or not _TIME_AFTER.fullmatch(parts[3]):
        raise _not_a_date(value)
    year, month, day, _ = parts
    try:
        return datetime.date(year if year is not None else year_of(month, day), month, day)
    except ValueError:
        raise _not_a_date(value) from None


def date_not_after(day: datetime.date, *, today: datetime.date, shown: object) -> datetime.date:
    """The date, checked not to be in the future. Raises CellUnreadable."""
    if day > today:
        raise CellUnreadable(
            gettext("the date '%(text)s' is after today (%(today)s); check the file, or the order of day and month.")
            % {"text": cell_shown(shown), "today": formats.date_format(today, "j F Y")}
        )
    return day


def year_of_latest(anchor: datetime.date) -> YearOf:
    """For dates written without a year: the latest such date not after `anchor` (the period's end, or today)."""

    def year_of(month: int, day: int) -> int:
        for year in range(anchor.year, anchor.year - 5, -1):
            try:
                if datetime.date(year, month, day) <= anchor:
                    return year
            except ValueError:
                continue  # 29 February of a year that has none, or no such day at all
        raise ValueError(f"no date {day}/{month} before {anchor}")

    return year_of


def period_find(texts: list[str]) -> tuple[datetime.date, datetime.date] | None:
    """The statement's period from a line such as "Periode : 01/11/2026 - 30/11/2026", if one is given."""

    def no_year(month: int, day: int) -> int:
        raise ValueError("a period needs years")

    for text in texts:
        found = _PERIOD.search(text)
        if not found:
            continue
        rest = " ".join(text[found.end() :].split()).strip("'`\"")
        start = _parts(rest, day_first=True)
        if start is None or start[0] is None:
            continue
        between = _PERIOD_BETWEEN.match(start[3])
        end = _parts(start[3][between.end() :], day_first=True) if between else None
        if end is None or end[0] is None:
            continue
        try:
            first = date_read(rest[: len(rest) - len(start[3])], day_first=True, year_of=no_year)
            last = datetime.date(end[0], end[1], end[2])
        except (CellUnreadable, ValueError):
            continue
        if first <= last:
            return first, last
    return None
