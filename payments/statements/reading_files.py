"""What kind of file a seller uploaded, and its cells: CSV text in any encoding Excel writes, or an XLSX."""

import codecs
import csv
import io
import itertools
import re
import zipfile

import openpyxl
from django.utils.translation import gettext
from openpyxl.cell.read_only import EMPTY_CELL

from .reading_types import (
    COLUMNS_MAX,
    XLSX_MEMBER_RATIO_MAX,
    XLSX_MEMBERS_MAX,
    XLSX_UNPACKED_BYTES_MAX,
    StatementRefused,
    Table,
    statement_bytes_max,
    statement_rows_max,
)

_PICTURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
_OLD_OFFICE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # XLS of old Excel; also any password-protected XLSX
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_MARKUP = re.compile(r"\s*<(?:!doctype|html|\?xml|table|head|body|meta)", re.IGNORECASE)
_MT940 = (re.compile(r"^:20:", re.MULTILINE), re.compile(r"^:(?:25|60[FM]|61):", re.MULTILINE))
# Control characters that no statement text holds: their presence means bytes, not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_DELIMITERS = (",", ";", "\t")


def _refuse_not_statement() -> StatementRefused:
    return StatementRefused(
        gettext(
            "This file is not a bank statement that can be read: it is not CSV, XLSX or MT940. "
            "Download the statement again from your internet banking, as CSV, Excel (XLSX) or MT940."
        )
    )


def _refuse_damaged() -> StatementRefused:
    return StatementRefused(
        gettext("This Excel file is damaged or incomplete. Download the statement again, or save it as CSV.")
    )


def _picture_other(head: bytes) -> bool:
    """A BMP (its reserved bytes are zero, unlike a CSV starting "BM..."), a WebP, or a phone's HEIC."""
    bmp = head.startswith(b"BM") and head[6:10] == bytes(4)
    return bmp or (head.startswith(b"RIFF") and head[8:12] == b"WEBP") or head[4:12] in {b"ftypheic", b"ftypmif1"}


