"""On a phone: the buyer types the amount as the page prints it, sees the proof as received and
waiting for the seller (with a way to correct it), and reads the order history in English."""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from campaigns.models import CampaignItem
from orders.models import BankAccount
from orders.services import order_expire_overdue
from payments.models import Payment
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def order(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    BankAccount.objects.create(bank_name="BCA", account_number="8730123456", account_holder="Sekar Batik")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["M"]}, title="PO Batik Kawung", dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=450_000)
    return place_order(campaign, [(campaign.items.get(), 1)], plan="dp")


def _proof(tmp_path):
    path = tmp_path / "bukti.png"
    Image.new("RGB", (300, 500), "#2266aa").save(path, format="PNG")
    return str(path)


def test_the_buyer_types_the_amount_as_printed_and_sees_the_proof_waiting(phone, order, tmp_path):
    phone.goto(order.get_absolute_url())
    printed = phone.locator("[data-transfer-amount]").inner_text()  # "Rp225.xxx"
    assert re.fullmatch(r"Rp\d{3}\.\d{3}", printed)
    expect(phone.locator("[data-plan]")).to_be_visible()
    phone.get_by_label("Nominal yang ditransfer (Rp)").fill(printed)
    phone.get_by_label("Dari bank").fill("BCA")
    phone.get_by_label("Nama pemilik rekening").fill("Siti Rahmawati")
    phone.get_by_label("Bukti transfer").set_input_files(_proof(tmp_path))
    phone.get_by_role("button", name="Kirim konfirmasi pembayaran").click()

    expect(phone.locator("[data-proof-waiting]")).to_be_visible()
    assert Payment.objects.get(order=order).amount_idr == order.first_transfer_idr
    expect(phone.locator("[data-transfer-amount]")).to_have_count(0)  # no "transfer exactly" again
    expect(phone.get_by_role("button", name="Kirim konfirmasi pembayaran")).to_have_count(0)
    phone.locator("details summary").first.click()  # "made a mistake?": the corrected proof form opens
    expect(phone.get_by_label("Bukti transfer", exact=True).and_(phone.locator("input[type=file]"))).to_be_visible()


def test_an_amount_with_cents_is_explained_and_the_error_comes_into_view(phone, order, tmp_path):
    phone.goto(order.get_absolute_url())
    phone.get_by_label("Nominal yang ditransfer (Rp)").fill("225.803,50")
    phone.get_by_label("Dari bank").fill("BCA")
    phone.get_by_label("Nama pemilik rekening").fill("Siti Rahmawati")
    phone.get_by_label("Bukti transfer").set_input_files(_proof(tmp_path))
    phone.get_by_role("button", name="Kirim konfirmasi pembayaran").click()
    summary = phone.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    assert not Payment.objects.exists()


def test_the_order_history_reads_in_english_on_an_english_page(phone, order):
    order_expire_overdue(now=order.payment_deadline)
    phone.goto(order.get_absolute_url())
    phone.get_by_label("Bahasa").select_option("en")
    phone.get_by_role("button", name="Ganti").click()
    expect(phone.get_by_text(re.compile("Not paid by the deadline"))).to_be_visible()
