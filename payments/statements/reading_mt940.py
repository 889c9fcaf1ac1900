"""MT940 statements (BCA and Mandiri business accounts), read with the `mt-940` package after checking what it
would silently get wrong."""

import datetime
import logging
import re
from decimal import Decimal

import mt940
from django.utils.translation import gettext

from .reading_amounts import rupiah_whole
from .reading_dates import date_not_after
from .reading_types import CellUnreadable, StatementRefused, StatementRow, statement_rows_max, text_collapse

# The package logs every line it cannot parse at ERROR level. A seller's damaged upload is not a fault of the
# shop: it reaches the seller as a refusal, and must not page whoever watches the server's errors.
logging.getLogger("mt940").setLevel(logging.CRITICAL)

# Every fix for real-world files the package has (a BOM, long :86:, lowercase marks, RC as a debit), and
# customer references longer than the SWIFT 16 characters kept out of the other fields.
_OPTIONS = mt940.Options.all()
_STATEMENT_LINE = mt940.tags.StatementGLS()
_TAGS = {_STATEMENT_LINE.id: _STATEMENT_LINE}

# The package reads "1250000.00" as 1250000 and "6.000,00" as 6 without a word: amounts are checked first.
_AMOUNT = re.compile(r"\d{1,12}(?:,\d{0,2})?")
_TRANSACTION = re.compile(
    r":61:(?P<date>\d{6})(?:\d{4}|\s{4})?(?P<mark>[A-Za-z]{1,3})\s?(?P<amount>[\d.,]+)(?P<type>[A-Z][A-Z0-9 ]{3})"
)
_BALANCE = re.compile(r":(?:60[FM]|62[FM]|64|65):[CD]\d{6}[A-Z]{3}(?P<amount>[\d.,]+)\s*")
_STATEMENT_NUMBER = re.compile(r":28C?:(?P<number>\d+)(?:/(?P<sequence>\d+))?")


def _refuse_line(line: int, problem: str) -> StatementRefused:
    return StatementRefused(gettext("Line %(line)s: %(problem)s") % {"line": line, "problem": problem})


def _refuse_layout() -> StatementRefused:
    return StatementRefused(
        gettext(
            "This MT940 file cannot be read: a line does not follow the MT940 layout. Download the statement again."
        )
    )


def _lines_prepared(text: str) -> list[str]:
    """The file's lines, numbered as in the file: the SWIFT envelope ({1:...}{4:, -}) blanked, and statement
    numbers longer than the package accepts (":28C:167619/1") shortened; they are not used."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff").split("\n")
    for index, line in enumerate(lines):
        if "{4:" in line:
            line = line.split("{4:", 1)[1]
        elif line.lstrip().startswith(("{", "-}")):
            line = ""
        if match := _STATEMENT_NUMBER.match(line):
            sequence = f"/{match['sequence'][-5:]}" if match["sequence"] else ""
            line = f":28C:{match['number'][-5:]}{sequence}"
        lines[index] = line.rstrip()
    return lines


def _lines_checked(lines: list[str]) -> list[tuple[int, str]]:
    """The (line number, amount as written) of each :61: transaction line. Raises StatementRefused."""
    transactions = []
    for number, line in enumerate(lines, start=1):
        if line.startswith(":61:"):
            match = _TRANSACTION.match(line)
            if not match:
                raise _refuse_line(
                    number, gettext("the transaction line does not follow the MT940 layout (date, C or D, amount).")
                )
            amount = match["amount"]
            transactions.append((number, amount))
        elif balance := _BALANCE.fullmatch(line):
            amount = balance["amount"]
        else:
            continue
        if not _AMOUNT.fullmatch(amount):
            raise _refuse_line(
                number,
                gettext(
                    "the amount '%(text)s' is not written as MT940 writes amounts (digits, a comma before the cents)."
                )
                % {"text": amount},
            )
        if len(transactions) > statement_rows_max():
            raise StatementRefused(
                gettext("The file has more than %(rows)s transactions. Download a statement for a shorter period.")
                % {"rows": f"{statement_rows_max():,}"}
            )
    return transactions


def _balance(data: dict, *names: str) -> Decimal | None:
    for name in names:
        if (balance := data.get(name)) is not None:
            return balance.amount.amount
    return None


def _statements_checked(statements: list) -> None:
    """Each statement names an account, in rupiah, and its balances add up (the last check against a misread)."""
    if not statements:
        raise StatementRefused(
            gettext("This file does not look like an MT940 statement: it has no statement (:20:) in it.")
        )
    for statement in statements:
        opening = _balance(statement.data, "final_opening_balance", "intermediate_opening_balance")
        closing = _balance(statement.data, "final_closing_balance", "intermediate_closing_balance")
        if not statement.data.get("account_identification") or opening is None or closing is None:
            raise StatementRefused(
                gettext(
                    "This MT940 file is incomplete: a statement lacks its account (:25:), opening balance (:60F:) "
                    "or closing balance (:62F:). Download the statement again."
                )
            )
        if statement.currency != "IDR":
            raise StatementRefused(
                gettext("This statement is in %(currency)s; only rupiah (IDR) accounts can be read.")
                % {"currency": statement.currency}
            )
        if opening + sum((transaction.data["amount"].amount for transaction in statement), Decimal(0)) != closing:
            raise StatementRefused(
                gettext(
                    "This MT940 file does not add up: the opening balance and the transactions do not give the "
                    "closing balance. Download the statement again."
                )
            )


def mt940_rows(text: str, *, today: datetime.date) -> list[StatementRow]:
    """Every transaction of every statement in the file. Raises StatementRefused."""
    lines = _lines_prepared(text)
    written = _lines_checked(lines)
    try:
        statements = mt940.parse_statements("\n".join(lines), options=_OPTIONS, tags=_TAGS)
    except (RuntimeError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        raise _refuse_layout() from None
    _statements_checked(statements)
    transactions = [transaction for statement in statements for transaction in statement]
    if len(transactions) != len(written):
        raise _refuse_layout()
    rows = []
    for (line, _amount_written), transaction in zip(written, transactions, strict=True):
        data = transaction.data
        value = data["amount"].amount
        if value == 0:
            continue
        booked_on = data.get("entry_date") or data["date"]
        try:
            amount_idr, with_cents = rupiah_whole(abs(value))
            date_not_after(booked_on, today=today, shown=booked_on.strftime("%d/%m/%Y"))
        except CellUnreadable as problem:
            raise _refuse_line(line, str(problem)) from None
        references = (data.get("customer_reference"), data.get("bank_reference"), data.get("extra_details"))
        description = text_collapse(data.get("transaction_details")) or text_collapse(
            " ".join(reference for reference in references if reference and reference != "NONREF")
        )
        rows.append(
            StatementRow(
                line,
                datetime.date(booked_on.year, booked_on.month, booked_on.day),
                description,
                amount_idr,
                value > 0,
                with_cents,
            )
        )
    return rows
