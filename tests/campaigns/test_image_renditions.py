"""Photos are served at the size a phone needs: renditions made at upload, offered with srcset."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import ProductImage
from catalog.services import product_image_renditions_make
from tests.factories import campaign_with_products

pytestmark = pytest.mark.django_db


def _photo(width=3000, height=2000) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((width, height), 64).convert("RGB").save(buffer, format="JPEG", quality=95)
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
        sources = re.findall(r'<img[^>]+src="([^"]+)"', html)
        assert sources and all(".w" in source for source in sources if "products/" in source)


def test_a_small_picture_is_not_blown_up(settings):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    product = campaign.items.get().variant.product
    image = ProductImage.objects.create(product=product, image=SimpleUploadedFile("kecil.jpg", _photo(500, 400)))
    assert product_image_renditions_make(product_image=image) == [320]
