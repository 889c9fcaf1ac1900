"""Files that are refused whole, with a sentence the seller can act on, and nothing returned."""

import datetime
import io
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from payments.statements import reading_files
from payments.statements.reading import ColumnMapping, StatementRefused, statement_headers, statement_read

FILES = Path(__file__).parent / "files"
TODAY = datetime.date(2026, 12, 4)
MAPPING = ColumnMapping(date="Tanggal", description="Keterangan", amount="Jumlah")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refusal(data: bytes, *, file_name: str = "mutasi.csv", layout: str = "mapping") -> str:
    mapping = MAPPING if layout == "mapping" else None
    with pytest.raises(StatementRefused) as refused:
        statement_read(data=data, file_name=file_name, layout=layout, mapping=mapping, today=TODAY)
    return str(refused.value)


def workbook_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for cells in rows:
        workbook.active.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("data", [b"", b"  \r\n\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_an_empty_file(data):
    assert refusal(data) == "The file is empty. Download the statement again from your internet banking."


def test_a_50_megabyte_file_is_refused_before_it_is_read():
    data = b"Tanggal,Keterangan,Jumlah\n" + b"04/12/2026,ANI,1000\n" * (50 * 1024 * 1024 // 20)
    assert refusal(data) == "The file is larger than 10 MB. Download a statement for a shorter period."


def test_the_size_limit_comes_from_the_settings(settings):
    settings.STATEMENT_MAX_BYTES = 1024 * 1024
    data = b"Tanggal,Keterangan,Jumlah\n" + b"04/12/2026,ANI,1000\n" * 60_000
    assert refusal(data) == "The file is larger than 1 MB. Download a statement for a shorter period."


def test_more_rows_than_the_settings_allow(settings):
    settings.STATEMENT_MAX_ROWS = 3
    assert refusal((FILES / "bri.csv").read_bytes(), layout="bri") == (
        "The file has more than 3 rows. Download a statement for a shorter period."
    )
    workbook = workbook_bytes([["Tanggal", "Keterangan", "Jumlah"]] + [["04/12/2026", "ANI", 1000]] * 3)
    assert refusal(workbook, file_name="m.xlsx").startswith("The file has more than 3 rows.")


def zip_bytes(members: dict[str, bytes | int]) -> bytes:
    """A zip of the members; an int is that many spaces, written in pieces so the test stays small in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in members.items():
            with archive.open(name, "w", force_zip64=True) as member:
                if isinstance(content, int):
                    piece = b" " * (1024 * 1024)
                    for _ in range(content // len(piece)):
                        member.write(piece)
                else:
                    member.write(content)
    return buffer.getvalue()


XLSX_NAMES = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}


@pytest.fixture
def openpyxl_never_opens(monkeypatch):
    def load_workbook(*args, **kwargs):
        raise AssertionError("openpyxl opened a file that should have been refused from its zip directory")

    monkeypatch.setattr(reading_files.openpyxl, "load_workbook", load_workbook)


def test_an_xlsx_that_unpacks_past_50_megabytes_is_refused_from_its_zip_directory(openpyxl_never_opens):
    bomb = zip_bytes({**XLSX_NAMES, "xl/worksheets/sheet1.xml": 51 * 1024 * 1024})
    assert len(bomb) < 1024 * 1024
    assert refusal(bomb, file_name="mutasi.xlsx") == (
        "This Excel file unpacks to more than 50 MB, far more than a statement holds. "
        "Download the statement again, for a shorter period."
    )


def test_an_xlsx_member_packed_a_hundred_times_smaller_is_refused_though_under_50_megabytes(openpyxl_never_opens):
    bomb = zip_bytes({**XLSX_NAMES, "xl/sharedStrings.xml": 8 * 1024 * 1024})
    assert refusal(bomb, file_name="mutasi.xlsx").startswith("This Excel file unpacks to more than 50 MB")


def test_an_xlsx_with_a_formula_is_refused_naming_its_row():
    data = workbook_bytes(
        [
            ["Tanggal", "Keterangan", "Jumlah"],
            ["04/12/2026", "ANI", 1000],
            ["04/12/2026", '=HYPERLINK("https://contoh.example/bayar","Klik")', 2000],
        ]
    )
    assert refusal(data, file_name="mutasi.xlsx") == (
        "Row 3: a cell holds a formula (=HYPERLINK(...)); export the statement again without editing it."
    )


def test_a_formula_in_a_csv_is_only_text():
    data = b'Tanggal,Keterangan,Jumlah\n04/12/2026,"=HYPERLINK(""https://contoh.example"")",1000\n'
    rows = statement_read(data=data, file_name="mutasi.csv", layout="mapping", mapping=MAPPING, today=TODAY)
    assert rows[0].description == '=HYPERLINK("https://contoh.example")'


def test_a_damaged_xlsx():
    data = workbook_bytes([["Tanggal"]])
    assert refusal(data[: len(data) // 2], file_name="mutasi.xlsx").startswith("This Excel file is damaged")


@pytest.mark.parametrize(
    ("data", "file_name", "start"),
    [
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "mutasi.pdf", "This is a PDF."),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200), "bukti.jpg", "This is a picture, not a statement."),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "mutasi.csv", "This is a picture, not a statement."),
        (b"BM\x36\x00\x0c\x00\x00\x00\x00\x00" + bytes(200), "mutasi.csv", "This is a picture, not a statement."),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
            "mutasi.xls",
            "This is an XLS file of old Excel, which cannot be read. Open it in Excel and save it as "
            "Excel Workbook (XLSX) or CSV",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "mutasi.xlsx", "This Excel file is protected by a password"),
        (
            b"<html><body><table><tr><td>Tanggal</td></tr></table></body></html>",
            "mutasi.xls",
            "This file is a web page or XML",
        ),
        (random.Random(7).randbytes(4096), "mutasi.csv", "This file is not a bank statement that can be read"),
        (b"Tanggal,Keterangan\x00\x01\x02\x03,Jumlah\n", "mutasi.csv", "This file is not a bank statement"),
    ],
)
def test_a_file_of_another_kind(data, file_name, start):
    assert refusal(data, file_name=file_name, layout="bca").startswith(start)
    with pytest.raises(StatementRefused):
        statement_headers(data=data, file_name=file_name)


def test_a_csv_starting_like_a_bitmap_is_still_a_csv():
    data = b"BMRI Ref,Tanggal,Keterangan,Jumlah\n0001,04/12/2026,ANI,1000\n"
    rows = statement_read(data=data, file_name="mutasi.csv", layout="mapping", mapping=MAPPING, today=TODAY)
    assert [each.amount_idr for each in rows] == [1_000]


def test_a_zip_that_is_not_an_xlsx():
    assert refusal(zip_bytes({"bukti.jpg": b"\xff\xd8\xff"}), file_name="mutasi.zip") == (
        "This is a ZIP archive, not a statement. Unpack it and upload the CSV, XLSX or MT940 file inside."
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("04/12/2026,ANI,abc", "Row 3: the amount 'abc' is not a number."),
        ("31/02/2026,ANI,1000", "Row 3: the date '31/02/2026' is not a date."),
        ("Kamis,ANI,1000", "Row 3: the date 'Kamis' is not a date."),
        (",ANI,1000", "Row 3: the date is missing."),
        (
            "05/12/2026,ANI,1000",
            "Row 3: the date '05/12/2026' is after today (4 December 2026); check the file, or the order of day and "
            "month.",
        ),
    ],
)
def test_one_unreadable_row_refuses_the_whole_file_naming_the_row(line, message):
    data = f"Tanggal,Keterangan,Jumlah\n03/12/2026,BAYU,5000\n{line}\n04/12/2026,CICI,7000\n".encode()
    assert refusal(data) == message


def test_a_row_with_sen_is_read_as_such_rounded_down_and_never_matched():
    data = (FILES / "bni.csv").read_bytes().replace(b'"250,117.00"', b'"250,117.50"')
    rows = statement_read(data=data, file_name="bni.csv", layout="bni", today=TODAY)
    with_cents = [row for row in rows if row.with_cents]
    assert [(row.line, row.amount_idr) for row in with_cents] == [(4, 250_117)]
    assert not any(
        row.with_cents
        for row in statement_read(data=(FILES / "bni.csv").read_bytes(), file_name="bni.csv", layout="bni", today=TODAY)
    )
    mapped = statement_read(
        data=b"Tanggal,Keterangan,Jumlah\n03/12/2026,BUNGA,1250000.05\n",
        file_name="m.csv",
        layout="mapping",
        mapping=MAPPING,
        today=TODAY,
    )
    assert [(row.amount_idr, row.with_cents) for row in mapped] == [(1_250_000, True)]


def test_both_credit_and_debit_filled_on_one_row():
    data = (FILES / "bni.csv").read_bytes().replace(b'.00,"200,000.00"', b'"5.00","200,000.00"')
    assert refusal(data, layout="bni") == "Row 2: both the credit and the debit column hold an amount."


def test_an_mt940_file_given_to_a_bank_preset_and_a_csv_given_as_mt940():
    assert refusal((FILES / "mandiri_business.sta").read_bytes(), layout="mandiri") == (
        "This is an MT940 file: choose MT940 as the layout."
    )
    assert refusal((FILES / "bni.csv").read_bytes(), layout="mt940") == (
        "This file does not look like an MT940 statement: it has no :20: and :61: lines. "
        "Choose your bank instead, or map the columns."
    )


def test_an_unknown_layout_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown statement layout"):
        statement_read(data=b"x", file_name="x.csv", layout="cimb", today=TODAY)
    with pytest.raises(ValueError, match="needs a ColumnMapping"):
        statement_read(data=b"x", file_name="x.csv", layout="mapping", today=TODAY)