def file_kind(data: bytes, file_name: str) -> str:
    """The kind of file, "csv", "xlsx" or "mt940", from its content: names lie (banks send HTML and CSV named
    .xls). Raises StatementRefused for anything else, an empty file or one too large."""
    if not data.strip().removeprefix(codecs.BOM_UTF8).strip():
        raise StatementRefused(gettext("The file is empty. Download the statement again from your internet banking."))
    if len(data) > statement_bytes_max():
        raise StatementRefused(
            gettext("The file is larger than %(megabytes)s MB. Download a statement for a shorter period.")
            % {"megabytes": statement_bytes_max() // (1024 * 1024)}
        )
    head = data[:1024]
    if head.lstrip().startswith(b"%PDF"):
        raise StatementRefused(
            gettext(
                "This is a PDF. A PDF statement cannot be read: download the statement from your internet banking "
                "as CSV, Excel (XLSX) or MT940."
            )
        )
    if head.startswith(_PICTURES) or _picture_other(head):
        raise StatementRefused(
            gettext(
                "This is a picture, not a statement. Download the statement from your internet banking "
                "as CSV, Excel (XLSX) or MT940."
            )
        )
    if head.startswith(_OLD_OFFICE):
        if file_name.lower().endswith(".xlsx"):
            raise StatementRefused(
                gettext("This Excel file is protected by a password. Open it in Excel and save it without one.")
            )
        raise StatementRefused(
            gettext(
                "This is an XLS file of old Excel, which cannot be read. Open it in Excel and save it as "
                "Excel Workbook (XLSX) or CSV, then upload that."
            )
        )
    if head.startswith(_ZIP):
        return _zip_kind(data)
    text = text_decode(data)
    if _MARKUP.match(text):
        raise StatementRefused(
            gettext(
                "This file is a web page or XML, though its name may end in .xls. Open it in Excel and save it "
                "as Excel Workbook (XLSX) or CSV, then upload that."
            )
        )
    probe = text[:200_000].replace("\r", "\n")  # old Mac line ends are line ends too
    if all(pattern.search(probe) for pattern in _MT940):
        return "mt940"
    return "csv"


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refuse_damaged() from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        raise StatementRefused(
            gettext("This is an OpenDocument spreadsheet. Save it as Excel Workbook (XLSX) or CSV, then upload that.")
        )
    raise StatementRefused(
        gettext("This is a ZIP archive, not a statement. Unpack it and upload the CSV, XLSX or MT940 file inside.")
    )


def text_decode(data: bytes) -> str:
    """The file as text: UTF-8 (with or without Excel's BOM), UTF-16 (Excel's "Unicode Text"), or Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(_CONTROL.findall(text[:65536])) <= 2:
            return text
    raise _refuse_not_statement()


def _delimiter_sniff(text: str) -> str:
    """The separator the table's lines agree on: for each candidate, how many of the first lines share its most
    common count (outside quotes), then that count. Descriptions may hold commas; header and rows agree."""
    lines = [line for line in itertools.islice(io.StringIO(text, newline=None), 200) if line.strip()][:50]

    def score(delimiter: str) -> tuple[int, int]:
        counts: dict[int, int] = {}
        for line in lines:
            count = sum(1 for part in re.sub(r'"[^"]*"', "", line) if part == delimiter)
            if count:
                counts[count] = counts.get(count, 0) + 1
        if not counts:
            return 0, 0
        most = max(counts.values())
        return most, max(count for count, lines_with in counts.items() if lines_with == most)

    return max(_DELIMITERS, key=lambda delimiter: score(delimiter))


def csv_read(data: bytes) -> Table:
    text = text_decode(data)
    delimiter = _delimiter_sniff(text)
    table = Table(delimiter=delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if number > statement_rows_max():
                raise _refuse_rows()
            table.lines.append((number, cells))
    except csv.Error:
        raise StatementRefused(
            gettext("Row %(line)s cannot be read as CSV (a quote is never closed, or a cell is far too long).")
            % {"line": number + 1}
        ) from None
    return table


def _refuse_rows() -> StatementRefused:
    return StatementRefused(
        gettext("The file has more than %(rows)s rows. Download a statement for a shorter period.")
        % {"rows": f"{statement_rows_max():,}"}
    )


def _xlsx_unpacked_check(data: bytes) -> None:
    """Refuse a zip bomb from the zip's directory alone, before any member is unpacked. The sizes written there
    can be trusted as a cap: Python's zipfile stops at the written size and fails the CRC past it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refuse_damaged() from None
    too_large = StatementRefused(
        gettext(
            "This Excel file unpacks to more than %(megabytes)s MB, far more than a statement holds. "
            "Download the statement again, for a shorter period."
        )
        % {"megabytes": XLSX_UNPACKED_BYTES_MAX // (1024 * 1024)}
    )
    if len(members) > XLSX_MEMBERS_MAX or sum(member.file_size for member in members) > XLSX_UNPACKED_BYTES_MAX:
        raise too_large
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > XLSX_MEMBER_RATIO_MAX * max(member.compress_size, 1):
            raise too_large


def _formula_shown(formula: object) -> str:
    """A formula as a message names it: its function without the arguments, which are the sender's text."""
    text = str(getattr(formula, "text", formula))
    if match := re.match(r"=\s*([A-Za-z][A-Za-z0-9._]*)\s*\(", text):
        return f"={match[1].upper()}(...)"
    return text if len(text) <= 20 else text[:19] + "…"


def xlsx_read(data: bytes) -> Table:
    """The first sheet's cells (the active one if it is a sheet of cells). Refuses a formula anywhere: a statement
    straight from the bank has none, and a formula is an edit, or a link waiting to be clicked."""
    _xlsx_unpacked_check(data)
    table = Table()
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds (KeyError, ValueError, XML errors) for a damaged file
        raise _refuse_damaged() from None
    try:
        sheets = workbook.worksheets  # sheets of cells only; the active sheet may be a chart
        if not sheets:
            raise _refuse_damaged()
        sheet = workbook.active if workbook.active in sheets else sheets[0]
        # The size a sheet claims for itself may be wrong; trusting it would drop rows without a word.
        sheet.reset_dimensions()
        for number, row in enumerate(sheet.iter_rows(max_col=COLUMNS_MAX), start=1):
            if number > statement_rows_max():
                raise _refuse_rows()
            present = [cell for cell in row if cell is not EMPTY_CELL]  # each row is padded to COLUMNS_MAX
            for cell in present:
                if cell.data_type == "f":
                    raise StatementRefused(
                        gettext(
                            "Row %(line)s: a cell holds a formula (%(formula)s); export the statement again "
                            "without editing it."
                        )
                        % {"line": number, "formula": _formula_shown(cell.value)}
                    )
            width = present[-1].column if present else 0
            table.lines.append((number, [cell.value for cell in row[:width]]))
    except StatementRefused:
        raise
    except Exception:  # a damaged sheet fails only when it is read
        raise _refuse_damaged() from None
    finally:
        workbook.close()
    return table


def table_read(data: bytes, kind: str) -> Table:
    return xlsx_read(data) if kind == "xlsx" else csv_read(data)
