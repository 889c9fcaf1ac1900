"""Photos are served at the size a phone needs: renditions made at upload, offered with srcset."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import ProductImage
from catalog.services import product_image_renditions_make
from tests.factories import campaign_with_products
from tests.helpers import seeded_random

pytestmark = pytest.mark.django_db


def _photo(width=3000, height=2000) -> bytes:
    """A photo of noise, which compresses badly (as a real photo does), the same noise every run."""
    noise = seeded_random(width * height).randbytes(width * height)
    buffer = io.BytesIO()
    Image.frombytes("L", (width, height), noise).convert("RGB").save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def test_an_uploaded_photo_gets_smaller_renditions_and_pages_offer_them(client, settings):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    product = campaign.items.get().variant.product
    original = _photo()
    image = ProductImage.objects.create(product=product, image=SimpleUploadedFile("foto.jpg", original))
    assert product_image_renditions_make(product_image=image) == [320, 640, 1024]
    for width in (320, 640, 1024):
        path = settings.MEDIA_ROOT / image.image.name.replace(".jpg", f".w{width}.jpg")
        with Image.open(path) as rendition:
            assert rendition.width == width
        assert path.stat().st_size < len(original) / 4

    for url in ("/", campaign.get_absolute_url()):
        html = client.get(url).content.decode()
        srcset = re.search(r'srcset="([^"]+)"', html).group(1)
        assert [entry.split()[-1] for entry in srcset.split(", ")] == ["320w", "640w", "1024w"]
        # The plain src is a rendition too, never the 3000-pixel original.
        photos = [source for source in re.findall(r'<img[^>]+src="([^"]+)"', html) if "products/" in source]
        assert photos and [source for source in photos if ".w" not in source] == [], photos


def test_a_small_picture_is_not_blown_up(settings):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    product = campaign.items.get().variant.product
    image = ProductImage.objects.create(product=product, image=SimpleUploadedFile("kecil.jpg", _photo(500, 400)))
    assert product_image_renditions_make(product_image=image) == [320]
