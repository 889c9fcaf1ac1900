"""Writing a list row by row as XLSX (with its print setup) or as CSV, for people or for machines.

XLSX is written with XlsxWriter's constant_memory mode, one row in memory at a
time. Its text cells are written with write_string, which never makes a
formula, so a note such as =HYPERLINK(...) or a phone number +62... is kept as
typed, without the apostrophe a CSV needs. In a CSV every cell is text that the
spreadsheet reads anew, so there the apostrophe of spreadsheet_safe is what
keeps a typed "=..." from running.
"""

import csv
import datetime
import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import xlsxwriter
from django.db.models import Model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

Cell = str | int | None
# "csv-excel": the same CSV for an Excel set to Indonesian (or any region whose list separator is ";"), which
# opens a comma-separated file in one column. Written without Excel's "sep=;" first line: with it, Excel
# ignores the BOM and reads the accents in the Windows code page, and every other reader gets a stray row.
FILE_FORMATS = ("xlsx", "csv", "csv-excel")
CSV_DELIMITERS = {"csv": ",", "csv-excel": ";"}
# A file's name ends so that a double click opens it in the right program: po-x-packing.excel.csv.
FILE_EXTENSIONS = {"xlsx": "xlsx", "csv": "csv", "csv-excel": "excel.csv"}
# What makes Excel, LibreOffice or Google Sheets read a CSV cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A tick box for the packer, printed in a cell of its own.
TICK_BOX = "\u2610"

# A4 in points; Excel's paper code 9. Margins in inches, as Excel stores them.
A4_POINTS = (595.3, 841.9)
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.75, "bottom": 0.6}
HEADER_FOOTER_MARGIN = 0.3
# Characters (of Excel's width unit) that fit across A4 at 100 %, between the margins, in Arial 10.
PORTRAIT_WIDTH_CHARS = 95
# Arial 10's line in points, and what a row adds around its lines. A row's height is a whole number of
# pixels (0.75 pt); 15 pt, the default, would not be written, and the row would be sized by the reader.
LINE_POINTS = 12.75
ROW_PADDING_POINTS = 1.5
PIXEL_POINTS = 0.75
# Excel reads at most 1,023 manual page breaks; past them the pages break where they fall.
PAGE_BREAKS_MAX = 1023


