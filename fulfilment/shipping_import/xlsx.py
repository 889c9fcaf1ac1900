"""The active sheet of an XLSX file, read as a stream of rows with expat: no spreadsheet library.

openpyxl builds an object for every style, shared string, merged range and rule of a file as it opens
it: an XLSX of 50 KB whose styles unpack to 19 MB grows a worker by some 770 MB and keeps it busy for
a minute, though it unpacks to less than any sensible size cap. A shipping file needs three columns of
one sheet, so only those are read: the parser keeps no tree, a row keeps only the columns asked for,
and of the shared strings only those the kept cells point to. Memory follows the rows kept; time
follows what the file unpacks to, which the caller has capped.
"""

import functools
import posixpath
import zipfile
from collections.abc import Iterator
from xml.parsers import expat

CHUNK_BYTES = 64 * 1024
# A cell longer than this is cut: an order number, a courier or a resi is a few dozen characters.
CELL_CHARS = 1_000
# Columns read of the header row (a marketplace's export has some fifty).
HEADER_COLUMNS = 1_000
OFFICE_DOCUMENT = "/officeDocument"
SHARED_STRINGS = "/sharedStrings"


class XlsxUnreadable(Exception):
    """The file is not an XLSX workbook this reader understands."""


class SharedString(int):
    """A cell's value that is the index of a shared string, resolved by shared_strings()."""


@functools.lru_cache(maxsize=128)
def _local(name: str) -> str:
    """An element's or attribute's name without its namespace (expat gives "namespace name")."""
    return name.rsplit(" ", 1)[-1]


