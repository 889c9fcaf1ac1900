import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from campaigns.models import CampaignItem
from orders.models import Order
from payments.services import payment_submit
from tests.factories import campaign_with_products


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def png_upload(name="bukti.png", size=(300, 500), colour="#2266aa") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50, quota_total=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000, quota=20)
    return campaign


def submit_transfer(order, amount, *, now=None):
    """The buyer confirms a bank transfer of `amount` with a picture as proof."""
    return payment_submit(
        order=order,
        amount_idr=amount,
        paid_on=timezone.localdate(),
        from_bank="BCA",
        from_account_name="Siti Rahmawati",
        proof_file=png_upload(),
        now=now or timezone.now(),
    )


def order_fresh(order):
    """The order again from the database, with its payments and refunds."""
    return Order.objects.prefetch_related("payments", "refunds").get(pk=order.pk)
