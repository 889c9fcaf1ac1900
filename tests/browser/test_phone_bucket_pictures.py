"""On a phone, with the shop's files in an S3-compatible bucket (a real local one): the PO's pictures load
from the bucket's signed links, and the page's CSP lets them in."""

import io
import os
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from campaigns.models import CampaignItem
from catalog.models import ProductImage
from catalog.services import product_image_renditions_make
from tests.factories import campaign_with_products

pytestmark = pytest.mark.django_db(transaction=True)


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), "#7a4b2a").save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile("kebaya.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_the_pos_pictures_load_from_the_bucket_on_a_phone(phone, bucket):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["M"]}, title="PO Kebaya Kutubaru")
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=425_000)
    product = campaign.items.get().variant.product
    image = ProductImage.objects.create(product=product, image=_photo(), alt_text="Kebaya cokelat")
    assert product_image_renditions_make(product_image=image)
    assert len(bucket.keys("media/products/")) == 4  # the original and three renditions

    refused = []
    phone.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text else None)
    phone.goto(campaign.get_absolute_url())
    picture = phone.get_by_role("img", name="Kebaya cokelat")
    picture.scroll_into_view_if_needed()
    expect(picture).to_be_visible()
    phone.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    loaded = picture.evaluate("(img) => ({src: img.currentSrc, width: img.naturalWidth})")
    assert loaded["src"].startswith(f"{bucket.server.endpoint}/{bucket.name}/media/products/")
    assert "X-Amz-Signature=" in loaded["src"]
    assert re.search(r"/kebaya\w*\.w(320|640|1024)\.jpg\?", loaded["src"]), "a rendition, not the 1600 px original"
    assert loaded["width"] > 0
    assert refused == []
    if os.environ.get("SCREENSHOT_DIR"):
        Path(os.environ["SCREENSHOT_DIR"]).mkdir(parents=True, exist_ok=True)
        picture.screenshot(path=str(Path(os.environ["SCREENSHOT_DIR"]) / "bucket-picture.png"))
