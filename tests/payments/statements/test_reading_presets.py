"""Each bank's own export, read with its preset: exactly which rows come out, debits marked, pending rows,
footers, repeated headers and empty movements left out."""

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from payments.statements.reading import PRESETS, StatementRefused, StatementRow, statement_read
from payments.statements.reading_columns import PRESET_VARIANTS

FILES = Path(__file__).parent / "files"
TODAY = datetime.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def read(name: str, layout: str, *, today: datetime.date = TODAY) -> list[StatementRow]:
    return statement_read(data=(FILES / name).read_bytes(), file_name=name, layout=layout, today=today)


def row(line, day, description, amount, credit=True):
    return StatementRow(line, datetime.date.fromisoformat(day), description, amount, credit)


def test_every_table_preset_has_layouts_and_a_label():
    assert set(PRESETS) == {"bca", "mandiri", "bri", "bni", "mt940"}
    assert set(PRESETS) - {"mt940"} == set(PRESET_VARIANTS)
    assert str(PRESETS["bca"]) == "BCA (KlikBCA, CSV)"


def test_klikbca_individu_in_english_takes_the_year_of_the_latest_such_date_and_skips_pending_and_footer():
    # The unquoted description of line 8 holds a comma; the mark is in the unlabelled fifth column.
    assert read("bca_individu_en.csv", "bca") == [
        row(6, "2026-09-07", "KARTU DEBIT IDM T72M-BABAKAN R", 511_400, credit=False),
        row(7, "2026-09-18", "TRSF E-BANKING CR ODANG RODIANA K", 800_000),
        row(
            8,
            "2026-10-02",
            "TRSF E-BANKING CR 0210/FTSCY/WS95031 108400.00Transfer pembayaran, invoice 12 ACME CORPORATION",
            108_400,
        ),
    ]


def test_a_date_without_a_year_is_never_after_today_even_across_new_year():
    data = (
        b"Date,Description,Branch,Amount,,Balance\n"
        b"'30/12,TRSF E-BANKING CR ANI,'0000,100000.00,CR,100000.00\n"
        b"'02/01,TRSF E-BANKING CR BAYU,'0000,50000.00,CR,150000.00\n"
    )
    rows = statement_read(data=data, file_name="mutasi.csv", layout="bca", today=datetime.date(2027, 1, 5))
    assert [each.booked_on for each in rows] == [datetime.date(2026, 12, 30), datetime.date(2027, 1, 2)]


def test_klikbca_individu_in_indonesian_with_bom_crlf_and_an_amount_re_saved_by_excel():
    assert read("bca_individu_id.csv", "bca") == [
        row(6, "2026-06-27", "TRSF E-BANKING CR 2606/FTSCY/WS95031 100000.00BUDI SANTOSO", 100_000),
        row(7, "2026-06-28", "BIAYA ADM", 15_000, credit=False),
        row(8, "2026-07-01", "SWITCHING CR TRANSFER DR 014 SITI RAHMAWATI", 250_117),
    ]


def test_klikbca_bisnis_reads_the_mark_after_the_amount_and_takes_the_year_from_the_period_line():
    # Today is in 2026, but "03/11" belongs to the file's period, November 2025.
    assert read("bca_bisnis.csv", "bca") == [
        row(8, "2025-11-03", "TRSF E-BANKING DB 0311/FTSCY/WS95031 SUPPLIER KAIN", 7_083_000, credit=False),
        row(
            9,
            "2025-11-13",
            "KR OTOMATIS NTRF@0000000001X0Z 035@BCA26051800001 @IFP acme.co.id @AFR PaymentGateway",
            3_528_964,
        ),
    ]


def test_a_bca_amount_without_its_cr_or_db_mark_is_refused():
    data = b'"Tanggal Transaksi","Keterangan","Cabang","Jumlah","Saldo"\n"01/12/2026","TRSF","0000","50,000.00","1"\n'
    with pytest.raises(StatementRefused) as refused:
        statement_read(data=data, file_name="mutasi.csv", layout="bca", today=TODAY)
    assert str(refused.value) == "Row 2: the amount '50,000.00' has no credit or debit mark (CR or DB)."


