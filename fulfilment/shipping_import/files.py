"""A shipping file as it arrives, before any of it is believed.

It is refused with a plain reason, before it is read, when it is bigger than a shipping file needs,
when it unpacks to more than that (an XLSX is a zip: 256 KB of it may inflate to gigabytes, so the
sizes its members declare are added up first), when it has more rows than the cap, when it is not a
spreadsheet or not UTF-8 text, or when the order, courier and resi columns are missing. What passes is
read, one row at a time, into just those three columns (an XLSX by xlsx.py, without openpyxl).

Between the preview and the seller's confirmation the upload waits in the private storage every app
server shares, under a random name; the confirmation claims it by deleting it, so a second one finds
it gone.
"""

import csv
import datetime
import io
import logging
import re
import secrets
import zipfile

import tablib
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.formats.base_formats import CSV, XLSX
from import_export.tmp_storages import BaseStorage

from payments.models import private_proof_storage

from ..exceptions import ShippingError
from .xlsx import SharedString, resolve, shared_strings, sheet_parts, sheet_rows

logger = logging.getLogger(__name__)

COLUMNS = ("order", "courier", "resi")
COLUMN_NAMES = {"order": gettext_lazy("order number"), "courier": gettext_lazy("courier"), "resi": gettext_lazy("resi")}
# Headers a seller may use, to the resource's column names.
HEADER_ALIASES = {
    "order": "order",
    "order number": "order",
    "nomor pesanan": "order",
    "no pesanan": "order",
    "no. pesanan": "order",
    "pesanan": "order",
    "courier": "courier",
    "kurir": "courier",
    "ekspedisi": "courier",
    "resi": "resi",
    "no resi": "resi",
    "no. resi": "resi",
    "nomor resi": "resi",
    "tracking number": "resi",
}
ZIP_SIGNATURE = b"PK\x03\x04"
PENDING_FOLDER = "shipments/pending"
PENDING_NAME = re.compile(r"[0-9a-f]{32}")
# A preview never confirmed leaves its file behind this long, no longer.
PENDING_KEPT = datetime.timedelta(days=1)


class ShipmentFileRefused(ShippingError):
    """A shipping file that is not read; the text says why, for the seller."""


class ShipmentFileGone(ShippingError):
    """The file waiting between the preview and the confirmation is not there (imported already, or never was)."""


def _max_bytes() -> int:
    return settings.SHIPPING_IMPORT_MAX_BYTES


def _max_rows() -> int:
    return settings.SHIPPING_IMPORT_MAX_ROWS


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a resi typed as a number in a spreadsheet
    return str(value).strip()


def header_name(value) -> str:
    text = " ".join(cell_text(value).lower().split())
    return HEADER_ALIASES.get(text, text)


def shipment_columns(headers) -> dict[str, int]:
    """Where each of the order, courier and resi columns is in the header row."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = header_name(header)
        if name not in COLUMNS:
            continue
        if name in found:
            raise ShipmentFileRefused(
                _("Two columns are the %(column)s: %(first)s and %(second)s. Keep one of them.")
                % {
                    "column": COLUMN_NAMES[name],
                    "first": cell_text(headers[found[name]]),
                    "second": cell_text(header),
                }
            )
        found[name] = index
    missing = [column for column in COLUMNS if column not in found]
    if missing:
        raise ShipmentFileRefused(
            _(
                "The file needs the columns order number, courier and resi in its first row; missing: %(missing)s. "
                "Headers such as “Nomor pesanan”, “Kurir” and “No resi” work too."
            )
            % {"missing": ", ".join(str(COLUMN_NAMES[column]) for column in missing)}
        )
    return found


def _size_check(data: bytes) -> None:
    if len(data) > _max_bytes():
        raise ShipmentFileRefused(
            _("The file is %(size)s; a shipping file may be at most %(limit)s.")
            % {"size": filesizeformat(len(data)), "limit": filesizeformat(_max_bytes())}
        )


def _too_many_rows() -> ShipmentFileRefused:
    return ShipmentFileRefused(
        _("The file has more than %(limit)d rows. Split it into files of at most %(limit)d rows each.")
        % {"limit": _max_rows()}
    )


def _dataset(header, rows) -> tablib.Dataset:
    """The three columns of every row that is not blank, counted against the cap as they are read."""
    if header is None:
        raise ShipmentFileRefused(_("The file is empty."))
    columns = shipment_columns(list(header))
    dataset = tablib.Dataset(headers=list(COLUMNS))
    for row in rows:
        values = tuple(row[columns[column]] if columns[column] < len(row) else None for column in COLUMNS)
        if not any(cell_text(value) for value in values):
            continue
        if dataset.height >= _max_rows():
            raise _too_many_rows()
        dataset.append(values)
    if not dataset.height:
        raise ShipmentFileRefused(_("The file has no rows under its headers."))
    return dataset


def _xlsx_open(data: bytes) -> zipfile.ZipFile:
    """The upload as a zip, refused when it is none or when its members' declared sizes add up past the
    cap (zipfile never hands out more of a member than it declares)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        inflated = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise ShipmentFileRefused(
            _(
                "This is not an XLSX spreadsheet. Save the file from your spreadsheet as XLSX or CSV, "
                "and upload it again."
            )
        ) from error
    limit = settings.SHIPPING_IMPORT_MAX_INFLATED_BYTES
    if inflated > limit:
        archive.close()
        raise ShipmentFileRefused(
            _(
                "The spreadsheet unpacks to %(size)s; a shipping file may unpack to at most %(limit)s. "
                "Keep only the order number, courier and resi columns, or split the file."
            )
            % {"size": filesizeformat(inflated), "limit": filesizeformat(limit)}
        )
    return archive


