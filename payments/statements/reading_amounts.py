"""Amounts as banks and Excel write them, and the credit/debit marks beside them."""

import re
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import NamedTuple

from django.utils.translation import gettext

from .reading_types import CellUnreadable, cell_shown


class Amount(NamedTuple):
    value: Decimal  # negative when written negative: "(1.250.000)", "-1.250.000", "1.250.000-"
    mark: bool | None  # a mark written in the cell: True "CR"/"K", False "DB"/"D", None when there is none


_CREDIT_MARKS = {"cr", "c", "k", "kr", "kredit", "credit"}
_DEBIT_MARKS = {"db", "dr", "d", "debet", "debit"}
# A mark glued to the end of the number ("7,083,000.00 DB"); the character before it must end a number,
# so the "DR" of a trailing "IDR" is not taken for a mark.
_TRAILING_MARK = re.compile(r"(?P<number>.*[\d)\-])(?P<mark>cr|db|dr|kr|k|d|c)\.?", re.IGNORECASE)
_CURRENCY_BEFORE = re.compile(r"^(?:rp\.?|idr)", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"(?:rp|idr)$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


def _number(text: str) -> Decimal | None:
    """The value of digits with thousands and decimal separators in either convention, or None."""
    if _DIGITS.fullmatch(text):
        return Decimal(text)
    if "." in text and "," in text:
        # Both are used: the last one written separates the decimals.
        decimals, thousands = (".", ",") if text.rfind(".") > text.rfind(",") else (",", ".")
        whole = rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    else:
        separator = "." if "." in text else ","
        # A separator followed by exactly three digits, repeated, groups thousands: "1.250.000", "1,250".
        if re.fullmatch(rf"\d{{1,3}}(?:{re.escape(separator)}\d{{3}})+", text):
            return Decimal(text.replace(separator, ""))
        decimals, thousands, whole = separator, "", r"\d*"
    match = re.fullmatch(rf"(?P<whole>{whole}){re.escape(decimals)}(?P<cents>\d{{1,2}})", text)
    if not match:
        return None
    digits = match["whole"].replace(thousands, "") if thousands else match["whole"]
    return Decimal(f"{digits or '0'}.{match['cents']}")


def _not_a_number(value: object) -> CellUnreadable:
    return CellUnreadable(gettext("the amount '%(text)s' is not a number.") % {"text": cell_shown(value)})


def amount_read(value: object) -> Amount | None:
    """The amount in a cell, or None for an empty cell. Raises CellUnreadable."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _not_a_number(value)
    if isinstance(value, int | float):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise _not_a_number(value)
        return Amount(number, None)
    text = "".join(str(value).split()).strip("'`")
    if not text:
        return None
    mark = None
    if match := _TRAILING_MARK.fullmatch(text):
        text, mark = match["number"], match["mark"].lower() in _CREDIT_MARKS
    # ",-" after a rupiah amount says "no cents", as "Rp 1.250.000,-" on an invoice.
    text = text.removesuffix(",-").removesuffix(".-")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    for _ in range(2):  # the sign may come before or after the currency: "-Rp1.000", "Rp-1.000"
        text = _CURRENCY_BEFORE.sub("", text)
        if text[:1] in {"-", "+"}:
            if negative and text[0] == "-":
                raise _not_a_number(value)
            negative, text = negative or text[0] == "-", text[1:]
    if text.endswith("-") and not negative:
        negative, text = True, text[:-1]
    text = _CURRENCY_AFTER.sub("", text)
    number = _number(text)
    if number is None:
        raise _not_a_number(value)
    return Amount(-number if negative else number, mark)


def mark_read(value: object) -> bool | None:
    """A credit/debit mark cell: True for credit, False for debit, None when empty. Raises CellUnreadable."""
    text = "".join(str(value or "").split()).strip("'`.").lower()
    if not text:
        return None
    if text in _CREDIT_MARKS:
        return True
    if text in _DEBIT_MARKS:
        return False
    raise CellUnreadable(
        gettext("the mark '%(text)s' is neither a credit (CR, K) nor a debit (DB, D).") % {"text": cell_shown(value)}
    )


def rupiah_whole(value: Decimal) -> tuple[int, bool]:
    """The amount in whole rupiah (rounded down), and whether the bank wrote sen: interest and its tax come
    with cents, and no order is paid in sen."""
    whole = value.to_integral_value(rounding=ROUND_FLOOR)
    return int(whole), whole != value
