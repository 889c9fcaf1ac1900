"""A bank with no preset: the seller sees the header line and a few rows, and says which column is which."""

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from payments.statements.reading import (
    ColumnMapping,
    StatementRefused,
    StatementRow,
    statement_headers,
    statement_read,
)

FILES = Path(__file__).parent / "files"
TODAY = datetime.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def read(name: str, mapping: ColumnMapping, *, today: datetime.date = TODAY) -> list[StatementRow]:
    data = (FILES / name).read_bytes()
    return statement_read(data=data, file_name=name, layout="mapping", mapping=mapping, today=today)


def row(line, day, description, amount, credit=True):
    return StatementRow(line, datetime.date.fromisoformat(day), description, amount, credit)


def test_credit_and_debit_columns_with_amounts_and_dates_written_every_way():
    mapping = ColumnMapping(date="Tgl", description="Uraian", credit="Masuk", debit="Keluar")
    assert read("nusantara_credit_debit.csv", mapping) == [
        row(5, "2026-12-04", "SETORAN TUNAI", 1_250_000),  # "Rp 1.250.000,-"
        row(6, "2026-12-04", "TRF MASUK BUDI", 1_250_117),  # "IDR 1,250,117"
        row(7, "2026-12-04", "BIAYA ADM", 1_500, credit=False),  # "Rp1.500" under Keluar
        row(8, "2026-12-04", "TRF MASUK SITI", 1_250_234),  # "1.250.234", dated "2026-12-04 09:15:00"
        row(9, "2026-03-16", "TRF MASUK LAMA", 1_250_000),  # "1250000.00", dated "16 March 2026 09:34:53"
    ]


def test_one_signed_amount_column_in_windows_1252_with_carriage_returns_and_semicolons():
    mapping = ColumnMapping(date="Tanggal", description="Keterangan", amount="Mutasi")
    assert read("nusantara_signed.csv", mapping) == [
        row(2, "2026-12-04", "TRF MASUK ANI", 1_250_000),  # "1.250.000,00"
        row(3, "2026-12-04", "TRF KELUAR", 1_250_000, credit=False),  # "(1.250.000)"
        row(4, "2026-12-04", "BIAYA KARTU", 1_250, credit=False),  # "-1.250,00"
        row(5, "2026-12-04", "TRF MASUK BAYU", 1_250_000),  # "1,250,000.00", dated "4/12/26"
    ]


def test_an_amount_with_a_mark_column_two_description_columns_and_us_dates():
    mapping = ColumnMapping(
        date="Date", description="Remarks+Additional Desc", amount="Amount", mark="D/K", day_first=False
    )
    assert read("nusantara_mark.csv", mapping) == [
        row(2, "2026-12-03", "TRF MASUK FROM ANI", 1_250_000),
        row(3, "2026-12-03", "ATM WITHDRAWAL", 250_000, credit=False),
        row(4, "2026-12-04", "TRF MASUK FROM BAYU", 117_000),
        row(5, "2026-12-04", "FEE MONTHLY", 5_000, credit=False),
    ]


def test_the_order_of_day_and_month_is_the_sellers_choice():
    mapping = ColumnMapping(date="Date", description="Remarks", amount="Amount", mark="D/K")
    assert {each.booked_on for each in read("nusantara_mark.csv", mapping)} == {
        datetime.date(2026, 3, 12),
        datetime.date(2026, 4, 12),
    }


def test_a_us_date_read_day_first_is_refused_by_row():
    data = b"Date,Remarks,Amount\n12/03/2026,ANI,1000\n12/25/2026,BAYU,2000\n"
    mapping = ColumnMapping(date="Date", description="Remarks", amount="Amount")
    with pytest.raises(StatementRefused) as refused:
        statement_read(data=data, file_name="x.csv", layout="mapping", mapping=mapping, today=TODAY)
    assert str(refused.value) == "Row 3: the date '12/25/2026' is not a date."


def test_names_are_matched_whatever_their_case_and_spacing():
    mapping = ColumnMapping(date=" tgl ", description="URAIAN", credit="masuk")
    assert [each.line for each in read("nusantara_credit_debit.csv", mapping)] == [5, 6, 8, 9]


def test_a_column_name_holding_a_plus_is_one_column():
    data = b"Tanggal,Debit+Kredit,Uraian+Catatan\n04/12/2026,1.000,ANI\n"
    mapping = ColumnMapping(date="Tanggal", description="Uraian+Catatan", amount="Debit+Kredit")
    rows = statement_read(data=data, file_name="x.csv", layout="mapping", mapping=mapping, today=TODAY)
    assert rows == [row(2, "2026-12-04", "ANI", 1_000)]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            ColumnMapping(date="Tgl", description="Uraian", debit="Keluar"),
            "No credit column is chosen: choose the column of money in, or the one amount column.",
        ),
        (
            ColumnMapping(date="Tgl", description="Uraian", amount="Masuk", credit="Masuk"),
            "Choose either one amount column, or a credit column and a debit column, not both.",
        ),
        (
            ColumnMapping(date="Tgl", description="Uraian", credit="Masuk", mark="Kode"),
            "A credit/debit mark column goes with one amount column.",
        ),
        (
            ColumnMapping(date="Tgl", description="Uraian", credit="Kredit"),
            "No line of this file has all of the columns “Tgl”, “Kredit”, “Uraian”. Choose the columns again.",
        ),
    ],
)
def test_a_mapping_that_cannot_be_used_is_refused(mapping, message):
    with pytest.raises(StatementRefused) as refused:
        read("nusantara_credit_debit.csv", mapping)
    assert str(refused.value) == message


