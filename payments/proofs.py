"""Transfer proofs are checked by what they contain, never by their name,
and re-encoded so that only plain pictures and plain PDF pages are kept."""

import dataclasses
import hashlib
import io
from dataclasses import dataclass

import imagehash
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from .exceptions import ProofRejected

# MPO is the JPEG that many Android cameras write.
IMAGE_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "MPO": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("jpg", "image/jpeg"),
}
PDF_MAX_PAGES = 10
# What a page may carry besides its drawing: links and attachments (/Annots, with Launch
# actions and embedded files), page actions (/AA), application data that can hold
# JavaScript (/PieceInfo), XMP metadata and thumbnails.
PAGE_KEYS_DROPPED = ("/Annots", "/AA", "/PieceInfo", "/Metadata", "/Thumb")


@dataclass(frozen=True)
class CleanProof:
    file: ContentFile
    content_type: str
    sha256: str = ""  # of the file as the buyer sent it: the same file sent twice
    phash: str = ""  # of a picture (16x16, hex): the same screenshot re-saved, resized or recompressed


# imagehash.phash's size: the default 8x8 cannot tell two receipts of one banking app apart.
PHASH_SIZE = 16


def _reject_unreadable():
    return ProofRejected(_("Upload a photo or screenshot (JPG, PNG, WebP) or a PDF of the transfer."))


def proof_clean(uploaded) -> CleanProof:
    """A safe copy of an uploaded proof, or ProofRejected with a message for the buyer."""
    if uploaded.size > settings.PROOF_MAX_BYTES:
        raise ProofRejected(
            _("The file is too large; the limit is %(megabytes)d MB.")
            % {"megabytes": settings.PROOF_MAX_BYTES // 2**20}
        )
    uploaded.seek(0)
    data = uploaded.read(settings.PROOF_MAX_BYTES + 1)
    clean = _pdf_clean(data) if data.startswith(b"%PDF-") else _image_clean(data)
    return dataclasses.replace(clean, sha256=hashlib.sha256(data).hexdigest())


def _image_clean(data: bytes) -> CleanProof:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in IMAGE_FORMATS:
                raise _reject_unreadable()
            width, height = image.size
            if width * height > settings.PROOF_MAX_PIXELS:
                raise ProofRejected(_("The picture is too large; send a smaller photo or screenshot."))
            image.load()
            extension, content_type = IMAGE_FORMATS[image.format]
            picture = ImageOps.exif_transpose(image)
            if extension == "jpg" and picture.mode not in ("RGB", "L"):
                picture = picture.convert("RGB")
            elif extension == "png" and picture.mode not in ("RGB", "RGBA", "L", "LA"):
                picture = picture.convert("RGBA")  # keeps a palette's transparency without its chunks
            # Pillow writes back what it read into info (a JPEG comment, an ICC profile with any
            # bytes in it): start from the pixels alone.
            picture = picture.copy()
            picture.info = {}
            phash = str(imagehash.phash(picture, hash_size=PHASH_SIZE))
            output = io.BytesIO()
            # Saved afresh: no metadata, no trailing data, nothing but pixels.
            picture.save(output, format="JPEG" if extension == "jpg" else "PNG", quality=85)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, ValueError):
        raise _reject_unreadable() from None
    return CleanProof(
        file=ContentFile(output.getvalue(), name=f"proof.{extension}"), content_type=content_type, phash=phash
    )


def _pdf_clean(data: bytes) -> CleanProof:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ProofRejected(_("The PDF is password-protected; send one without a password."))
        if len(reader.pages) > PDF_MAX_PAGES:
            raise ProofRejected(_("The PDF has too many pages; send the page with the transfer."))
        writer = PdfWriter()
        for page in reader.pages:
            # Links, form fields and page actions can carry scripts: drop them
            # before copying, so that nothing they point to is copied either.
            for key in PAGE_KEYS_DROPPED:
                if key in page:
                    del page[key]
            writer.add_page(page)
        output = io.BytesIO()
        writer.write(output)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        raise _reject_unreadable() from None
    return CleanProof(file=ContentFile(output.getvalue(), name="proof.pdf"), content_type="application/pdf")
