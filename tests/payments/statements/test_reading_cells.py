"""One cell at a time: amounts and dates in every way banks and Excel write them."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from payments.statements.reading_amounts import Amount, amount_read, mark_read
from payments.statements.reading_dates import date_read, period_find, year_of_latest
from payments.statements.reading_types import CellUnreadable

TODAY = datetime.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("cell", "value", "mark"),
    [
        ("1.250.000,00", 1_250_000, None),
        ("1,250,000.00", 1_250_000, None),
        ("1250000.00", 1_250_000, None),
        ("Rp1.250.000", 1_250_000, None),
        ("Rp 1.250.000,-", 1_250_000, None),
        ("Rp. 1.250.000", 1_250_000, None),
        ("IDR 1,250,000", 1_250_000, None),
        ("1,250,000 IDR", 1_250_000, None),
        ("1.250.000", 1_250_000, None),  # a dot and exactly three digits, repeated: thousands
        ("1.250", 1_250, None),
        ("1,250", 1_250, None),
        ("(1.250.000)", -1_250_000, None),
        ("-1.250.000", -1_250_000, None),
        ("1.250.000-", -1_250_000, None),
        ("-Rp1.250.000", -1_250_000, None),
        ("Rp-1.250.000", -1_250_000, None),
        ("1.250.000 CR", 1_250_000, True),
        ("7,083,000.00 DB", 7_083_000, False),
        ("511400.00DB", 511_400, False),
        ("1.000 K", 1_000, True),
        ("1.000 D", 1_000, False),
        ("1,000.00 Dr", 1_000, False),
        (" 20,000 ", 20_000, None),
        ("'20,000", 20_000, None),
        ("1\u00a0250\u00a0000", 1_250_000, None),  # Excel's non-breaking spaces between thousands
        (".00", 0, None),
        ("0,00", 0, None),
        (1_250_000, 1_250_000, None),  # XLSX number cells
        (1_250_000.0, 1_250_000, None),
    ],
)
def test_amounts(cell, value, mark):
    assert amount_read(cell) == Amount(Decimal(value), mark)


def test_cents_are_kept_for_the_row_to_be_refused():
    assert amount_read("1.250.000,50").value == Decimal("1250000.50")
    assert amount_read(0.5).value == Decimal("0.5")


@pytest.mark.parametrize("cell", [None, "", "  ", "'"])
def test_an_empty_amount(cell):
    assert amount_read(cell) is None


@pytest.mark.parametrize("cell", ["abc", "1.2345", "1250.000", "1.25E+06", "--5", "CR", "Rp", "1,2,3", True])
def test_an_amount_that_is_not_a_number(cell):
    with pytest.raises(CellUnreadable, match="is not a number"):
        amount_read(cell)


@pytest.mark.parametrize(
    ("cell", "credit"),
    [("CR", True), ("Cr.", True), ("C", True), ("K", True), ("Kredit", True), ("credit", True)]
    + [("DB", False), ("Db.", False), ("D", False), ("DR", False), ("Debet", False), ("Debit", False)]
    + [("", None), (None, None)],
)
def test_marks(cell, credit):
    assert mark_read(cell) is credit


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("04/12/2026", "2026-12-04"),
        ("04-12-2026", "2026-12-04"),
        ("04.12.2026", "2026-12-04"),
        ("4/12/26", "2026-12-04"),
        ("2026-12-04", "2026-12-04"),
        ("2026-12-04 09:15:00", "2026-12-04"),
        ("2026-12-04T09:15:00", "2026-12-04"),
        ("02/12/26 06.25.21", "2026-12-02"),
        ("27/06/2026 00:04", "2026-06-27"),
        ("'27/06/2026", "2026-06-27"),
        ("04 Des 2026", "2026-12-04"),
        ("4 Desember 2026", "2026-12-04"),
        ("04 Dec 2026", "2026-12-04"),
        ("04-Des-2026", "2026-12-04"),
        ("16 March 2026 09:34:53", "2026-03-16"),
        ("03 Agustus 2026 11:27:10", "2026-08-03"),
        ("7 Agt 2026", "2026-08-07"),
        ("7 Ags 2026", "2026-08-07"),
        ("7 Agu 2026", "2026-08-07"),
        ("1 Mei 2026", "2026-05-01"),
        ("1 Okt 2026", "2026-10-01"),
        ("01 Sep 2026 09:39:37 WIB", "2026-09-01"),
        ("December 4, 2026", "2026-12-04"),
        ("'07/09", "2026-09-07"),  # KlikBCA without a year: the latest such date not after today
        ("'07/12", "2025-12-07"),
        ("07-Sep", "2026-09-07"),
        (datetime.datetime(2026, 12, 4, 9, 15), "2026-12-04"),  # XLSX date cells
        (datetime.date(2026, 12, 4), "2026-12-04"),
        (46360, "2026-12-04"),  # an XLSX date cell without a date format
    ],
)
def test_dates(cell, day):
    assert date_read(cell, day_first=True, year_of=year_of_latest(TODAY)) == datetime.date.fromisoformat(day)


def test_us_order_when_the_seller_says_so():
    assert date_read("12/04/2026", day_first=False, year_of=year_of_latest(TODAY)) == datetime.date(2026, 12, 4)


@pytest.mark.parametrize("cell", ["31/02/2026", "32/01/2026", "13/13/2026", "Kamis", "09:39:37 WIB", "04/12/2026 x"])
def test_a_date_that_is_not_one(cell):
    with pytest.raises(CellUnreadable, match="is not a date"):
        date_read(cell, day_first=True, year_of=year_of_latest(TODAY))


def test_29_february_without_a_year_is_the_latest_leap_day():
    assert date_read("29/02", day_first=True, year_of=year_of_latest(TODAY)) == datetime.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("Periode : 01/11/2025 - 30/11/2025", ("2025-11-01", "2025-11-30")),
        ("Nama/Name : BRIAN Periode/Period : 01 Sep 2026 - 22 Sep 2026", ("2026-09-01", "2026-09-22")),
        ("Periode: 01-11-2026 s/d 30-11-2026", ("2026-11-01", "2026-11-30")),
    ],
)
def test_periods(text, period):
    assert period_find(["Nama : PT CONTOH", text]) == tuple(datetime.date.fromisoformat(day) for day in period)


def test_no_period():
    assert period_find(["Periode : bulan ini", "Nama : PT CONTOH"]) is None
