import io
import struct
import zlib

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, TextStringObject

from payments.exceptions import ProofRejected
from payments.models import Payment
from payments.proofs import proof_clean
from payments.services import payment_submit
from tests.factories import place_order
from tests.payments.conftest import png_upload

pytestmark = pytest.mark.django_db


def _upload(data: bytes, name: str, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture: a decompression bomb."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _pdf(with_script: bool = False, password: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if with_script:
        script = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('boo');")}
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(script)
        writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(script)})
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_photo_is_re_encoded_without_its_metadata():
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Kamera Rahasia"  # Make
    Image.new("RGB", (400, 300), "#00aa55").save(buffer, format="JPEG", exif=exif)
    original = buffer.getvalue() + b"<script>trailing</script>"

    clean = proof_clean(_upload(original, "foto.jpg", "image/jpeg"))

    data = clean.file.read()
    assert clean.content_type == "image/jpeg"
    assert data != original and b"Kamera Rahasia" not in data and b"<script>" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (400, 300)


def test_a_pdf_is_rewritten_without_scripts():
    clean = proof_clean(_upload(_pdf(with_script=True), "bukti.pdf", "application/pdf"))
    data = clean.file.read()
    assert clean.content_type == "application/pdf"
    assert b"app.alert" not in data and b"/JavaScript" not in data
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<html><script>alert(document.cookie)</script></html>", "bukti.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "bukti.png"),
        (b"GIF89a" + b"\x00" * 100, "bukti.gif"),
        (b"MZ\x90\x00" + b"\x00" * 200, "bukti.jpg"),
        (b"PK\x03\x04" + b"\x00" * 200, "bukti.pdf"),
        (b"", "kosong.png"),
    ],
    ids=["html-as-png", "svg-as-png", "gif", "exe-as-jpg", "zip-as-pdf", "empty"],
)
def test_anything_but_a_picture_or_pdf_is_refused_whatever_its_name(data, name):
    with pytest.raises(ProofRejected):
        proof_clean(_upload(data, name))


def test_a_gif_picture_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    with pytest.raises(ProofRejected):
        proof_clean(_upload(buffer.getvalue(), "bukti.gif", "image/gif"))


def test_an_oversized_file_is_refused(settings):
    settings.PROOF_MAX_BYTES = 1024
    with pytest.raises(ProofRejected, match="MB"):
        proof_clean(_upload(b"\x89PNG" + b"\x00" * 2048, "besar.png"))


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    with pytest.raises(ProofRejected):
        proof_clean(_upload(_png_claiming(50_000, 50_000), "bom.png"))


def test_a_picture_over_the_pixel_limit_is_refused(settings):
    settings.PROOF_MAX_PIXELS = 10_000
    with pytest.raises(ProofRejected):
        proof_clean(png_upload(size=(200, 200)))


def test_a_password_protected_pdf_is_refused():
    with pytest.raises(ProofRejected):
        proof_clean(_upload(_pdf(password="rahasia"), "bukti.pdf", "application/pdf"))


@pytest.fixture
def two_orders(campaign):
    mine = place_order(campaign, [(campaign.items.first(), 1)], email="saya@example.com", phone="081111111111")
    theirs = place_order(campaign, [(campaign.items.first(), 1)], email="orang@example.com", phone="082222222222")
    payments = {}
    for order in (mine, theirs):
        payments[order.pk] = payment_submit(
            order=order,
            amount_idr=order.first_transfer_idr,
            paid_on=timezone.localdate(),
            from_bank="BCA",
            from_account_name=order.buyer_name,
            proof_file=png_upload(),
            now=timezone.now(),
        )
    return mine, theirs, payments


def test_the_buyer_sees_their_own_proof_and_nobody_else_does(client, two_orders):
    mine, theirs, payments = two_orders
    own = client.get(reverse("payments:proof", args=[mine.token, payments[mine.pk].pk]))
    assert own.status_code == 200
    assert own["Content-Type"] == "image/png"
    assert own["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in own["Content-Security-Policy"]
    assert "no-store" in own["Cache-Control"]

    # Another buyer's proof with my token, and a made-up token: nothing.
    assert client.get(reverse("payments:proof", args=[mine.token, payments[theirs.pk].pk])).status_code == 404
    assert (
        client.get(reverse("payments:proof", args=["tebakan-yang-salah-sekali", payments[theirs.pk].pk])).status_code
        == 404
    )
    # The staff address is for staff only.
    staff_url = reverse("payments:proof_staff", args=[payments[theirs.pk].pk])
    assert client.get(staff_url).status_code == 302


def test_staff_with_the_permission_see_any_proof(admin_client, two_orders):
    _, theirs, payments = two_orders
    assert admin_client.get(reverse("payments:proof_staff", args=[payments[theirs.pk].pk])).status_code == 200


def test_proofs_are_stored_outside_the_public_media_folder_under_random_names(two_orders):
    _, _, payments = two_orders
    for payment in Payment.objects.filter(pk__in=[payment.pk for payment in payments.values()]):
        path = payment.proof.path
        assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
        assert not path.startswith(str(settings.MEDIA_ROOT))
        assert "bukti" not in payment.proof.name
        with pytest.raises(ValueError):
            _ = payment.proof.url


def test_a_jpeg_comment_and_a_png_icc_profile_with_any_bytes_are_not_kept():
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "#aa0055").save(buffer, format="JPEG", comment=b"<script>komentar</script>")
    assert b"komentar" in buffer.getvalue()
    clean = proof_clean(_upload(buffer.getvalue(), "foto.jpg", "image/jpeg")).file.read()
    assert b"komentar" not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert "comment" not in image.info

    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "#0055aa").save(buffer, format="PNG", icc_profile=b"<script>profil</script>" * 4)
    clean = proof_clean(_upload(buffer.getvalue(), "layar.png")).file.read()
    with Image.open(io.BytesIO(clean)) as image:
        assert "icc_profile" not in image.info
    assert b"profil" not in clean and b"iCCP" not in clean


def test_a_pdf_loses_piece_info_scripts_launch_actions_and_embedded_files():
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    page = writer.pages[0]
    script = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('piece');")}
    )
    page[NameObject("/PieceInfo")] = DictionaryObject(
        {NameObject("/Evil"): DictionaryObject({NameObject("/Private"): writer._add_object(script)})}
    )
    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    embedded = DecodedStreamObject()
    embedded.set_data(b"MZ-secret-payload")
    embedded[NameObject("/Type")] = NameObject("/EmbeddedFile")
    attachment = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/FS"): DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Filespec"),
                    NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(embedded)}),
                }
            ),
        }
    )
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/A"): writer._add_object(launch),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(attachment), writer._add_object(link)])
    writer.add_attachment("invoice.exe", b"MZ-document-level-attachment")
    buffer = io.BytesIO()
    writer.write(buffer)
    original = buffer.getvalue()
    assert b"/PieceInfo" in original and b"/Launch" in original

    data = proof_clean(_upload(original, "bukti.pdf", "application/pdf")).file.read()
    for forbidden in (b"/PieceInfo", b"app.alert", b"/Launch", b"calc.exe", b"/EmbeddedFile", b"MZ-", b"/JavaScript"):
        assert forbidden not in data, forbidden
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
