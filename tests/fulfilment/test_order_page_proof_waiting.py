"""After sending a transfer proof the order's badge says the payment is with the seller, not that it still
waits for a payment; once the seller decides, it says the order's status again."""

import re

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns.models import CampaignItem
from orders.models import BankAccount
from payments.services import payment_confirm, payment_reject
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def order():
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Batik Sekar")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000, quota=10)
    return place_order(campaign, [(campaign.items.get(), 1)], plan="dp")


def _badge(client, order) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(order.get_absolute_url()).content.decode()
    return re.search(r"<p class=\"badge[^\"]*\" data-order-status[^>]*>([^<]+)</p>", html).group(1)


def test_the_badge_says_awaiting_payment_then_with_the_seller_after_a_proof(client, order):
    assert _badge(client, order) == "Waiting for payment"
    submit_transfer(order, order.first_transfer_idr)
    assert _badge(client, order) == "Payment sent, waiting for the seller's check"


def test_after_the_seller_decides_the_badge_says_the_status_again(client, order):
    rejected = submit_transfer(order, order.first_transfer_idr - 1_000)
    payment_reject(payment_id=rejected.pk, reason="Nominal kurang", now=timezone.now())
    assert _badge(client, order) == "Waiting for payment"

    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    assert _badge(client, order) == "DP paid"


def test_a_balance_proof_keeps_the_dp_in_the_badge(client, order):
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    submit_transfer(order_fresh(order), 100_000)
    assert _badge(client, order) == "DP paid; balance sent, waiting for the seller's check"