def test_mandiri_mcm_joins_both_description_columns():
    assert read("mandiri_mcm.csv", "mandiri") == [
        row(2, "2026-11-01", "DR 0000029511812 KR 0060003911777 71831136319/SUSHIMAS HARAPAN/BKS", 453_684),
        row(
            3,
            "2026-11-20",
            "TRF KE REKENING LAIN ABC123456789 XYZ CORPORATION 987654321 D075070944 2001 TRANSFER OUTGOING",
            2_500_000,
            credit=False,
        ),
        row(4, "2026-11-25", "SA OB CA No Book DARI INDAH FEBRIANTY DONASI PT KITA BISA", 350_000),
    ]


def test_mandiri_kopra_in_windows_1252_with_month_names_in_both_languages():
    assert read("mandiri_kopra.csv", "mandiri") == [
        row(2, "2026-08-07", "PT SARANA CEPAT LOGISTIN Trf Inw CN BANK CENTRAL ASIA", 1_000_000),
        row(3, "2026-08-03", "GAJI CS M2B (LINA) MCM InhouseTrf KE EKA MAYANG SARI HARAHAP", 750_000, credit=False),
        # "é" and Excel's non-breaking space, written in Windows-1252.
        row(4, "2026-09-16", "Café Renée Bandung Trf Inw, BI-FAST", 1_250_117),
        row(5, "2026-09-30", "Biaya Adm 16161 Biaya Adm 16161", 13_000, credit=False),
    ]


def livin_statement() -> bytes:
    """A Livin' by Mandiri e-Statement as the app gives it: merged cells, a header in two languages over two
    rows, each transaction over two rows (date, then time), Indonesian amounts, and the bank's notice last."""
    cells = {
        "A1": "e-Statement",
        "A2": "Nama/Name : BRIAN I. H.",
        "N2": "Periode/Period : 01 Sep 2026 - 22 Sep 2026",
        "A3": "Tabungan NOW IDR",
        "N3": "Saldo Awal/Initial Balance : 2.540.398,46",
        "A5": "Nomor Rekening/Account Number : 1560017211907",
        # The header in Indonesian, then again in English.
        **{"B7": "No", "E7": "Tanggal", "H7": "Keterangan", "P7": "Dana Masuk (IDR)", "S7": "Dana Keluar (IDR)"},
        **{"B8": "No", "E8": "Date", "H8": "Remarks", "P8": "Incoming Transactions (IDR)"},
        **{"S8": "Outgoing Transactions (IDR)", "V7": "Saldo (IDR)", "V8": "Balance (IDR)"},
        "A9": 1,
        "E9": "01 Sep 2026",
        "H9": "Transaksi e-Commerce\nVAP-SHOPEE",
        "S9": "41.920,00",
        "V9": "2.498.478,46",
        "E10": "09:39:37 WIB",
        "A11": 8,
        "E11": "08 Sep 2026",
        "H11": "Transfer dari BANK MANDIRI\nTRI UTOMO 1560009925985",
        "P11": "700.000,00",
        "V11": "3.198.478,46",
        "E12": "11:15:17 WIB",
        # An Excel date cell and a number cell, as a seller's Excel leaves them after opening the file.
        "A13": 9,
        "E13": datetime.datetime(2026, 9, 10),
        "H13": "BI-FAST DARI SITI RAHMAWATI",
        "P13": 250_117,
        "V13": 3_448_595.46,
        "E14": "10:00:00 WIB",
        "H15": "PT Bank Mandiri (Persero) Tbk. berizin dan diawasi oleh Otoritas Jasa Keuangan (OJK)",
        "P15": "Mandiri Call 14000",
    }
    workbook = openpyxl.Workbook()
    for coordinate, value in cells.items():
        workbook.active[coordinate] = value
    workbook.active.merge_cells("H9:O9")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_mandiri_livin_e_statement_xlsx_skips_the_second_header_the_time_rows_and_the_notice():
    rows = statement_read(data=livin_statement(), file_name="e-Statement.xlsx", layout="mandiri", today=TODAY)
    assert rows == [
        row(9, "2026-09-01", "Transaksi e-Commerce VAP-SHOPEE", 41_920, credit=False),
        row(11, "2026-09-08", "Transfer dari BANK MANDIRI TRI UTOMO 1560009925985", 700_000),
        row(13, "2026-09-10", "BI-FAST DARI SITI RAHMAWATI", 250_117),
    ]


