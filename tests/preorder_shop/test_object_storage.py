"""The shop's files on an S3-compatible bucket, against a real server on this machine: transfer proofs and
the imports waiting for their confirmation go under "private/" and are read only through the shop's views;
pictures and their renditions go under "media/" and reach the buyer's browser by signed links; deleting a
buyer's data deletes their proof from the bucket; the settings made from the environment allow the bucket's
pictures in the page's CSP and refuse a public bucket that would hold the proofs too."""

import datetime
import html
import io
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from campaigns.models import Campaign, CampaignItem
from catalog.images import RENDITION_WIDTHS
from catalog.models import Product, ProductImage
from catalog.services import product_image_renditions_make
from fulfilment.services import personal_data_purge
from fulfilment.shipping_import.files import PENDING_FOLDER as SHIPMENTS_PENDING
from fulfilment.shipping_import.files import PENDING_KEPT
from orders.models import BankAccount, Order, OrderEvent
from payments.admin_statements import PENDING_FOLDER as STATEMENTS_PENDING
from payments.models import BankStatementImport, Payment
from payments.services import payment_confirm
from preorder_shop.storage import private_storage
from tests.factories import CampaignFactory, campaign_with_products, place_order
from tests.payments.conftest import png_upload, submit_transfer
from tests.s3_server import shop_environment

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight to the server on this machine


@pytest.fixture
def on_sale():
    """A PO of one product in two sizes, open for orders."""
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000)
    return campaign


def _refused(status: int, body: bytes) -> bool:
    """The bucket's answer to a request without a valid signature: an S3 error, not the object."""
    return status in (400, 403) and body.startswith(b"<?xml") and b"<Error>" in body


def _local_files(settings) -> list[Path]:
    return [path for root in (settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT) for path in root.rglob("*")]


