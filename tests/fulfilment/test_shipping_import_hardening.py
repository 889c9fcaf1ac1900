"""The shipping file (order, courier, resi) under abuse and mistakes: a zip bomb, a row flood, a file
without the columns or not a spreadsheet at all are refused with a plain reason before they are read;
a big file previews in a fixed number of queries, with each buyer's name; confirming twice, or at once
from two tabs, ships each order once and never answers 500."""

import io
import tracemalloc
import zipfile
from unittest import mock

import openpyxl
import pytest
import xlsxwriter
from django.conf import settings as django_settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.demo import demo_seller_ensure
from campaigns.models import Campaign, CampaignItem
from fulfilment.shipping_import import PendingShipmentFile, ShipmentXLSX
from fulfilment.shipping_import.files import PENDING_FOLDER
from orders.models import Message, Order, OrderEvent
from payments.models import Payment, private_proof_storage
from payments.services import payment_confirm
from tests.factories import campaign_with_products, place_order
from tests.helpers import at_once
from tests.payments.conftest import submit_transfer

pytestmark = pytest.mark.django_db
Status = Order.Status
CSV_FORMAT, XLSX_FORMAT = "0", "1"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _in_production(orders: int) -> list[Order]:
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    placed = []
    for number in range(orders):
        order = place_order(
            campaign,
            [(campaign.items.first(), 1)],
            plan="full",
            name=f"Siti Pembeli {number}",
            phone=f"08129876{number:04d}",
            email=f"b{number}@example.com",
        )
        payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
        placed.append(Order.objects.get(pk=order.pk))
    Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    return placed


def _copies(order: Order, count: int) -> list[Order]:
    """`count` more orders paid like `order`, written in bulk: a big file's orders without a checkout each."""
    fields = {field.attname: getattr(order, field.attname) for field in Order._meta.concrete_fields}
    fields.pop("id")
    copies = Order.objects.bulk_create(
        [
            Order(**{**fields, "number": f"PO-C-{n:05d}", "token": f"copy-{order.pk}-{n}", "buyer_name": f"Copy {n}"})
            for n in range(count)
        ]
    )
    paid = [
        {
            field.attname: getattr(payment, field.attname)
            for field in Payment._meta.concrete_fields
            if field.attname != "id"
        }
        for payment in order.payments.all()
    ]
    Payment.objects.bulk_create([Payment(**{**payment, "order_id": copy.pk}) for copy in copies for payment in paid])
    return copies