def _is_filled(value) -> bool:
    return isinstance(value, SharedString) or bool(cell_text(value))


def _xlsx_dataset(archive: zipfile.ZipFile) -> tablib.Dataset:
    """The header row (the first with anything in it), then the three columns of every row after it."""
    sheet, strings_part = sheet_parts(archive)
    header, header_position = None, 0
    for position, row in enumerate(sheet_rows(archive, sheet), start=1):
        if any(_is_filled(value) for value in row.values()):
            header, header_position = row, position
            break
    if header is None:
        raise ShipmentFileRefused(_("The file is empty."))
    strings = shared_strings(
        archive, strings_part, {value for value in header.values() if isinstance(value, SharedString)}
    )
    found = shipment_columns([resolve(header.get(column), strings) for column in range(1, max(header) + 1)])
    columns = [found[name] + 1 for name in COLUMNS]
    rows = []
    for position, row in enumerate(sheet_rows(archive, sheet, columns=set(columns)), start=1):
        if position <= header_position or not any(_is_filled(value) for value in row.values()):
            continue
        if len(rows) >= _max_rows():
            raise _too_many_rows()
        rows.append(tuple(row.get(column) for column in columns))
    strings = shared_strings(
        archive, strings_part, {value for row in rows for value in row if isinstance(value, SharedString)}
    )
    return _dataset(COLUMNS, (tuple(resolve(value, strings) for value in row) for row in rows))


def xlsx_read(data: bytes) -> tablib.Dataset:
    _size_check(data)
    with _xlsx_open(data) as archive:
        try:
            return _xlsx_dataset(archive)
        except ShipmentFileRefused:
            raise
        except Exception as error:  # a damaged zip or XML fails in many ways; each means the same to the seller
            logger.info("A shipping XLSX could not be read: %r", error)
            raise ShipmentFileRefused(
                _("The spreadsheet could not be read; it may be damaged. Save it again as XLSX or CSV, and upload it.")
            ) from error


def csv_read(data: bytes) -> tablib.Dataset:
    _size_check(data)
    if data.startswith(ZIP_SIGNATURE):
        raise ShipmentFileRefused(_("This file is an XLSX spreadsheet, not CSV: choose the format xlsx."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ShipmentFileRefused(
            _("The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” or as XLSX, and upload that.")
        ) from error
    if "\x00" in text:
        raise ShipmentFileRefused(_("This is not a CSV file. Save it from your spreadsheet as CSV or XLSX."))
    first_line = text.split("\n", 1)[0]
    # A spreadsheet set to Indonesian saves CSV with semicolons.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return _dataset(next(rows, None), rows)
    except csv.Error as error:
        logger.info("A shipping CSV could not be read: %r", error)
        raise ShipmentFileRefused(
            _("The CSV file could not be read. Save it again from your spreadsheet as “CSV UTF-8” or as XLSX.")
        ) from error


class ShipmentCSV(CSV):
    """CSV read by csv_read: bytes in (decoded and checked there), three columns out."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        return csv_read(in_stream)


class ShipmentXLSX(XLSX):
    """XLSX read by xlsx_read: checked, then streamed (xlsx.py), three columns out."""

    def create_dataset(self, in_stream):
        return xlsx_read(in_stream)


def shipment_file_problem(error: BaseException) -> str:
    """What to tell the seller about a file that could not be read."""
    if isinstance(error, ShippingError):
        return str(error)
    logger.warning("A shipping file could not be read: %r", error)
    return _("The file could not be read. Upload a CSV or XLSX file with the columns order number, courier and resi.")


class PendingShipmentFile(BaseStorage):
    """import-export's temporary storage for the Order import: the uploaded bytes, kept between the preview
    and the confirmation in the private storage, never under a name the request chose."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.read_mode = "rb"

    def _path(self) -> str:
        if not PENDING_NAME.fullmatch(self.name or ""):
            raise ShipmentFileGone
        return f"{PENDING_FOLDER}/{self.name}.upload"

    def save(self, data):
        storage = private_proof_storage()
        self._sweep(storage)
        self.name = secrets.token_hex(16)
        storage.save(self._path(), ContentFile(data))

    def read(self):
        storage = private_proof_storage()
        try:
            with storage.open(self._path(), "rb") as stored:
                return stored.read()
        except FileNotFoundError as error:
            raise ShipmentFileGone from error

    def remove(self):
        private_proof_storage().delete(self._path())

    def restore(self, data: bytes) -> None:
        """Put a claimed file back under its name: its import did not happen."""
        private_proof_storage().save(self._path(), ContentFile(data))

    @staticmethod
    def _sweep(storage) -> None:
        """Files of previews nobody confirmed go after a day (they may hold buyers' names)."""
        try:
            _folders, names = storage.listdir(PENDING_FOLDER)
        except FileNotFoundError:
            return
        stale = timezone.now() - PENDING_KEPT
        for name in names:
            path = f"{PENDING_FOLDER}/{name}"
            try:
                if storage.get_modified_time(path) < stale:
                    storage.delete(path)
            except FileNotFoundError:
                continue