def spreadsheet_safe(value: Cell) -> Cell:
    """A text that a spreadsheet would run as a formula, with a leading apostrophe; numbers as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def label(model: type[Model], field: str) -> str:
    """A field's verbose name as a column heading, so it shares the model's translation."""
    return str(capfirst(model._meta.get_field(field).verbose_name))


def jakarta(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%d-%m-%Y %H:%M} WIB"


def text_lines(text: str, width: float) -> int:
    """How many lines `text` takes when wrapped at word ends in a column `width` characters wide.

    Counted as if every character were as wide as a digit (Excel's width unit), which most are not:
    an estimate on the safe side, since a row given too little height cuts its text off.
    """
    per_line = max(int(width) - 1, 1)
    if len(text) <= per_line and "\n" not in text:
        return 1  # most cells: a name, a variant, a short note
    lines = 0
    for paragraph in str(text).split("\n"):
        used = 0
        lines += 1
        for word in paragraph.split(" "):
            needed = len(word) if used == 0 else used + 1 + len(word)
            if needed <= per_line:
                used = needed
            elif len(word) <= per_line:
                lines += 1
                used = len(word)
            else:  # a word longer than the line is broken where the line ends
                extra = math.ceil(len(word) / per_line)
                lines += extra - (1 if used == 0 else 0)
                used = len(word) - (extra - 1) * per_line
    return lines


def row_height(lines: int, *, font_points: float = 10) -> float:
    """The height of a row of `lines` lines, in points, as the file will store it."""
    points = lines * LINE_POINTS * font_points / 10 + ROW_PADDING_POINTS
    return math.ceil(round(points / PIXEL_POINTS, 6)) * PIXEL_POINTS


class Style:
    PLAIN = "plain"
    BOLD = "bold"
    TITLE = "title"
    HEADING = "heading"  # a table's column headings
    HEADING_NUMBER = "heading_number"  # over a column of numbers, aligned with them
    TOTAL = "total"
    WRAP = "wrap"  # long text, wrapped inside its column
    CAPTION = "caption"  # "Address", "Order note": says what the cell beside it is
    PARCEL = "parcel"  # the first row of a parcel on the packing list
    PARCEL_WRAP = "parcel_wrap"
    STRONG_WRAP = "strong_wrap"  # a note or a balance the packer must not miss
    BOX = "box"
    PARCEL_BOX = "parcel_box"


_STYLES = {
    Style.PLAIN: {"valign": "top"},
    Style.BOLD: {"bold": True, "valign": "top"},
    Style.TITLE: {"bold": True, "font_size": 14},
    Style.HEADING: {"bold": True, "bg_color": "#D9D9D9", "bottom": 1, "text_wrap": True, "valign": "top"},
    Style.HEADING_NUMBER: {
        "bold": True,
        "bg_color": "#D9D9D9",
        "bottom": 1,
        "text_wrap": True,
        "valign": "top",
        "align": "right",
    },
    Style.TOTAL: {"bold": True, "top": 1, "valign": "top"},
    Style.WRAP: {"text_wrap": True, "valign": "top"},
    Style.CAPTION: {"italic": True, "font_color": "#404040", "valign": "top"},
    Style.PARCEL: {"bold": True, "font_size": 11, "bg_color": "#EDEDED", "top": 2, "valign": "top"},
    Style.PARCEL_WRAP: {
        "bold": True,
        "font_size": 11,
        "bg_color": "#EDEDED",
        "top": 2,
        "valign": "top",
        "text_wrap": True,
    },
    Style.STRONG_WRAP: {"bold": True, "text_wrap": True, "valign": "top"},
    Style.BOX: {"align": "center", "valign": "top", "font_size": 11},
    Style.PARCEL_BOX: {"align": "center", "bold": True, "font_size": 11, "bg_color": "#EDEDED", "top": 2},
}


@dataclass(frozen=True)
class PageSetup:
    """How a sheet prints: what the page header says, and whether it turns landscape."""

    title: str  # the PO's name, on the left of every page's header
    list_name: str  # "Packing list", in the middle
    printed_at: datetime.datetime  # on the right
    landscape: bool
    repeat_row: int = 0  # the row of headings printed atop every page

    @property
    def body_points(self) -> float:
        """The page's height left for rows, between the top and bottom margins."""
        height = A4_POINTS[0] if self.landscape else A4_POINTS[1]
        return height - (MARGINS["top"] + MARGINS["bottom"]) * 72


def _header_text(text: str) -> str:
    # "&" starts a code in a page header; a title of 255 characters or more is refused by Excel.
    return text.replace("&", "&&")[:80]


class XlsxSheet:
    """One worksheet written top to bottom; text always as text, integers as "#,##0" numbers."""

    def __init__(self, out, *, name: str, widths: Sequence[float], freeze: tuple[int, int], page: PageSetup):
        self.workbook = xlsxwriter.Workbook(
            out,
            {
                "constant_memory": True,
                "in_memory": False,
                # Arial prints the same in Excel and in LibreOffice (as Liberation Sans): the row heights and
                # page breaks worked out here hold in both.
                "default_format_properties": {"font_name": "Arial", "font_size": 10},
            },
        )
        self.worksheet = self.workbook.add_worksheet(name[:31])
        # Column widths and panes belong to the sheet; set them before the first row.
        for column, width in enumerate(widths):
            self.worksheet.set_column(column, column, width)
        self.worksheet.freeze_panes(*freeze)
        self._print_setup(page)
        self.formats: dict[tuple[str, type], object] = {}
        self.next_row = 0
        self.page_breaks: list[int] = []

    def _print_setup(self, page: PageSetup) -> None:
        sheet = self.worksheet
        sheet.set_paper(9)  # A4
        if page.landscape:
            sheet.set_landscape()
        else:
            sheet.set_portrait()
        sheet.set_margins(**MARGINS)
        # One page wide, as many pages tall as the rows need.
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(page.repeat_row)
        sheet.hide_gridlines(0)  # 0: gridlines shown and printed
        sheet.set_header(
            f'&L&"-,Bold"{_header_text(page.title)}&C{_header_text(page.list_name)}&R{jakarta(page.printed_at)}',
            {"margin": HEADER_FOOTER_MARGIN},
        )
        page_of = _("Page %(page)s of %(pages)s") % {"page": "&P", "pages": "&N"}
        sheet.set_footer(f"&C{page_of}", {"margin": HEADER_FOOTER_MARGIN})

    def _format(self, style: str, kind: type):
        key = (style, kind)
        if key not in self.formats:
            properties = dict(_STYLES[style])
            if kind is int:
                properties["num_format"] = "#,##0"
                properties.pop("text_wrap", None)
            self.formats[key] = self.workbook.add_format(properties)
        return self.formats[key]

    def row(
        self, cells: Sequence[Cell], style: str | Sequence[str] = Style.PLAIN, *, height: float | None = None
    ) -> None:
        """One row; `style` for every cell, or one per cell. Without a height, the spreadsheet fits the row."""
        index = self.next_row
        styles = [style] * len(cells) if isinstance(style, str) else list(style)
        if height is not None:
            self.worksheet.set_row(index, height)
            if not any(value not in (None, "") for value in cells):
                # In constant_memory mode a row without a cell is not written, nor its height.
                self.worksheet.write_blank(index, 0, None, self._format(Style.PLAIN, str))
        for column, (value, cell_style) in enumerate(zip(cells, styles, strict=True)):
            if value is None or value == "":
                if cell_style in (Style.PARCEL, Style.PARCEL_WRAP, Style.HEADING, Style.HEADING_NUMBER, Style.TOTAL):
                    self.worksheet.write_blank(index, column, None, self._format(cell_style, str))
                continue
            if isinstance(value, int):
                self.worksheet.write_number(index, column, value, self._format(cell_style, int))
            else:
                # write_string, never write(): "=..." stays text, and needs no apostrophe to.
                self.worksheet.write_string(index, column, value, self._format(cell_style, str))
        self.next_row += 1

    def page_break(self) -> None:
        """Start a new page at the next row."""
        if len(self.page_breaks) < PAGE_BREAKS_MAX:
            self.page_breaks.append(self.next_row)

    def close(self) -> None:
        if self.page_breaks:
            self.worksheet.set_h_pagebreaks(self.page_breaks)
        self.workbook.close()


class CsvSheet:
    """The same rows as CSV, UTF-8 with a BOM so that Excel on Windows reads the accents right."""

    def __init__(self, out, *, delimiter: str = ","):
        self.text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.text, delimiter=delimiter)

    def row(self, cells: Sequence[Cell], style: str | Sequence[str] = Style.PLAIN, *, height: float | None = None):
        self.writer.writerow(["" if value is None else spreadsheet_safe(value) for value in cells])

    def page_break(self) -> None:
        """A CSV has no pages."""

    def close(self) -> None:
        self.text.flush()
        # Leave the caller's file open: closing it is the caller's business.
        self.text.detach()


def file_format_check(file_format: str) -> None:
    if file_format not in FILE_FORMATS:
        raise ValueError(f"Unknown file format {file_format!r}; use one of {', '.join(FILE_FORMATS)}.")


@contextmanager
def sheet_open(
    out, file_format: str, *, name: str, widths: Sequence[float], freeze: tuple[int, int], page: PageSetup
) -> Iterator[XlsxSheet | CsvSheet]:
    file_format_check(file_format)
    if file_format == "xlsx":
        sheet = XlsxSheet(out, name=name, widths=widths, freeze=freeze, page=page)
    else:
        sheet = CsvSheet(out, delimiter=CSV_DELIMITERS[file_format])
    try:
        yield sheet
    finally:
        sheet.close()


def landscape_needed(widths: Sequence[float]) -> bool:
    """Whether the columns are too wide for A4 standing up."""
    return sum(widths) > PORTRAIT_WIDTH_CHARS