def test_bri_skips_lines_where_nothing_moved():
    assert read("bri.csv", "bri") == [
        row(2, "2026-06-27", "NBMB MARIO KARO TO PANCA SENTANA ESB:NBMB:0001500F:151727003767", 20_000_000),
        row(3, "2026-06-27", "BRIVA 12345 SHOPEEPAY", 150_000, credit=False),
        row(5, "2026-06-29", "TRF DR SITI RAHMAWATI ORDER 1042", 250_117),
    ]


def test_bri_re_saved_by_an_indonesian_excel_with_semicolons_and_indonesian_amounts():
    assert read("bri_resaved_by_excel.csv", "bri") == [
        row(2, "2026-06-27", "NBMB MARIO KARO TO PANCA SENTANA", 20_000_000),
        row(3, "2026-06-27", "BRIVA 12345 SHOPEEPAY", 150_000, credit=False),
    ]


def test_bri_empty_export_gives_no_rows():
    data = (
        b'"ID","NOREK","TGL_TRAN","TGL_EFEKTIF","JAM_TRAN","SEQ","DESK_TRAN","SALDO_AWAL_MUTASI","MUTASI_DEBET",'
        b'"MUTASI_KREDIT","SALDO_AKHIR_MUTASI","GLSIGN"\n'
        b'"1","384801026030509","2026-12-04 00:00:00","2026-12-04 00:00:00","0","0","Transaksi tidak ditemukan",'
        b'"0.00","0.00","0.00","0.00","Cr"\n'
    )
    assert statement_read(data=data, file_name="mutasi.csv", layout="bri", today=TODAY) == []


def test_bni_with_times_written_with_dots_and_a_trailing_empty_column():
    assert read("bni.csv", "bni") == [
        row(2, "2026-12-02", "TRANSFER DARI | PEMINDAHAN DARI 719147165 Sdr JOHN DOE", 200_000),
        row(3, "2026-12-02", "BIAYA ADMIN | BIAYA SMS BANKING", 2_000, credit=False),
        row(4, "2026-12-03", "TRANSFER DARI | PEMINDAHAN DARI 0123456789 Ibu SITI", 250_117),
    ]


def test_bni_internet_banking_view_saved_tab_separated_with_a_type_column():
    assert read("bni_internet_banking.csv", "bni") == [
        row(2, "2026-12-01", "TRANSFER DARI Sdr BUDI SANTOSO", 1_000_000),
        row(3, "2026-12-02", "TARIK TUNAI ATM", 500_000, credit=False),
        row(4, "2026-12-03", "TRANSFER DARI Ibu SITI RAHMAWATI", 250_117),
    ]


@pytest.mark.parametrize(
    ("name", "layout", "bank", "columns"),
    [
        ("bni.csv", "bca", "BCA", "Tanggal/Date, Keterangan/Description, Jumlah/Amount"),
        ("bca_bisnis.csv", "bri", "BRI", "TGL_TRAN, DESK_TRAN, MUTASI_DEBET, MUTASI_KREDIT"),
        ("mandiri_mcm.csv", "bni", "BNI", "Post Date, Description, Debit, Credit"),
        ("bni.csv", "mandiri", "Mandiri", "Date, Description, Debit, Credit (MCM); or PostDate"),
    ],
)
def test_a_file_of_another_bank_is_refused_naming_the_columns_looked_for(name, layout, bank, columns):
    with pytest.raises(StatementRefused) as refused:
        read(name, layout)
    message = str(refused.value)
    assert message.startswith(f"This file does not look like a {bank} statement: no line with the columns {columns}")
    assert message.endswith("Choose another bank, or map the columns.")
