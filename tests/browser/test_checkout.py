import re

import pytest
from playwright.sync_api import expect

from campaigns.models import CampaignItem
from orders.models import BankAccount, Order
from tests.factories import campaign_with_products

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaign():
    BankAccount.objects.create(bank_name="BCA", account_number="8730123456", account_holder="Sekar Batik")
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["M", "L"]}, title="PO Batik Kawung", dp_percent=50, quota_total=20
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000, quota=10)
    return campaign


def _buyer_details_fill(phone, email: str = "") -> None:
    """Who and where, as a buyer types them, and the PO terms accepted."""
    phone.get_by_label("Nama lengkap").fill("Budi Santoso")
    phone.get_by_label("Nomor WhatsApp").fill("0812 3456 7890")
    if email:
        phone.get_by_label("E-mail").fill(email)
    phone.get_by_label("Provinsi").select_option("Jawa Tengah")
    phone.get_by_label("Kota/Kabupaten").fill("Kota Surakarta")
    phone.get_by_label("Kecamatan").fill("Laweyan")
    phone.get_by_label("Kode pos").fill("57148")
    phone.get_by_label("Alamat lengkap").fill("Jl. Dr. Radjiman No. 5")
    phone.get_by_role("checkbox").check()


def test_a_buyer_on_a_phone_orders_two_variants_with_dp(phone, campaign, live_server):
    phone.goto(campaign.get_absolute_url())
    phone.get_by_role("spinbutton", name=re.compile(r"^M\b")).fill("2")
    phone.get_by_role("spinbutton", name=re.compile(r"^L\b")).fill("1")
    phone.get_by_role("button", name="Lanjut pesan").click()

    expect(phone.get_by_role("heading", name="Pesananmu")).to_be_visible()
    expect(phone.locator("[data-total]")).to_have_text("Rp600.000")
    phone.get_by_role("radio", name=re.compile(r"DP Rp300\.000")).check()
    phone.get_by_label("Catatan untuk item ini (opsional)").first.fill("Bordir: Budi")
    _buyer_details_fill(phone, email="budi@example.com")
    phone.get_by_role("button", name="Buat pesanan").click()

    order = Order.objects.get()
    transfer = f"Rp{order.first_transfer_idr:,}".replace(",", ".")
    expect(phone.locator("[data-transfer-amount]")).to_have_text(transfer)
    expect(phone.get_by_text("8730123456")).to_be_visible()
    assert order.first_payment_idr == 300_000 and order.units == 3

    phone.get_by_role("link", name="Buka halaman pesananmu").click()
    expect(phone.get_by_role("heading", name=f"Pesanan {order.number}")).to_be_visible()
    expect(phone.locator("[data-order-status]")).to_have_text("Menunggu pembayaran")
    expect(phone.get_by_text("Bordir: Budi")).to_be_visible()

    response = phone.goto(f"{live_server.url}/pesanan/{order.number}/")
    assert response.status == 404


def test_a_buyer_who_loses_the_last_one_is_told_on_the_pos_page(phone, campaign):
    medium = campaign.items.order_by("position").first()
    CampaignItem.objects.filter(pk=medium.pk).update(quota=1)
    phone.goto(campaign.get_absolute_url())
    phone.get_by_role("spinbutton", name=re.compile(r"^M\b")).fill("1")
    phone.get_by_role("button", name="Lanjut pesan").click()
    expect(phone.get_by_role("heading", name="Pesananmu")).to_be_visible()
    _buyer_details_fill(phone)
    CampaignItem.objects.filter(pk=medium.pk).update(units_reserved=1)  # another buyer took the last one
    phone.get_by_role("button", name="Buat pesanan").click()

    expect(phone.locator("ul.messages[role=status]")).to_have_text(f"{medium.variant} baru saja habis.")
    expect(phone.get_by_role("heading", name="PO Batik Kawung", level=1)).to_be_visible()
    assert phone.url.endswith(f"?habis={medium.pk}")
    assert not Order.objects.exists()
