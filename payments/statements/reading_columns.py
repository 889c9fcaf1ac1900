"""Which column is which: each bank's layouts found by their header lines, a seller's own mapping, and a guess
at the header line for the mapping step."""

from dataclasses import dataclass

from django.utils.translation import gettext

from .reading_amounts import amount_read
from .reading_dates import date_read
from .reading_types import CellUnreadable, ColumnMapping, StatementRefused, Table, text_collapse


@dataclass(frozen=True)
class Variant:
    """One layout of a bank's export, by the header names (lowercase, whitespace collapsed) each column may have."""

    shown: str  # the columns as a seller would look for them in the file
    date: tuple[str, ...]
    description: tuple[tuple[str, ...], ...]  # each a column joined into the description, every column so named
    amount: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()
    mark: tuple[str, ...] = ()
    mark_after_amount: bool = False  # an unlabelled (or "DB/CR") column right after the amount holds the mark
    mark_required: bool = False  # an amount with no mark is refused: the bank always writes one
    footer: tuple[str, ...] = ()  # a date cell starting with one of these ends the table
    description_holds_delimiter: bool = False  # unquoted descriptions with the delimiter in them (KlikBCA)
    notice: tuple[str, ...] = ()  # a line with a cell holding one of these is the bank's notice, on every page


@dataclass(frozen=True)
class Columns:
    """Where a table's fields are, as positions in its header line."""

    header_index: int  # index of the header line in Table.lines
    width: int
    date: int
    description: tuple[int, ...]
    amount: int | None = None
    credit: int | None = None
    debit: int | None = None
    mark: int | None = None
    day_first: bool = True
    mark_required: bool = False
    footer: tuple[str, ...] = ()
    description_holds_delimiter: bool = False
    notice: tuple[str, ...] = ()


_MARK_HEADERS = ("", "db/cr", "cr/db", "d/k", "k/d", "dk", "cr/dr", "dr/cr")

PRESET_VARIANTS: dict[str, tuple[Variant, ...]] = {
    "bca": (
        # KlikBCA Individu ("Date,Description,Branch,Amount,,Balance", or in Indonesian) with the mark in an
        # unlabelled column; KlikBCA Bisnis ("Tanggal Transaksi,...,Jumlah,Saldo") with "7,083,000.00 DB".
        Variant(
            shown="Tanggal/Date, Keterangan/Description, Jumlah/Amount",
            date=("tanggal", "date", "tanggal transaksi"),
            description=(("keterangan", "description"),),
            amount=("jumlah", "amount"),
            mark_after_amount=True,
            mark_required=True,
            footer=("saldo awal", "starting balance", "mutasi debet", "mutasi kredit", "saldo akhir", "ending balance")
            + ("kredit", "credit", "debet", "debit"),
            description_holds_delimiter=True,
        ),
    ),
    "mandiri": (
        # MCM: "Account No,Date,Val. Date,Transaction Code,Description,Description,Reference No.,Debit,Credit".
        Variant(
            shown="Date, Description, Debit, Credit (MCM)",
            date=("date",),
            description=(("description",),),
            debit=("debit",),
            credit=("credit",),
        ),
        # Kopra: "AccountNo;Ccy;PostDate;Remarks;AdditionalDesc;Credit Amount;Debit Amount;Close Balance".
        Variant(
            shown="PostDate, Remarks, AdditionalDesc, Credit Amount, Debit Amount (Kopra)",
            date=("postdate", "post date"),
            description=(("remarks",), ("additionaldesc", "additional desc")),
            credit=("credit amount",),
            debit=("debit amount",),
        ),
        # Livin' e-Statement XLSX: bilingual header over two rows, each transaction over two rows.
        Variant(
            shown="Tanggal, Keterangan, Dana Masuk (IDR), Dana Keluar (IDR) (Livin' e-Statement)",
            date=("tanggal",),
            description=(("keterangan",),),
            credit=("dana masuk (idr)", "dana masuk"),
            debit=("dana keluar (idr)", "dana keluar"),
            notice=("otoritas jasa keuangan", "mandiri call"),
        ),
    ),
    "bri": (
        # Internet Banking / CMS / QLola / BRImo "Mutasi Rekening" CSV.
        Variant(
            shown="TGL_TRAN, DESK_TRAN, MUTASI_DEBET, MUTASI_KREDIT",
            date=("tgl_tran",),
            description=(("desk_tran",),),
            debit=("mutasi_debet",),
            credit=("mutasi_kredit",),
        ),
        Variant(
            shown="Tanggal Transaksi, Uraian Transaksi, Debet, Kredit",
            date=("tanggal transaksi", "tanggal"),
            description=(("uraian transaksi",),),
            debit=("debet", "debit"),
            credit=("kredit", "credit"),
        ),
    ),
    "bni": (
        # BNI Internet Banking / BNIDirect "Post Date,Value Date,Branch,Journal No.,Description,Debit,Credit,".
        Variant(
            shown="Post Date, Description, Debit, Credit",
            date=("post date", "posting date"),
            description=(("description",),),
            debit=("debit",),
            credit=("credit",),
        ),
        # The personal Internet Banking view saved as a file: "Tanggal Transaksi,Uraian Transaksi,Tipe,Nominal".
        Variant(
            shown="Tanggal Transaksi, Uraian Transaksi, Tipe, Nominal",
            date=("tanggal transaksi", "tanggal"),
            description=(("uraian transaksi",),),
            amount=("nominal",),
            mark=("tipe",),
            mark_required=True,
        ),
    ),
}