def _fetch(url: str) -> tuple[int, str, bytes]:
    """What a browser gets for `url`: status, content type, body."""
    try:
        with DIRECT.open(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def _status_and_body(url: str) -> tuple[int, bytes]:
    status, _content_type, body = _fetch(url)
    return status, body


def _unsigned(url: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(query=""))


def _english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _said(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


# 1. Transfer proofs


def test_a_proof_sent_from_the_order_page_is_in_the_bucket_and_only_the_shops_views_read_it(
    seller_client, on_sale, bucket, settings
):
    order = place_order(on_sale, [(on_sale.items.first(), 1)])
    buyer = Client()
    response = buyer.post(
        reverse("fulfilment:payment_submit", args=[order.token]),
        {
            "amount_idr": str(order.first_transfer_idr),
            "paid_on": timezone.localdate().isoformat(),
            "from_bank": "BCA",
            "from_account_name": "Siti Rahmawati",
            "proof": png_upload(),
        },
    )
    assert response.status_code == 302, response.context["payment_form"].errors
    payment = Payment.objects.get(order=order)
    key = f"private/{payment.proof.name}"
    assert bucket.keys(f"private/proofs/{order.pk}/") == [key]
    assert bucket.keys() == [key]  # nothing under media/, where pictures are
    assert _local_files(settings) == []
    stored = bucket.read(key)
    with Image.open(io.BytesIO(stored)) as picture:
        assert picture.size == (300, 500)

    staff_view = seller_client.get(reverse("payments:proof_staff", args=[payment.pk]))
    assert staff_view.status_code == 200 and staff_view["Content-Type"] == "image/png"
    assert b"".join(staff_view.streaming_content) == stored
    own = buyer.get(reverse("payments:proof", args=[order.token, payment.pk]))
    assert own.status_code == 200 and b"".join(own.streaming_content) == stored

    stranger = Client()
    assert stranger.get(reverse("payments:proof_staff", args=[payment.pk])).status_code == 302  # to the login
    guessed = reverse("payments:proof", args=["tebakan-yang-salah-sekali", payment.pk])
    assert stranger.get(guessed).status_code == 404
    # The bucket itself gives it to nobody without the keys.
    assert _refused(*_status_and_body(f"{bucket.server.endpoint}/{bucket.name}/{key}"))
    with pytest.raises(ValueError, match="no URL"):
        private_storage.url(payment.proof.name)
    with pytest.raises(ValueError, match="no URL"):
        _ = payment.proof.url


# 2. Pictures


def _photo_upload(name: str = "kebaya.jpg", size=(1400, 1050)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(buffer, format="JPEG", quality=90)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _management(prefix: str, total: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def product_admin_form() -> dict:
    """The admin's form for a new product with one photo and one size, its variant made at once."""
    return {
        "name": "Kebaya Kutubaru",
        "slug": "kebaya-kutubaru",
        "category": "",
        "kind": Product.Kind.HANDMADE_PREMIUM,
        "description": "Kebaya encim.",
        "base_price_idr": "425000",
        "is_active": "on",
        "generate_variants": "on",
        **_management("images", total=1),
        "images-0-image": _photo_upload(),
        "images-0-alt_text": "Kebaya biru",
        "images-0-position": "0",
        **_management("option_types", total=1),
        "option_types-0-name": "Ukuran",
        "option_types-0-values_text": "M",
        "option_types-0-position": "0",
        **_management("variants"),
    }


def _product_from_the_admin(seller_client) -> Product:
    data = product_admin_form()
    response = seller_client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return Product.objects.get(slug="kebaya-kutubaru")


def _selling(product: Product) -> Campaign:
    campaign = CampaignFactory()
    for position, variant in enumerate(product.variants.all()):
        CampaignItem.objects.create(campaign=campaign, variant=variant, price_idr=425_000, position=position)
    return campaign


def _gallery_pictures(page: str) -> list[str]:
    """Every picture link of the product gallery: each <img>'s src and the links of its srcset."""
    urls = []
    for tag in re.findall(r'<img[^>]+alt="Kebaya biru"[^>]*>', page):
        urls.append(html.unescape(re.search(r'\ssrc="([^"]+)"', tag).group(1)))
        srcset = html.unescape(re.search(r'\ssrcset="([^"]+)"', tag).group(1))
        urls.extend(entry.rsplit(" ", 1)[0] for entry in srcset.split(", "))
    return urls


def test_a_photo_added_in_the_admin_is_in_the_bucket_and_the_page_links_it_signed(seller_client, bucket, settings):
    product = _product_from_the_admin(seller_client)
    image = ProductImage.objects.get(product=product)
    assert image.rendition_widths == list(RENDITION_WIDTHS)
    original = f"media/{image.image.name}"
    root = original.removesuffix(".jpg")
    assert re.fullmatch(r"media/products/\d{4}/\d{2}/kebaya(_\w+)?\.jpg", original), original
    assert bucket.keys() == sorted([original] + [f"{root}.w{width}.jpg" for width in RENDITION_WIDTHS])
    assert _local_files(settings) == []

    page = Client().get(_selling(product).get_absolute_url()).content.decode()
    pictures = _gallery_pictures(page)
    assert len(pictures) == 1 + len(RENDITION_WIDTHS), pictures
    for url in pictures:
        assert url.startswith(f"{bucket.server.endpoint}/{bucket.name}/{root}.w"), url  # a rendition, not the original
        assert "X-Amz-Signature=" in url, url
    for url in pictures:
        status, content_type, body = _fetch(url)
        assert (status, content_type) == (200, "image/jpeg"), (url, body[:200])
        with Image.open(io.BytesIO(body)) as picture:
            assert picture.format == "JPEG" and f".w{picture.width}.jpg" in url
    # The bucket is not public, and a signed link opens its own picture only.
    smallest = next(url for url in pictures if f".w{RENDITION_WIDTHS[0]}.jpg?" in url)
    assert _refused(*_status_and_body(_unsigned(smallest)))
    assert _refused(
        *_status_and_body(smallest.replace(f".w{RENDITION_WIDTHS[0]}.jpg?", f".w{RENDITION_WIDTHS[1]}.jpg?"))
    )


# 3. The shipping import


def _in_production(count: int) -> list[Order]:
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    orders = []
    for number in range(count):
        order = place_order(
            campaign, [(campaign.items.first(), 1)], plan="full", phone=f"08129876{number:04d}", email=f"b{number}@x.id"
        )
        payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
        orders.append(order)
    Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    return orders


def test_a_shipping_file_waits_in_the_bucket_until_confirmed_once(seller_client, bucket, settings):
    orders = _in_production(2)
    waiting = f"private/{SHIPMENTS_PENDING}/"
    assert bucket.keys(waiting) == []
    seller = _english(seller_client)
    refused = seller.post(
        reverse("admin:orders_order_import"),
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("resi.csv", b"Nama,Alamat\nSiti,Jl. Kaliurang\n"),
        },
    )
    assert "missing: order number, courier, resi" in " ".join(refused.context["form"].errors["import_file"])
    assert bucket.keys(waiting) == []  # a file that cannot be confirmed is not kept
    csv = "Nomor pesanan,Kurir,No resi\n" + "".join(f"{order.number},J&T,JP{order.pk:010d}\n" for order in orders)
    preview = seller.post(
        reverse("admin:orders_order_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("resi.csv", csv.encode())},
    )
    confirm_form = preview.context["confirm_form"]
    assert confirm_form is not None, preview.context.get("shipment_problems")
    confirm = {name: confirm_form[name].value() for name in confirm_form.fields}
    assert bucket.keys(waiting) == [f"{waiting}{confirm['import_file_name']}.upload"]
    assert bucket.read(f"{waiting}{confirm['import_file_name']}.upload") == csv.encode()
    assert _local_files(settings) == []

    done = seller.post(reverse("admin:orders_order_process_import"), confirm)
    assert done.status_code == 302
    assert "2 orders shipped" in _said(done)
    assert bucket.keys(waiting) == []
    shipped = dict(Order.objects.filter(status=Order.Status.SHIPPED).values_list("number", "tracking_number"))
    assert shipped == {order.number: f"JP{order.pk:010d}" for order in orders}
    events = OrderEvent.objects.count()

    again = seller.post(reverse("admin:orders_order_process_import"), confirm)
    assert again.status_code == 302
    assert "no longer waiting" in _said(again), _said(again)
    assert OrderEvent.objects.count() == events
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 2
    assert bucket.keys(waiting) == []


def test_a_shipping_file_nobody_confirmed_leaves_the_bucket_a_day_later(seller_client, bucket):
    orders = _in_production(1)
    waiting = f"private/{SHIPMENTS_PENDING}/"
    csv = f"Nomor pesanan,Kurir,No resi\n{orders[0].number},J&T,JP0000000001\n".encode()
    seller = _english(seller_client)
    upload = reverse("admin:orders_order_import")
    first = seller.post(upload, {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("a.csv", csv)})
    forgotten = f"{waiting}{first.context['confirm_form']['import_file_name'].value()}.upload"
    assert bucket.keys(waiting) == [forgotten]
    a_day_later = timezone.now() + PENDING_KEPT + datetime.timedelta(minutes=1)
    with mock.patch("fulfilment.shipping_import.files.timezone.now", return_value=a_day_later):
        second = seller.post(upload, {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("b.csv", csv)})
    assert bucket.keys(waiting) == [f"{waiting}{second.context['confirm_form']['import_file_name'].value()}.upload"]


# 4. The bank statement import


def _bca_statement(amount: int) -> bytes:
    day = timezone.localdate()
    return (
        "No. Rekening,=,'0202405914\nNama,=,TOKO BATIK\nMata Uang,=,IDR\n\n"
        "Tanggal,Keterangan,Cabang,Jumlah,,Saldo\n"
        f"'{day:%d/%m/%Y},TRSF E-BANKING CR 0001/FTSCY/WS95031 PEMBELI,'0000,{amount}.00,CR,9000000.00\n"
        "Saldo Awal,=,0.00\nKredit,=,0.00\nDebet,=,0.00\nSaldo Akhir,=,0.00\n"
    ).encode()


def test_a_bank_statement_waits_in_the_bucket_until_it_is_imported(seller_client, on_sale, bucket, settings):
    account = BankAccount.objects.create(bank_name="BCA", account_number="0202405914", account_holder="Toko Batik")
    order = place_order(on_sale, [(on_sale.items.first(), 1)], plan="full")
    statement = _bca_statement(order.first_transfer_idr)
    seller = _english(seller_client)
    url = reverse("admin:payments_bankstatementimport_import")
    preview = seller.post(
        url,
        {"step": "upload", "bank_account": account.pk, "layout": "bca", "file": SimpleUploadedFile("m.csv", statement)},
    )
    assert f"confirmed: pays {order.number}" in preview.content.decode()
    waiting = f"private/{STATEMENTS_PENDING}/"
    kept = bucket.keys(waiting)
    assert len(kept) == 1 and kept[0].endswith(".upload")
    assert bucket.read(kept[0]) == statement
    assert _local_files(settings) == []

    token = re.search(r'name="token" value="([^"]+)"', preview.content.decode()).group(1)
    done = seller.post(url, {"step": "confirm", "token": token}, follow=True)
    assert "1 matched and confirmed" in _said(done)
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert bucket.keys(waiting) == []
    twice = seller.post(url, {"step": "confirm", "token": token}, follow=True)
    assert "no longer waiting" in _said(twice)
    assert BankStatementImport.objects.count() == 1


# 5. A buyer's personal data


def test_the_purge_deletes_the_buyers_proof_from_the_bucket(
    on_sale, bucket, django_capture_on_commit_callbacks, settings
):
    ended = place_order(on_sale, [(on_sale.items.first(), 1)], plan="full", phone="081200000001", email="a@x.id")
    kept = place_order(on_sale, [(on_sale.items.first(), 1)], plan="full", phone="081200000002", email="b@x.id")
    for order in (ended, kept):
        payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    proof = f"private/{Payment.objects.get(order=ended).proof.name}"
    other = f"private/{Payment.objects.get(order=kept).proof.name}"
    assert bucket.keys("private/proofs/") == sorted([proof, other])
    long_ago = timezone.now() - datetime.timedelta(days=400)
    Order.objects.filter(pk=ended.pk).update(status=Order.Status.COMPLETED, completed_at=long_ago)
    OrderEvent.objects.filter(order=ended).update(at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):  # the object goes once the rows are committed
        assert personal_data_purge(days=settings.PERSONAL_DATA_DAYS, now=timezone.now()) == (1, 1)
    assert bucket.keys("private/proofs/") == [other]
    assert not Payment.objects.get(order=ended).proof


# 6. Settings made from the environment


def _settings_loaded(code: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    """`code` run after the settings load in a new process with `environment`, as an app server starts."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(environment, DJANGO_SETTINGS_MODULE="preorder_shop.settings")
    env.pop("PRODUCTION", None)
    script = f"import json\nfrom django.conf import settings\nsettings.INSTALLED_APPS\n{code}"
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_a_buyers_page_allows_the_buckets_pictures_in_its_csp(client, bucket, settings):
    loaded = _settings_loaded(
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY))",
        shop_environment(bucket.server, bucket=bucket.name),
    )
    assert loaded.returncode == 0, loaded.stderr
    policy = json.loads(loaded.stdout)
    endpoint = urllib.parse.urlsplit(bucket.server.endpoint)
    bucket_host = f"{endpoint.scheme}://{bucket.name}.{endpoint.netloc}"  # for a provider that names buckets so
    assert policy["DIRECTIVES"]["img-src"] == ["'self'", "data:", "blob:", bucket.server.endpoint, bucket_host]
    settings.CONTENT_SECURITY_POLICY = policy

    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    image = ProductImage.objects.create(
        product=campaign.items.get().variant.product, image=_photo_upload(), alt_text="Kebaya biru"
    )
    product_image_renditions_make(product_image=image)
    response = client.get(campaign.get_absolute_url())
    directives = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    allowed = directives["img-src"].split()
    assert bucket.server.endpoint in allowed
    pictures = _gallery_pictures(response.content.decode())
    assert pictures
    for url in pictures:
        parts = urllib.parse.urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" in allowed, url


@pytest.mark.parametrize(
    "public",
    [{"AWS_QUERYSTRING_AUTH": "false"}, {"AWS_S3_CUSTOM_DOMAIN": "cdn.toko.example.id"}],
    ids=["unsigned", "custom-domain"],
)
def test_public_pictures_need_a_private_bucket_of_their_own_for_the_proofs(s3_server, public):
    environment = shop_environment(s3_server, bucket="toko-gambar", **public)
    for private_bucket in ({}, {"AWS_PRIVATE_STORAGE_BUCKET_NAME": "toko-gambar"}):  # none, or the same one
        refused = _settings_loaded("", {**environment, **private_bucket})
        assert refused.returncode != 0
        assert "ImproperlyConfigured" in refused.stderr and "AWS_PRIVATE_STORAGE_BUCKET_NAME" in refused.stderr

    loaded = _settings_loaded(
        "print(json.dumps(settings.STORAGES))", {**environment, "AWS_PRIVATE_STORAGE_BUCKET_NAME": "toko-bukti"}
    )
    assert loaded.returncode == 0, loaded.stderr
    storages = json.loads(loaded.stdout)
    assert storages["private"]["OPTIONS"]["bucket_name"] == "toko-bukti"
    assert storages["private"]["OPTIONS"]["querystring_auth"] is True
    assert storages["private"]["BACKEND"] == "preorder_shop.storage_s3.PrivateS3Storage"


def test_the_private_storage_follows_the_settings_back_to_the_local_folder(bucket, settings, on_sale):
    order = place_order(on_sale, [(on_sale.items.first(), 1)])
    submit_transfer(order, order.first_transfer_idr)
    assert len(bucket.keys("private/proofs/")) == 1
    settings.STORAGES = {**settings.STORAGES, "private": {"BACKEND": "preorder_shop.storage.PrivateFileSystemStorage"}}
    name = Payment.objects.get(order=order).proof.name
    assert not private_storage.exists(name)  # another storage now: the local folder, which has no such file
    assert private_storage.path("x").startswith(str(settings.PRIVATE_MEDIA_ROOT))
