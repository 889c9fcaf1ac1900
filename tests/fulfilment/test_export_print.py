"""Both lists as LibreOffice prints them (Debian's libreoffice-calc-nogui): a 40-order packing list on the
pages its parcels need, one page wide, each parcel on one page. Skipped without `soffice`, unless
REQUIRE_SOFFICE is set (as CI does), where that is a failure."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from pypdf import PdfReader

from fulfilment.exports import packing_list_write, production_list_write
from fulfilment.services import production_tally_take
from tests.fulfilment.test_export_data import (
    PRINTED_AT,
    TALLY_AT,
    campaign_made,
    items_of,
    orders_placed,
    xlsx_read,
)
from tests.fulfilment.test_export_packing import many_orders_placed, page_room, pages_read

pytestmark = pytest.mark.django_db
ORDER_NUMBER = re.compile(r"PO-\d{4}-\d{5,}")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        message = "LibreOffice is not installed (apt-get install libreoffice-calc-nogui): lists not printed."
        if os.environ.get("REQUIRE_SOFFICE"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def printed(soffice: str, xlsx: Path) -> PdfReader:
    """The XLSX printed to PDF by LibreOffice, with a profile of its own (two runs at once share none)."""
    profile = xlsx.parent / "libreoffice-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(xlsx.parent),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return PdfReader(xlsx.with_suffix(".pdf"))


def test_a_40_order_packing_list_prints_on_the_pages_its_parcels_need_one_page_wide(soffice, tmp_path):
    campaign = campaign_made()
    many_orders_placed(campaign, 40)
    xlsx = tmp_path / "packing.xlsx"
    with xlsx.open("wb") as out:
        packing_list_write(campaign=campaign, out=out, file_format="xlsx", now=PRINTED_AT)
    sheet, rows = xlsx_read(xlsx.read_bytes())
    planned = pages_read(sheet, rows)
    room = page_room(sheet)
    # The pages the parcels need: each full up to the next parcel, none split.
    assert all(sum(height for _number, height in page) <= room for page in planned)
    assert len(planned) == len(sheet.row_breaks.brk) + 1 > 2

    pdf = printed(soffice, xlsx)
    # One page per planned page: a column spilling to a second page across would double them.
    assert len(pdf.pages) == len(planned)
    for number, (page, planned_page) in enumerate(zip(pdf.pages, planned, strict=True), 1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)  # A4 across
        text = page.extract_text()
        lines = text.splitlines()
        assert campaign.title in text and "Packing list" in text and "06-01-2026 09:00 WIB" in text
        assert f"Page {number} of {len(planned)}" in text
        # The headings atop every page, whole: the first and the last column on one line.
        assert any(line.startswith("\u2713") and line.rstrip().endswith("Note") for line in lines), lines[:5]
        # Exactly the parcels planned for this page, each whole.
        assert ORDER_NUMBER.findall(text) == [order for order, _height in planned_page if order]


def test_the_production_list_prints_its_table_and_notes_on_one_page(soffice, tmp_path):
    campaign = campaign_made()
    placed = orders_placed(campaign, items_of(campaign))
    tally = production_tally_take(campaign=campaign, now=TALLY_AT)
    xlsx = tmp_path / "production.xlsx"
    with xlsx.open("wb") as out:
        production_list_write(tally=tally, out=out, file_format="xlsx", now=PRINTED_AT)

    pdf = printed(soffice, xlsx)
    assert len(pdf.pages) == 1
    page = pdf.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4 upright
    text = page.extract_text()
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Ukuran Sogan Biru Total" in lines
    assert "Total 7 3 10" in lines
    assert "Page 1 of 1" in text
    # A note's variant by its name, and its order number in a column of its own, not run together.
    assert "M / Sogan" in lines
    assert any(line.startswith("-2 " + placed["dp"].order.number) for line in lines), lines