def test_a_mark_column_holding_something_else_is_refused_by_row():
    data = b"Date,Remarks,Amount,Type\n04/12/2026,ANI,1000,TRANSFER\n"
    mapping = ColumnMapping(date="Date", description="Remarks", amount="Amount", mark="Type")
    with pytest.raises(StatementRefused) as refused:
        statement_read(data=data, file_name="x.csv", layout="mapping", mapping=mapping, today=TODAY)
    assert str(refused.value) == "Row 2: the mark 'TRANSFER' is neither a credit (CR, K) nor a debit (DB, D)."


def test_a_negative_amount_marked_as_a_credit_is_refused():
    data = b"Date,Remarks,Amount,Type\n04/12/2026,ANI,-1000,CR\n"
    mapping = ColumnMapping(date="Date", description="Remarks", amount="Amount", mark="Type")
    with pytest.raises(StatementRefused) as refused:
        statement_read(data=data, file_name="x.csv", layout="mapping", mapping=mapping, today=TODAY)
    assert str(refused.value) == "Row 2: the amount '-1000' is marked both as a credit and as a debit."


def test_headers_skip_the_title_and_key_value_lines_and_show_five_rows():
    header, rows = statement_headers(
        data=(FILES / "nusantara_credit_debit.csv").read_bytes(), file_name="nusantara_credit_debit.csv"
    )
    assert header == ["Tgl", "Uraian", "Kode", "Masuk", "Keluar", "Saldo"]
    assert rows[0] == ["04 Des 2026", "SETORAN TUNAI", "ST", "Rp 1.250.000,-", "", "5.000.000"]
    assert len(rows) == 5


def test_headers_of_a_klikbca_file_skip_its_account_lines():
    header, rows = statement_headers(data=(FILES / "bca_individu_en.csv").read_bytes(), file_name="m.csv")
    assert header == ["Date", "Description", "Branch", "Amount", "", "Balance"]
    assert rows[1] == ["'18/09", "TRSF E-BANKING CR ODANG RODIANA K", "'0006", "800000.00", "CR", "1697447.23"]


def test_headers_of_an_xlsx_show_dates_as_text():
    workbook = openpyxl.Workbook()
    workbook.active.append(["Laporan"])
    workbook.active.append(["Tanggal", "Uraian", "Nominal"])
    workbook.active.append([datetime.datetime(2026, 12, 4), "ANI", 250_117])
    workbook.active.append([datetime.datetime(2026, 12, 4, 9, 15), "BAYU", 1_000.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    header, rows = statement_headers(data=buffer.getvalue(), file_name="mutasi.xlsx")
    assert header == ["Tanggal", "Uraian", "Nominal"]
    assert rows == [["2026-12-04", "ANI", "250117"], ["2026-12-04 09:15", "BAYU", "1000.5"]]


def test_headers_of_a_file_without_a_line_of_column_names_are_refused():
    with pytest.raises(StatementRefused) as refused:
        statement_headers(data=b"Terima kasih\n04/12/2026,1000\n", file_name="x.csv")
    assert str(refused.value).startswith("No line of this file looks like a line of column names")


def test_headers_of_an_mt940_file_point_to_the_mt940_layout():
    with pytest.raises(StatementRefused) as refused:
        statement_headers(data=(FILES / "mandiri_business.sta").read_bytes(), file_name="mandiri_business.sta")
    assert str(refused.value) == "This is an MT940 file: choose MT940 as the layout."


def test_excel_unicode_text_is_utf_16_and_tab_separated():
    text = "Tanggal\tUraian\tKredit\tDebet\r\n04/12/2026\tTRF DARI ÉLISE\t250.117\t\r\n"
    data = text.encode("utf-16")  # with its byte-order mark, as Excel writes it
    mapping = ColumnMapping(date="Tanggal", description="Uraian", credit="Kredit", debit="Debet")
    rows = statement_read(data=data, file_name="mutasi.txt", layout="mapping", mapping=mapping, today=TODAY)
    assert rows == [row(2, "2026-12-04", "TRF DARI ÉLISE", 250_117)]


def test_the_header_repeated_on_each_page_is_skipped():
    data = b"Waktu,Uraian,Nominal\n04/12/2026,ANI,1000\n\nHalaman 2,,\nWaktu,Uraian,Nominal\n04/12/2026,BAYU,2000\n"
    mapping = ColumnMapping(date="Waktu", description="Uraian", amount="Nominal")
    rows = statement_read(data=data, file_name="x.csv", layout="mapping", mapping=mapping, today=TODAY)
    assert rows == [row(2, "2026-12-04", "ANI", 1_000), row(6, "2026-12-04", "BAYU", 2_000)]


def test_an_amount_without_a_mark_in_the_chosen_mark_column_is_refused():
    data = b"Date,Remarks,Amount,Type\n04/12/2026,ANI,1000,CR\n04/12/2026,BAYU,2000,\n"
    mapping = ColumnMapping(date="Date", description="Remarks", amount="Amount", mark="Type")
    with pytest.raises(StatementRefused) as refused:
        statement_read(data=data, file_name="x.csv", layout="mapping", mapping=mapping, today=TODAY)
    assert str(refused.value) == "Row 3: the amount '2000' has no credit or debit mark (CR or DB)."
