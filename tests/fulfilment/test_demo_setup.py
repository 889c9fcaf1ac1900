import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from catalog.models import Product, Variant
from orders.models import BankAccount, Order

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Product.objects.count(),
        Variant.objects.count(),
        Campaign.objects.count(),
        CampaignItem.objects.count(),
        Order.objects.count(),
        BankAccount.objects.count(),
    )


def test_demo_setup_loads_a_realistic_shop_and_is_safe_to_run_twice(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = io.StringIO()
    call_command("demo_setup", stdout=first)
    counts = _counts()

    second = io.StringIO()
    call_command("demo_setup", stdout=second)

    assert _counts() == counts
    now = timezone.now()
    statuses = {campaign.slug: campaign.status_at(now) for campaign in Campaign.objects.all()}
    assert Campaign.Status.OPEN in statuses.values()
    assert Campaign.Status.COMING_SOON in statuses.values()
    assert Campaign.Status.CLOSED in statuses.values()
    assert statuses["po-kue-lebaran"] == Campaign.Status.OPEN
    lebaran = Campaign.objects.get(slug="po-kue-lebaran")
    assert lebaran.quota_total and lebaran.closes_at.month in (2, 3, 4)  # before Idul Fitri
    limited = Campaign.objects.get(slug="po-tote-bag-lukis-edisi-terbatas")
    assert limited.quota_total == 25
    batik = Product.objects.get(slug="kemeja-batik-tulis-parang")
    assert batik.variants.count() == 8 and batik.images.exists()

    assert Order.objects.count() == 3
    assert Order.objects.filter(status=Order.Status.DP_PAID).count() == 1
    assert BankAccount.objects.count() == 2

    password = (tmp_path / "demo-seller-password.txt").read_text()
    assert f"penjual / {password}" in first.getvalue()
    assert f"penjual / {password}" in second.getvalue()