PRESET_BANKS = {"bca": "BCA", "mandiri": "Mandiri", "bri": "BRI", "bni": "BNI"}

# A line whose date cell is one of these repeats the header (a second-language header, a page header): skipped.
DATE_HEADERS = frozenset(
    name for variants in PRESET_VARIANTS.values() for variant in variants for name in variant.date
) | {"tgl", "tgl transaksi", "transaction date", "posting date", "value date", "val. date", "effective date"}


def header_name(value: object) -> str:
    return text_collapse(value).strip("'`\"").lower()


def _first(names: list[str], accepted: tuple[str, ...]) -> int | None:
    return next((index for index, name in enumerate(names) if name in accepted), None)


def _variant_columns(names: list[str], variant: Variant, header_index: int) -> Columns | None:
    date = _first(names, variant.date)
    description = tuple(index for group in variant.description for index, name in enumerate(names) if name in group)
    found = {"amount": None, "credit": None, "debit": None, "mark": None}
    for field in found:
        accepted = getattr(variant, field)
        if accepted:
            found[field] = _first(names, accepted)
            if found[field] is None:
                return None
    groups_found = all(any(name in group for name in names) for group in variant.description)
    if date is None or not groups_found:
        return None
    if variant.mark_after_amount and found["amount"] is not None:
        after = found["amount"] + 1
        if after < len(names) and names[after] in _MARK_HEADERS:
            found["mark"] = after
    return Columns(
        header_index=header_index,
        width=len(names),
        date=date,
        description=description,
        **found,
        mark_required=variant.mark_required,
        footer=variant.footer,
        description_holds_delimiter=variant.description_holds_delimiter,
        notice=variant.notice,
    )


def preset_columns(table: Table, layout: str) -> Columns:
    """The columns of the first line that is a header of one of the preset's layouts. Raises StatementRefused."""
    variants = PRESET_VARIANTS[layout]
    for header_index, (_, cells) in enumerate(table.lines):
        names = [header_name(cell) for cell in cells]
        while names and not names[-1]:
            names.pop()
        for variant in variants:
            if columns := _variant_columns(names, variant, header_index):
                return columns
    raise StatementRefused(
        gettext(
            "This file does not look like a %(bank)s statement: no line with the columns %(columns)s. "
            "Choose another bank, or map the columns."
        )
        % {"bank": PRESET_BANKS[layout], "columns": gettext("; or ").join(variant.shown for variant in variants)}
    )