def _feed(archive: zipfile.ZipFile, path: str, handler) -> Iterator[None]:
    """Parse one member with `handler`'s start, end and text, yielding after each chunk (the caller may stop)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = getattr(handler, "text", None)
    try:
        with archive.open(path) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                parser.Parse(chunk, False)
                yield
        parser.Parse(b"", True)
    except KeyError as error:
        raise XlsxUnreadable(f"no part {path}") from error
    except expat.ExpatError as error:
        raise XlsxUnreadable(f"{path}: {error}") from error
    yield


def _read_all(archive, path, handler) -> None:
    for _chunk in _feed(archive, path, handler):
        if getattr(handler, "done", False):
            return


class _Relationships:
    def __init__(self, folder: str):
        self.folder = folder
        self.by_id: dict[str, str] = {}
        self.by_type: dict[str, str] = {}

    def start(self, name, attributes):
        if _local(name) != "Relationship" or attributes.get("TargetMode") == "External":
            return
        target = attributes.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(self.folder, target))
        if len(self.by_id) < 1_000:
            self.by_id.setdefault(attributes.get("Id", ""), path)
        for kind in (OFFICE_DOCUMENT, SHARED_STRINGS):
            if attributes.get("Type", "").endswith(kind):
                self.by_type.setdefault(kind, path)

    def end(self, name):
        pass


def _relationships(archive, part: str) -> _Relationships:
    folder, name = posixpath.split(part)
    found = _Relationships(folder)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels in archive.namelist():
        _read_all(archive, rels, found)
    return found


class _Workbook:
    """The active sheet's relationship id: the workbook view's activeTab-th sheet, as a spreadsheet opens."""

    def __init__(self):
        self.active = 0
        self.sheet_ids: list[str] = []
        self.viewed = False
        self.done = False

    def start(self, name, attributes):
        local = _local(name)
        if local == "workbookView" and not self.viewed:
            self.viewed = True
            try:
                self.active = max(int(attributes.get("activeTab", "0")), 0)
            except ValueError:
                self.active = 0
        elif local == "sheet":
            self.sheet_ids.append(next((value for key, value in attributes.items() if key.endswith(" id")), ""))
            self.done = len(self.sheet_ids) > self.active

    def end(self, name):
        pass


def sheet_parts(archive: zipfile.ZipFile) -> tuple[str, str | None]:
    """The active sheet's part and the shared strings' part (None when the file has none)."""
    workbook_part = _relationships(archive, "").by_type.get(OFFICE_DOCUMENT, "xl/workbook.xml")
    workbook = _Workbook()
    _read_all(archive, workbook_part, workbook)
    if not workbook.sheet_ids:
        raise XlsxUnreadable("no sheet")
    sheet_id = workbook.sheet_ids[min(workbook.active, len(workbook.sheet_ids) - 1)]
    relationships = _relationships(archive, workbook_part)
    if sheet_id not in relationships.by_id:
        raise XlsxUnreadable("the sheet has no part")
    return relationships.by_id[sheet_id], relationships.by_type.get(SHARED_STRINGS)


def _column(reference: str) -> int:
    """1 for "A7", 28 for "AB3"; 0 when the reference names no column we could hold."""
    column = 0
    for position, character in enumerate(reference):
        if not character.isalpha():
            break
        if position == 3:  # XFD, the last column a spreadsheet has, is three letters
            return 0
        column = column * 26 + ord(character.upper()) - ord("A") + 1
    return column


def _value(kind: str, text: str):
    if kind == "s":
        try:
            return SharedString(int(text))
        except ValueError:
            return ""
    if kind == "n":
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    return text


class _Rows:
    """Each row as {column: value}, keeping the columns in `columns` (or the first HEADER_COLUMNS)."""

    def __init__(self, columns: set[int] | None):
        self.columns = columns
        self.rows: list[dict[int, object]] = []
        self._row: dict[int, object] | None = None
        self._column = 0
        self._cell: tuple[int, str] | None = None
        self._text: list[str] = []
        self._length = 0
        self._in_text = False
        self._phonetic = 0

    def _kept(self, column: int) -> bool:
        return 0 < column <= HEADER_COLUMNS if self.columns is None else column in self.columns

    def start(self, name, attributes):
        local = _local(name)
        if local == "row":
            self._row, self._column = {}, 0
        elif local == "c" and self._row is not None:
            reference = attributes.get("r")
            self._column = _column(reference) if reference else self._column + 1
            self._cell = (self._column, attributes.get("t", "n"))
            self._text, self._length = [], 0
        elif local in ("v", "t") and self._cell is not None and not self._phonetic:
            self._in_text = True
        elif local == "rPh":  # a reading aid under East Asian text, not the cell's text
            self._phonetic += 1

    def end(self, name):
        local = _local(name)
        if local in ("v", "t"):
            self._in_text = False
        elif local == "rPh":
            self._phonetic -= 1
        elif local == "c" and self._cell is not None:
            column, kind = self._cell
            if self._text and self._kept(column):
                self._row[column] = _value(kind, "".join(self._text))
            self._cell = None
        elif local == "row" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def text(self, data):
        if self._in_text and self._length < CELL_CHARS:
            self._text.append(data[: CELL_CHARS - self._length])
            self._length += len(data)


def sheet_rows(archive: zipfile.ZipFile, path: str, *, columns: set[int] | None = None) -> Iterator[dict[int, object]]:
    """The sheet's rows in order (a row the file skips is not made up), each {column: value} of the kept columns."""
    reader = _Rows(columns)
    for _chunk in _feed(archive, path, reader):
        rows, reader.rows = reader.rows, []
        yield from rows


class _Strings:
    def __init__(self, wanted: set[int]):
        self.wanted = wanted
        self.last = max(wanted, default=-1)
        self.found: dict[int, str] = {}
        self.index = -1
        self.done = self.last < 0
        self._text: list[str] | None = None
        self._length = 0
        self._in_text = False
        self._phonetic = 0

    def start(self, name, attributes):
        local = _local(name)
        if local == "si":
            self.index += 1
            self._text = [] if self.index in self.wanted else None
            self._length = 0
        elif local == "t" and self._text is not None and not self._phonetic:
            self._in_text = True
        elif local == "rPh":
            self._phonetic += 1

    def end(self, name):
        local = _local(name)
        if local == "t":
            self._in_text = False
        elif local == "rPh":
            self._phonetic -= 1
        elif local == "si":
            if self._text is not None:
                self.found[self.index] = "".join(self._text)
            self._text = None
            self.done = self.index >= self.last

    def text(self, data):
        if self._in_text and self._length < CELL_CHARS:
            self._text.append(data[: CELL_CHARS - self._length])
            self._length += len(data)


def shared_strings(archive: zipfile.ZipFile, path: str | None, wanted: set[int]) -> dict[int, str]:
    """The shared strings at `wanted` indices, read up to the last of them."""
    if not wanted or path is None:
        return {}
    strings = _Strings(wanted)
    _read_all(archive, path, strings)
    return strings.found


def resolve(value, strings: dict[int, str]):
    return strings.get(value, "") if isinstance(value, SharedString) else value
