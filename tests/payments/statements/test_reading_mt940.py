"""MT940 statements: read through the `mt-940` package, after checking the amounts it would silently misread,
and refused when the result is not a whole statement that adds up."""

import datetime
import logging
from pathlib import Path

import pytest
from django.utils import translation

from payments.statements.reading import StatementRefused, StatementRow, statement_read

FILES = Path(__file__).parent / "files"
TODAY = datetime.date(2026, 12, 4)

STATEMENT = """:20:STMT261204
:25:1060055988896
:28C:00001/001
:60F:C261201IDR10000000,00
:61:2612011201C1250000,00NTRFNONREF//FT26120100001
:86:TRSF E-BANKING CR BUDI SANTOSO
:61:2612021202D50000,00NMSCNONREF
:86:BIAYA ADM
:62F:C261202IDR11200000,00
"""


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def read(data: bytes, *, today: datetime.date = TODAY) -> list[StatementRow]:
    return statement_read(data=data, file_name="statement.sta", layout="mt940", today=today)


def refusal(text: str) -> str:
    with pytest.raises(StatementRefused) as refused:
        read(text.encode())
    return str(refused.value)


def row(line, day, description, amount, credit=True):
    return StatementRow(line, datetime.date.fromisoformat(day), description, amount, credit)


def test_a_statement_in_its_swift_envelope_with_crlf_and_a_long_statement_number():
    assert read((FILES / "mandiri_business.sta").read_bytes()) == [
        row(
            6,
            "2026-12-01",
            "TRSF E-BANKING CR 0112/FTSCY/WS95031 1250117.00 BUDI SANTOSO ORDER 1042 PRAPESAN",
            1_250_117,
        ),
        row(9, "2026-12-02", "BIAYA ADM", 50_000, credit=False),
        row(11, "2026-12-03", "TRF INW BI-FAST SITI RAHMAWATI", 300_000),
    ]


def test_two_daily_statements_in_one_file_with_a_bom_and_a_reversed_credit():
    assert read((FILES / "bca_two_days.mt940").read_bytes()) == [
        row(5, "2026-12-02", "TRSF E-BANKING CR 0212/FTSCY/WS95031 200000.00 ANI", 200_000),
        # RC reverses a credit: money goes out again.
        row(12, "2026-12-03", "KOREKSI TRSF 0212 ANI", 200_000, credit=False),
        row(14, "2026-12-03", "TRSF E-BANKING CR 0312 DINDA", 75_000),
    ]


def test_windows_1252_text_in_the_details():
    data = STATEMENT.replace("BUDI SANTOSO", "CAFÉ RENÉE").encode("cp1252")
    assert read(data)[0].description == "TRSF E-BANKING CR CAFÉ RENÉE"


def test_a_statement_without_transactions_gives_no_rows():
    text = ":20:STMT\n:25:1060055988896\n:28C:1/1\n:60F:C261201IDR5000,00\n:62F:C261201IDR5000,00\n"
    assert read(text.encode()) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # The package would read these as 1250000 (the rest becoming a reference) and as 11.
        (
            ("C1250000,00NTRF", "C1250000.00NTRF"),
            "Line 5: the amount '1250000.00' is not written as MT940 writes amounts (digits, a comma before the "
            "cents).",
        ),
        (
            ("IDR11200000,00", "IDR11.200.000,00"),
            "Line 9: the amount '11.200.000,00' is not written as MT940 writes amounts (digits, a comma before the "
            "cents).",
        ),
        (
            (":61:2612011201C", ":61:26120X1201C"),
            "Line 5: the transaction line does not follow the MT940 layout (date, C or D, amount).",
        ),
        (
            (":61:2612021202D", ":61:2612051205D"),
            "Line 7: the date '05/12/2026' is after today (4 December 2026); check the file, or the order of day and "
            "month.",
        ),
        (
            ("IDR11200000,00", "IDR11200001,00"),
            "This MT940 file does not add up: the opening balance and the transactions do not give the closing "
            "balance. Download the statement again.",
        ),
        (
            (":62F:C261202IDR11200000,00\n", ""),
            "This MT940 file is incomplete: a statement lacks its account (:25:), opening balance (:60F:) or closing "
            "balance (:62F:). Download the statement again.",
        ),
        (
            (":25:1060055988896\n", ""),
            "This MT940 file is incomplete: a statement lacks its account (:25:), opening balance (:60F:) or closing "
            "balance (:62F:). Download the statement again.",
        ),
    ],
)
def test_a_statement_that_would_be_misread_or_is_not_whole_is_refused(change, message):
    text = STATEMENT
    for old, new in zip(change[::2], change[1::2], strict=True):
        assert old in text
        text = text.replace(old, new)
    assert refusal(text) == message


def test_a_line_with_sen_is_read_rounded_down_and_marked():
    text = STATEMENT.replace("C1250000,00NTRF", "C1250000,50NTRF").replace("IDR11200000,00", "IDR11200000,50")
    rows = read(text.encode())
    assert [(row.amount_idr, row.with_cents) for row in rows if row.with_cents] == [(1_250_000, True)]


def test_a_statement_in_another_currency():
    assert refusal(STATEMENT.replace("IDR", "USD")) == (
        "This statement is in USD; only rupiah (IDR) accounts can be read."
    )


def test_a_line_the_package_cannot_parse_is_refused_without_logging_an_error(caplog):
    with caplog.at_level(logging.DEBUG):
        message = refusal(STATEMENT.replace(":60F:C261201", ":60F:X261201"))
    assert message == (
        "This MT940 file cannot be read: a line does not follow the MT940 layout. Download the statement again."
    )
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_old_mac_line_ends():
    assert [each.amount_idr for each in read(STATEMENT.replace("\n", "\r").encode())] == [1_250_000, 50_000]