def mapping_columns(table: Table, mapping: ColumnMapping) -> Columns:
    """The columns a seller chose, found in the first line that has them all. Raises StatementRefused."""
    if not mapping.credit and not mapping.amount:
        raise StatementRefused(
            gettext("No credit column is chosen: choose the column of money in, or the one amount column.")
        )
    if mapping.amount and (mapping.credit or mapping.debit):
        raise StatementRefused(
            gettext("Choose either one amount column, or a credit column and a debit column, not both.")
        )
    if mapping.mark and not mapping.amount:
        raise StatementRefused(gettext("A credit/debit mark column goes with one amount column."))
    if not mapping.date or not mapping.description:
        raise StatementRefused(gettext("Choose the date column and the description column."))
    wanted = {
        field: header_name(getattr(mapping, field))
        for field in ("date", "amount", "credit", "debit", "mark")
        if getattr(mapping, field)
    }
    # "Remarks+AdditionalDesc" names two columns; failing that, it may be the name of one column.
    descriptions = [[header_name(part) for part in mapping.description.split("+")]]
    if "+" in mapping.description:
        descriptions.append([header_name(mapping.description)])
    for header_index, (_, cells) in enumerate(table.lines):
        names = [header_name(cell) for cell in cells]
        for description_names in descriptions:
            if columns := _mapped(names, wanted, description_names, header_index, mapping.day_first):
                return columns
    shown = [getattr(mapping, field) for field in wanted] + mapping.description.split("+")
    raise StatementRefused(
        gettext("No line of this file has all of the columns %(columns)s. Choose the columns again.")
        % {"columns": ", ".join(f"“{name.strip()}”" for name in shown)}
    )


def _mapped(
    names: list[str], wanted: dict[str, str], description_names: list[str], header_index: int, day_first: bool
) -> Columns | None:
    found = {field: _first(names, (name,)) for field, name in wanted.items()}
    if None in found.values():
        return None
    description: list[int] = []
    for name in description_names:
        # "Description+Description" takes both columns of that name (Mandiri MCM has two).
        index = next((i for i, each in enumerate(names) if each == name and i not in description), None)
        if index is None:
            return None
        description.append(index)
    return Columns(
        header_index=header_index,
        width=len(names),
        date=found.pop("date"),
        description=tuple(description),
        day_first=day_first,
        # Once a mark column is chosen, an amount without a mark is not taken for a credit.
        mark_required="mark" in found,
        **found,
    )


def _looks_like_value(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        if amount_read(value) is not None:
            return True
    except CellUnreadable:
        pass
    try:
        date_read(value, day_first=True, year_of=lambda month, day: 2000)
    except CellUnreadable:
        return False
    return True


def header_guess(table: Table) -> int:
    """The index of the first line that looks like column names: three or more cells of text that are not amounts
    or dates and not "key,=,value" lines, preferring one with a date in the next few lines. Raises StatementRefused.
    """
    candidates = []
    for index, (_, cells) in enumerate(table.lines):
        filled = [cell for cell in cells if text_collapse(cell)]
        if len(filled) < 3 or any(text_collapse(cell) in {"=", ":"} for cell in filled):
            continue
        if any(_looks_like_value(cell) for cell in filled):
            continue
        candidates.append(index)
        below = [cells for _, cells in table.lines[index + 1 : index + 8] if any(text_collapse(c) for c in cells)]
        if any(_is_date(cell) for cells in below[:3] for cell in cells):
            return index
        if len(candidates) >= 20:
            break
    if candidates:
        return candidates[0]
    raise StatementRefused(
        gettext(
            "No line of this file looks like a line of column names (such as Date, Description, Amount). "
            "Download the statement again as CSV or XLSX."
        )
    )


def _is_date(value: object) -> bool:
    try:
        date_read(value, day_first=True, year_of=lambda month, day: 2000)
    except CellUnreadable:
        return False
    return value is not None and not isinstance(value, int | float)