def _english_seller(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _upload(client, name: str, content: bytes, file_format: str = CSV_FORMAT):
    return _english_seller(client).post(
        reverse("admin:orders_order_import"),
        {"resource": "0", "format": file_format, "import_file": SimpleUploadedFile(name, content)},
    )


def _csv(orders: list[Order], courier: str = "J&T") -> bytes:
    lines = ["Nomor pesanan,Kurir,No resi"] + [f"{order.number},{courier},JP{order.pk:010d}" for order in orders]
    return "\n".join(lines).encode()


def _confirm_data(preview) -> dict:
    confirm = preview.context["confirm_form"]
    assert confirm is not None, preview.context.get("shipment_problems")
    return {name: confirm[name].value() for name in confirm.fields}


def _confirm(client, data: dict):
    return _english_seller(client).post(reverse("admin:orders_order_process_import"), data)


def _said(response) -> str:
    """The last message the response left for the seller (earlier ones wait in the session, unread)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def _form_errors(response) -> str:
    return " ".join(response.context["form"].errors["import_file"]).replace("\xa0", " ")


def _shipped_once(orders: list[Order]) -> None:
    for order in orders:
        assert OrderEvent.objects.filter(order=order, to_status=Status.SHIPPED).count() == 1, order.number
        assert Message.objects.filter(order=order, kind="order_shipped").count() == 1, order.number
        assert Order.objects.get(pk=order.pk).status == Status.SHIPPED


def _zip_bomb(inflated_bytes: int) -> bytes:
    """An XLSX's shape whose sheet is `inflated_bytes` of blanks: a few dozen KB that inflate past the cap."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b" " * (1024 * 1024)
            for _megabyte in range(inflated_bytes // len(chunk)):
                sheet.write(chunk)
    return buffer.getvalue()


def _empty_workbook() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_from_its_declared_sizes_before_the_spreadsheet_is_read(seller_client):
    orders = _in_production(1)
    bomb = _zip_bomb(48 * 1024 * 1024)
    assert len(bomb) < 256 * 1024 < django_settings.SHIPPING_IMPORT_MAX_INFLATED_BYTES
    with mock.patch("fulfilment.shipping_import.files.sheet_parts") as sheet_parts:
        tracemalloc.start()
        try:
            response = _upload(seller_client, "resi.xlsx", bomb, XLSX_FORMAT)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert response.status_code == 200
    assert not sheet_parts.called  # not a byte of its XML was parsed
    assert peak < 16 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB while refusing a 48 MB bomb"
    errors = _form_errors(response)
    assert "unpacks to 48.0 MB" in errors and "at most 20.0 MB" in errors
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert Order.objects.get(pk=orders[0].pk).status == Status.PAID
    assert _pending_files() == []  # a refused upload is not kept


def _excel_like(rows: list[list], *, sheets_before: int = 0) -> bytes:
    """An XLSX written as Excel writes one (shared strings), on the active sheet after `sheets_before` others."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    for number in range(sheets_before):
        book.add_worksheet(f"Lain {number}").write_row(0, 0, ["order", "courier", "resi"])
    sheet = book.add_worksheet("Resi")
    for index, row in enumerate(rows):
        sheet.write_row(index, 0, row)
    sheet.activate()
    book.close()
    return buffer.getvalue()


def _swollen(xlsx: bytes, part: str, before: bytes, filler: bytes, inflated_bytes: int) -> bytes:
    """`xlsx` with `filler` repeated up to `inflated_bytes` inserted into `part` before `before`."""
    source, buffer = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename != part:
                target.writestr(member.filename, data)
                continue
            at = data.index(before)
            with target.open(part, "w", force_zip64=True) as swollen:
                swollen.write(data[:at])
                chunk = filler * (64 * 1024 // len(filler) + 1)
                for _written in range(inflated_bytes // len(chunk)):
                    swollen.write(chunk)
                swollen.write(data[at:])
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("part", "before", "filler"),
    [
        ("xl/styles.xml", b"</cellXfs>", b'<xf numFmtId="0"/>'),
        ("xl/sharedStrings.xml", b"</sst>", b"<si><t>x</t></si>"),
        ("xl/worksheets/sheet1.xml", b"</worksheet>", b'<mergeCells><mergeCell ref="A1:B2"/></mergeCells>'),
    ],
    ids=["styles", "shared-strings", "merged-cells"],
)
def test_a_spreadsheet_swollen_within_the_cap_is_read_without_building_what_it_holds(part, before, filler):
    """openpyxl builds an object per style, string or range: 8 MB of styles grew a worker by some 300 MB."""
    xlsx = _swollen(
        _excel_like([["Nomor pesanan", "Kurir", "Resi"], ["PO-2601-00001", "JNE", "JNE000111222"]]),
        part,
        before,
        filler,
        8 * 1024 * 1024,
    )
    assert len(xlsx) < 256 * 1024
    tracemalloc.start()
    try:
        dataset = ShipmentXLSX().create_dataset(xlsx)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert dataset.dict == [{"order": "PO-2601-00001", "courier": "JNE", "resi": "JNE000111222"}]
    assert peak < 8 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB"


def test_an_excel_file_ships_from_its_active_sheet_whatever_its_columns(seller_client):
    orders = _in_production(2)
    xlsx = _excel_like(
        [
            [],
            ["Nama pembeli", "No. Resi", "Nomor Pesanan", "Ekspedisi"],
            ["Siti", 4000123456789, orders[0].number, "SiCepat"],
            [],
            ["Budi", "JP 1234 5678 90", orders[1].number.lower(), "J&T Express"],
        ],
        sheets_before=1,
    )
    preview = _upload(seller_client, "resi.xlsx", xlsx, XLSX_FORMAT)
    assert preview.context["shipment_problems"] == []
    done = _confirm(seller_client, _confirm_data(preview))
    assert _said(done) == "2 orders shipped; each buyer is told."
    shipped = dict(Order.objects.filter(status=Status.SHIPPED).values_list("number", "tracking_number"))
    assert shipped == {orders[0].number: "4000123456789", orders[1].number: "JP1234567890"}


def _pending_files() -> list[str]:
    try:
        return private_proof_storage().listdir(PENDING_FOLDER)[1]
    except FileNotFoundError:
        return []


def test_a_file_bigger_than_the_cap_is_refused_before_it_is_stored(seller_client, settings):
    settings.SHIPPING_IMPORT_MAX_BYTES = 1024
    with mock.patch.object(PendingShipmentFile, "save") as save:
        response = _upload(seller_client, "resi.csv", b"order,courier,resi\n" + b"PO-1,jne,JNE123456789\n" * 100)
    assert not save.called
    assert "a shipping file may be at most 1.0 KB" in _form_errors(response)


def test_a_file_without_the_columns_names_them_plainly_and_shows_no_traceback(seller_client):
    orders = _in_production(1)
    response = _upload(seller_client, "resi.csv", f"Nomor pesanan,Ekspedisi\n{orders[0].number},JNE\n".encode())
    html = response.content.decode()
    assert response.status_code == 200
    assert "missing: resi." in _form_errors(response)
    for leak in ("Traceback", "site-packages", "ValidationError", "encountered while trying to read"):
        assert leak not in html


def test_a_failure_while_checking_the_rows_is_told_plainly_without_a_traceback(seller_client):
    orders = _in_production(1)
    with mock.patch(
        "fulfilment.shipping_import.resource.shipments_check",
        side_effect=RuntimeError("boom in /venv/lib/python3.11/site-packages/import_export/resources.py"),
    ):
        response = _upload(seller_client, "resi.csv", _csv(orders))
    html = response.content.decode()
    assert response.context["shipment_failures"] == ["The file could not be checked; nothing was imported."]
    assert response.context.get("confirm_form") is None
    for leak in ("Traceback", "site-packages", "boom"):
        assert leak not in html


@pytest.mark.parametrize(
    ("name", "content", "file_format", "said"),
    [
        ("resi.xlsx", b"this is no spreadsheet at all", XLSX_FORMAT, "This is not an XLSX spreadsheet"),
        ("resi.csv", "Nomor pesanan,Kurir,Resi\nPO-1,JNE,Émile\n".encode("cp1252"), CSV_FORMAT, "not UTF-8 text"),
        ("resi.csv", "order,courier,resi\n".encode("utf-16"), CSV_FORMAT, "not UTF-8 text"),
        ("resi.xlsx", _empty_workbook(), XLSX_FORMAT, "The file is empty."),
        ("resi.csv", b"order,courier,resi\n\n", CSV_FORMAT, "no rows under its headers"),
    ],
)
def test_a_file_that_is_not_a_readable_spreadsheet_gets_a_plain_reason(seller_client, name, content, file_format, said):
    response = _upload(seller_client, name, content, file_format)
    assert response.status_code == 200
    assert said in _form_errors(response)
    assert "Traceback" not in response.content.decode()


def test_a_damaged_xlsx_and_an_xlsx_sent_as_csv_get_a_plain_reason(seller_client):
    book = openpyxl.Workbook()
    book.active.append(["order", "courier", "resi"])
    buffer = io.BytesIO()
    book.save(buffer)
    damaged = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(damaged, "w") as target:
        for member in source.infolist():
            if member.filename != "xl/workbook.xml":
                target.writestr(member, source.read(member))
    response = _upload(seller_client, "resi.xlsx", damaged.getvalue(), XLSX_FORMAT)
    assert "could not be read; it may be damaged" in _form_errors(response)
    response = _upload(seller_client, "resi.csv", buffer.getvalue(), CSV_FORMAT)
    assert "choose the format xlsx" in _form_errors(response)


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_a_row_flood_is_refused_with_the_cap(seller_client, settings, file_format):
    settings.SHIPPING_IMPORT_MAX_ROWS = 100
    rows = [("order", "courier", "resi")] + [(f"PO-2601-{n:05d}", "jne", f"JNE{n:09d}") for n in range(101)]
    if file_format == CSV_FORMAT:
        content = "\n".join(",".join(row) for row in rows).encode()
    else:
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
    with CaptureQueriesContext(connection) as queries:
        response = _upload(seller_client, "resi", content, file_format)
    assert "more than 100 rows" in _form_errors(response)
    # No order was read for the rows (the admin's banner counts proofs of orders that can pay: not a row's).
    assert not [
        query
        for query in queries.captured_queries
        if "orders_order" in query["sql"] and "payments_payment" not in query["sql"]
    ]


def test_a_semicolon_csv_from_an_indonesian_spreadsheet_is_read(seller_client):
    orders = _in_production(1)
    preview = _upload(
        seller_client, "resi.csv", f"Nomor pesanan;Kurir;Resi\n{orders[0].number};JNE;JNE000111222\n".encode()
    )
    assert [row["resi"] for row in preview.context["shipment_rows"]] == ["JNE000111222"]


def test_a_500_row_preview_reads_its_orders_in_a_fixed_number_of_queries_and_shows_each_buyer(seller_client):
    first = _in_production(1)[0]
    orders = [first, *_copies(first, 499)]

    def preview_queries(rows: list[Order]) -> tuple[int, object]:
        with CaptureQueriesContext(connection) as queries:
            response = _upload(seller_client, "resi.csv", _csv(rows))
        return len(queries.captured_queries), response

    few, _response = preview_queries(orders[:10])
    many, preview = preview_queries(orders)
    assert many == few <= 30, (few, many)
    shown = preview.context["shipment_rows"]
    assert len(shown) == 500
    assert shown[0] == {
        "line": 1,
        "number": first.number,
        "buyer": "Siti Pembeli 0",
        "courier": "J&T Express",
        "resi": f"JP{first.pk:010d}",
    }
    html = preview.content.decode()
    assert "Copy 498" in html and "Check 500 orders before they ship" in html
    assert "Below is a preview of data to be imported" not in html
    assert not Order.objects.filter(status=Status.SHIPPED).exists()


def test_confirming_a_file_twice_ships_each_order_once_and_tells_the_seller(seller_client):
    orders = _in_production(3)
    data = _confirm_data(_upload(seller_client, "resi.csv", _csv(orders)))
    assert _pending_files() == [f"{data['import_file_name']}.upload"]
    done = _confirm(seller_client, data)
    assert done.status_code == 302
    assert _pending_files() == []
    assert _said(done) == "3 orders shipped; each buyer is told."
    again = _confirm(seller_client, data)
    assert again.status_code == 302
    assert "This file is no longer waiting" in _said(again)
    _shipped_once(orders)
    history = LogEntry.objects.filter(object_id=str(orders[0].pk))
    assert [entry.get_change_message() for entry in history] == ["Changed courier and tracking number (resi)."]


@pytest.mark.parametrize(
    "tampered",
    [{"import_file_name": "../../../etc/passwd"}, {"import_file_name": "0" * 32}, {"format": "9"}, {"format": "x"}],
)
def test_a_tampered_confirmation_is_told_the_file_is_gone(seller_client, tampered):
    orders = _in_production(1)
    data = _confirm_data(_upload(seller_client, "resi.csv", _csv(orders)))
    response = _confirm(seller_client, {**data, **tampered})
    assert response.status_code == 302
    assert "This file is no longer waiting" in _said(response)
    assert Order.objects.get(pk=orders[0].pk).status == Status.PAID


def test_a_confirmation_that_read_the_file_before_the_first_claimed_it_finds_every_order_shipped(seller_client):
    orders = _in_production(2)
    data = _confirm_data(_upload(seller_client, "resi.csv", _csv(orders)))
    pending = PendingShipmentFile(name=data["import_file_name"])
    kept = pending.read()
    _confirm(seller_client, data)
    pending.restore(kept)  # as if a second tab had read it before the first confirmation removed it
    again = _confirm(seller_client, data)
    assert again.status_code == 302
    assert _said(again) == "This file was already imported: its orders have shipped. Nothing was changed."
    _shipped_once(orders)


def test_a_confirmation_after_an_order_changed_ships_nothing_and_shows_the_row(seller_client):
    orders = _in_production(2)
    data = _confirm_data(_upload(seller_client, "resi.csv", _csv(orders)))
    Order.objects.filter(pk=orders[1].pk).update(postage_final=False)
    response = _confirm(seller_client, data)
    assert response.status_code == 200
    assert [problem["line"] for problem in response.context["shipment_problems"]] == [2]
    assert "Set the postage of" in response.content.decode()
    assert not Order.objects.filter(status=Status.SHIPPED).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two confirmations at once need PostgreSQL's row locks")
def test_two_confirmations_at_the_same_moment_ship_each_order_once():
    orders = _in_production(5)
    login = demo_seller_ensure(password="rahasia-penjual-123")
    seller = get_user_model().objects.get(username=login.username)
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(seller)
    data = _confirm_data(_upload(clients[0], "resi.csv", _csv(orders)))
    first, second = at_once(*(lambda client=client: _confirm(client, data) for client in clients))
    said = []
    for outcome in (first, second):
        assert outcome.error is None, repr(outcome.error)
        assert outcome.value.status_code == 302
        said.append(_said(outcome.value))
    assert "5 orders shipped; each buyer is told." in said
    assert len(said) == 2
    assert any("no longer waiting" in text or "already imported" in text for text in said), said
    _shipped_once(orders)
