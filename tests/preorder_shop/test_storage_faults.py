"""The shop's files when their storage fails, and pictures' signed links that browsers can keep.

A bucket that does not answer (or a full disk) while a buyer sends a proof or the seller imports a file: a
page or message that says so, nothing recorded, and the next try works. A picture's signed link is the same
for hours, on every server, and still opens."""

import datetime
import errno
import socket
import threading
import urllib.error
import urllib.request
from unittest import mock

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignItem
from catalog.models import Product, ProductImage
from payments.models import BankStatementImport, Payment
from preorder_shop.storage import private_files_refused_without_the_key, private_storage
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import png_upload
from tests.preorder_shop.test_object_storage import product_admin_form
from tests.s3_server import s3_server_start, shop_settings

pytestmark = pytest.mark.django_db
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def bucket_gone(bucket, settings):
    """The shop's bucket settings, with the endpoint moved to a port where nothing answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    storages = settings.STORAGES
    settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{port}"
    settings.STORAGES = {**storages}  # made again, with the dead endpoint
    return bucket


@pytest.fixture
def on_sale():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000)
    return campaign


def _proof_posted(client: Client, order):
    return client.post(
        reverse("fulfilment:payment_submit", args=[order.token]),
        {
            "amount_idr": str(order.first_transfer_idr),
            "paid_on": timezone.localdate().isoformat(),
            "from_bank": "BCA",
            "from_account_name": "Siti Rahmawati",
            "proof": png_upload(),
        },
        follow=True,
    )


def test_a_proof_sent_while_the_bucket_does_not_answer_is_refused_plainly_and_the_next_try_works(
    bucket_gone, settings, on_sale, s3_server
):
    order = place_order(on_sale, [(on_sale.items.first(), 1)])
    buyer = Client()
    buyer.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    refused = _proof_posted(buyer, order)
    assert refused.status_code == 200
    assert "We could not save your transfer proof, so nothing was recorded" in refused.content.decode()
    assert not Payment.objects.filter(order=order).exists()
    assert bucket_gone.keys() == []

    settings.AWS_S3_ENDPOINT_URL = s3_server.endpoint  # the bucket answers again
    settings.STORAGES = {**settings.STORAGES}
    _proof_posted(buyer, order)
    payment = Payment.objects.get(order=order)
    assert bucket_gone.keys() == [f"private/{payment.proof.name}"]


def test_the_seller_gets_a_page_that_says_so_when_an_import_cannot_be_kept(bucket_gone, seller_client, settings):
    from orders.models import BankAccount  # noqa: PLC0415 - the one test that needs an account

    account = BankAccount.objects.create(bank_name="BCA", account_number="0202405914", account_holder="Toko")
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = seller_client.post(
        reverse("admin:payments_bankstatementimport_import"),
        {"step": "upload", "bank_account": account.pk, "layout": "bca", "file": SimpleUploadedFile("m.csv", b"x")},
    )
    assert response.status_code == 503
    assert "Files cannot be saved right now" in response.content.decode()
    assert "nothing was recorded" in response.content.decode()
    assert response["Retry-After"] == "60" and "no-store" in response["Cache-Control"]
    assert not BankStatementImport.objects.exists()


def test_a_product_photo_uploaded_while_the_bucket_does_not_answer_saves_no_product(bucket_gone, seller_client):
    response = seller_client.post(reverse("admin:catalog_product_add"), product_admin_form())
    assert response.status_code == 503
    assert not Product.objects.exists() and not ProductImage.objects.exists()


def test_a_full_disk_under_the_shipping_import_gets_the_same_page(seller_client, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch.object(FileSystemStorage, "_save", side_effect=full):
        response = seller_client.post(
            reverse("admin:orders_order_import"),
            {
                "resource": "0",
                "format": "0",
                "import_file": SimpleUploadedFile("kirim.csv", b"order,courier,resi\nPO-1,JNE,123\n"),
            },
        )
    assert response.status_code == 503
    assert "Files cannot be saved right now" in response.content.decode()
    assert list((tmp_path / "private").rglob("*.upload")) == []


def test_a_proof_missing_from_the_bucket_is_not_found_not_a_storage_fault(bucket, seller_client, on_sale):
    order = place_order(on_sale, [(on_sale.items.first(), 1)])
    _proof_posted(Client(), order)
    payment = Payment.objects.get(order=order)
    bucket.server.remove(bucket.name, f"private/{payment.proof.name}")  # say, a bucket restored from before it
    assert seller_client.get(reverse("payments:proof_staff", args=[payment.pk])).status_code == 404


def test_a_pictures_signed_link_is_the_same_for_hours_on_every_server_and_opens(bucket, settings):
    name = default_storage.save("products/kebaya.jpg", SimpleUploadedFile("kebaya.jpg", b"\xff\xd8picture"))
    expire = default_storage.querystring_expire
    window = expire // 2
    start = 1_800_000_000 // window * window
    with mock.patch("preorder_shop.storage_s3.time.time", return_value=start + 60):
        first = default_storage.url(name)
    settings.STORAGES = {**settings.STORAGES}  # another server: a storage of its own, signing with the same key
    with mock.patch("preorder_shop.storage_s3.time.time", return_value=start + window - 60):
        later = default_storage.url(name)
    with mock.patch("preorder_shop.storage_s3.time.time", return_value=start + window + 60):
        next_window = default_storage.url(name)
    assert first == later
    assert next_window != first

    current = default_storage.url(name)  # signed at the start of this window, hours ago perhaps: still open
    with DIRECT.open(current, timeout=10) as response:
        assert response.status == 200 and response.read() == b"\xff\xd8picture"
    assert f"X-Amz-Expires={expire}&" in current
    with pytest.raises(urllib.error.HTTPError):  # the signature covers the expiry: a longer one is refused
        DIRECT.open(current.replace(f"X-Amz-Expires={expire}&", f"X-Amz-Expires={expire * 2}&"), timeout=10)


def test_the_deploy_check_passes_a_private_bucket_and_leaves_nothing_in_it(bucket):
    assert private_files_refused_without_the_key() == []
    assert bucket.keys() == []


def test_the_deploy_check_refuses_a_bucket_that_gives_proofs_to_anyone(settings):
    public = s3_server_start(public=True)
    try:
        name = public.bucket_create()
        for setting, value in shop_settings(public, bucket=name).items():
            setattr(settings, setting, value)
        assert [message.id for message in private_files_refused_without_the_key()] == ["prapesan.E102"]
        assert public.keys(name) == []
    finally:
        public.stop()


def test_the_deploy_check_says_when_the_bucket_takes_no_file(bucket_gone):
    assert [message.id for message in private_files_refused_without_the_key()] == ["prapesan.E101"]


def test_public_pictures_get_plain_links_and_proofs_stay_in_their_own_bucket(s3_server, settings, on_sale):
    pictures, proofs = s3_server.bucket_create(), s3_server.bucket_create()
    try:
        for setting, value in shop_settings(s3_server, bucket=pictures, private_bucket=proofs).items():
            setattr(settings, setting, value)
        settings.AWS_QUERYSTRING_AUTH = False
        settings.STORAGES = {**settings.STORAGES}  # made again, with public pictures
        name = default_storage.save("products/kebaya.jpg", SimpleUploadedFile("kebaya.jpg", b"\xff\xd8picture"))
        assert default_storage.url(name) == f"{s3_server.endpoint}/{pictures}/media/{name}"  # plain: a CDN keeps it

        order = place_order(on_sale, [(on_sale.items.first(), 1)])
        _proof_posted(Client(), order)
        proof = Payment.objects.get(order=order).proof.name
        assert s3_server.keys(proofs) == [f"private/{proof}"]
        assert s3_server.keys(pictures) == [f"media/{name}"]
    finally:
        s3_server.bucket_remove(pictures)
        s3_server.bucket_remove(proofs)


def test_a_file_read_after_it_was_opened_fails_as_a_disk_does(bucket, settings):
    from preorder_shop.storage import StorageUnavailable  # noqa: PLC0415

    name = private_storage.save("proofs/1/a.png", SimpleUploadedFile("a.png", b"png bytes"))
    opened = private_storage.open(name)  # the bucket says it is there; the bytes come on the first read
    bucket.server.remove(bucket.name, f"private/{name}")
    with pytest.raises(FileNotFoundError):
        opened.read()

    leaving = s3_server_start()  # a server of its own, stopped between the open and the read
    try:
        for setting, value in shop_settings(leaving, bucket=leaving.bucket_create()).items():
            setattr(settings, setting, value)
        name = private_storage.save("proofs/1/b.png", SimpleUploadedFile("b.png", b"png bytes"))
        opened = private_storage.open(name)
    finally:
        leaving.stop()
    with pytest.raises(StorageUnavailable):
        opened.read()
    assert opened._file is None  # nothing half read stands for the file


def test_a_bucket_that_is_not_there_is_the_storages_fault_not_a_missing_file(bucket, settings):
    from preorder_shop.storage import storage_trouble  # noqa: PLC0415

    settings.AWS_STORAGE_BUCKET_NAME = settings.AWS_PRIVATE_STORAGE_BUCKET_NAME = "no-such-bucket"
    settings.STORAGES = {**settings.STORAGES, "private": {**settings.STORAGES["private"]}}
    settings.STORAGES["private"]["OPTIONS"] = {**settings.STORAGES["private"]["OPTIONS"], "bucket_name": "no-such"}
    with pytest.raises(OSError) as raised:
        private_storage.save("proofs/1/a.png", SimpleUploadedFile("a.png", b"png bytes"))
    assert storage_trouble(raised.value), raised.value


def test_a_link_signed_for_a_picture_leaves_other_threads_signing_at_the_real_time(bucket):
    import botocore.auth  # noqa: PLC0415

    from preorder_shop.storage_s3 import _signed_as_at  # noqa: PLC0415

    long_ago = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    seen_elsewhere = []
    with _signed_as_at(long_ago):  # this thread is signing a picture's link as at its window's start
        assert botocore.auth.get_current_datetime() == long_ago.replace(tzinfo=None)
        other = threading.Thread(target=lambda: seen_elsewhere.append(botocore.auth.get_current_datetime()))
        other.start()
        other.join()
        # A request another thread signs now (an upload's part, a proof opened) carries today's date.
        url = []
        uploader = threading.Thread(
            target=lambda: url.append(
                private_storage.connection.meta.client.generate_presigned_url(
                    "get_object", Params={"Bucket": bucket.name, "Key": "private/x"}
                )
            )
        )
        uploader.start()
        uploader.join()
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert abs((seen_elsewhere[0] - now).total_seconds()) < 60
    assert f"X-Amz-Date={now:%Y%m%d}" in url[0]
    assert botocore.auth.get_current_datetime() != long_ago.replace(tzinfo=None)
