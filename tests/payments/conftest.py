import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaigns.models import CampaignItem
from preorder_shop.celery import app
from tests.factories import campaign_with_products


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def png_upload(name="bukti.png", size=(300, 500), colour="#2266aa") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50, quota_total=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000, quota=20)
    return campaign
