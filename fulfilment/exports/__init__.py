"""The production list and the packing list as spreadsheets (XLSX, CSV, CSV for Excel), and the address labels.

Both lists are written row by row, top to bottom: XlsxWriter's constant_memory
mode keeps one row in memory, the CSV goes straight to the file, and orders are
read 2,000 at a time, so a PO of 100,000 lines needs the memory of a few
thousand.

XLSX is the list to print: every sheet carries its print setup (A4, one page
wide, the headings atop every page, the PO and the date in the page header,
page numbers in the footer), its text cells hold the text as typed, and the
packing list is a block per parcel that never breaks over two pages. CSV is the
list for machines, one row per order line; "csv-excel" is the same separated by
semicolons, for an Excel set to Indonesian. In a CSV every text a person typed
goes through spreadsheet_safe, so a note such as =HYPERLINK(...) stays text.
"""

from .labels import AddressLabel, address_labels
from .packing import packing_list_write
from .parcels import order_address
from .production import production_list_write, tally_matrices_noted, tally_order_notes
from .sheets import FILE_EXTENSIONS, FILE_FORMATS, spreadsheet_safe

__all__ = [
    "FILE_EXTENSIONS",
    "FILE_FORMATS",
    "AddressLabel",
    "address_labels",
    "order_address",
    "packing_list_write",
    "production_list_write",
    "spreadsheet_safe",
    "tally_matrices_noted",
    "tally_order_notes",
]
