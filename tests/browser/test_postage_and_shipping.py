"""On a phone: the checkout shows the postage to the buyer's province (flat, or per kg by
weight) and the totals follow the province; a province without a rate is refused. After
the order is paid and shipped, the order page shows the courier, the resi and a tracking
link, and the buyer confirms receipt."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignItem
from campaigns.postage import postage_rates_set
from catalog.models import Product
from fulfilment.services import order_ship
from orders.couriers import tracking_url
from orders.models import BankAccount, Order
from payments.services import payment_confirm
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = "/tmp/prapesan-postage"
RESI = "JNE1234567890"


def rupiah(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


@pytest.fixture(autouse=True)
def _shop(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    BankAccount.objects.create(bank_name="BCA", account_number="8730123456", account_holder="Sekar Batik")


def _campaign(mode, **fields):
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["M", "L"]}, dp_percent=50, quota_total=20, postage_mode=mode, **fields
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000, quota=10)
    Product.objects.filter(variants__campaign_items__campaign=campaign).update(weight_grams=700)
    return campaign


@pytest.fixture
def flat_campaign():
    campaign = _campaign(Campaign.PostageMode.FLAT_BY_PROVINCE, title="PO Batik Kawung")
    postage_rates_set(
        campaign=campaign,
        rates={"DI Yogyakarta": (15_000, None), "Jawa Barat": (25_000, None), "Papua": (90_000, None)},
    )
    return campaign


@pytest.fixture
def per_kg_campaign():
    campaign = _campaign(Campaign.PostageMode.PER_KG_BY_PROVINCE, title="PO Batik Parang")
    postage_rates_set(
        campaign=campaign,
        rates={"DI Yogyakarta": (None, 10_000), "Jawa Barat": (None, 12_000), "Papua": (None, 40_000)},
    )
    return campaign


def _to_checkout(page, campaign, *, size_m, size_l):
    page.goto(campaign.get_absolute_url())
    page.get_by_role("spinbutton", name=re.compile(r"^M\b")).fill(str(size_m))
    page.get_by_role("spinbutton", name=re.compile(r"^L\b")).fill(str(size_l))
    page.get_by_role("button", name="Lanjut pesan").click()
    expect(page.get_by_role("heading", name="Pesananmu")).to_be_visible()


def _fill_buyer(page, province):
    page.get_by_label("Nama lengkap").fill("Rina Kartika")
    page.get_by_label("Nomor WhatsApp").fill("0813 2222 3333")
    page.get_by_label("E-mail").fill("rina@example.com")
    page.get_by_label("Provinsi").select_option(province)
    page.get_by_label("Kota/Kabupaten").fill("Kota Bandung")
    page.get_by_label("Kecamatan").fill("Coblong")
    page.get_by_label("Kode pos").fill("40132")
    page.get_by_label("Alamat lengkap").fill("Jl. Ir. H. Juanda No. 88")
    page.get_by_role("checkbox").check()


def _expect_amounts(page, *, postage, total, dp):
    expect(page.locator("[data-postage]")).to_have_text(rupiah(postage))
    expect(page.locator("[data-total]")).to_have_text(rupiah(total))
    expect(page.locator("[data-pay-full]")).to_have_text(rupiah(total))
    expect(page.locator("[data-pay-dp]")).to_have_text(rupiah(dp))
    expect(page.locator("[data-pay-balance]")).to_have_text(rupiah(total - dp))


def test_flat_postage_follows_the_province_and_is_in_the_order(phone, flat_campaign):
    _to_checkout(phone, flat_campaign, size_m=1, size_l=1)
    goods = 400_000
    expect(phone.locator("[data-total]")).to_have_text(rupiah(goods))
    expect(phone.locator("[data-postage]")).to_have_text("pilih provinsimu di bawah")

    province = phone.get_by_label("Provinsi")
    province.select_option("DI Yogyakarta")
    _expect_amounts(phone, postage=15_000, total=goods + 15_000, dp=goods // 2 + 15_000)
    province.select_option("Papua")
    _expect_amounts(phone, postage=90_000, total=goods + 90_000, dp=goods // 2 + 90_000)
    province.select_option("Jawa Barat")
    _expect_amounts(phone, postage=25_000, total=425_000, dp=225_000)
    expect(phone.locator("[data-no-postage]")).to_be_hidden()
    phone.locator("p.postage").scroll_into_view_if_needed()
    phone.screenshot(path=f"{SCREENSHOTS}/checkout-flat.png")
    phone.screenshot(path=f"{SCREENSHOTS}/checkout-flat-full.png", full_page=True)

    phone.get_by_role("radio", name=re.compile(r"Bayar lunas")).check()
    _fill_buyer(phone, "Jawa Barat")
    phone.get_by_role("button", name="Buat pesanan").click()

    order = Order.objects.get()
    expect(phone.locator("[data-transfer-amount]")).to_have_text(rupiah(order.first_transfer_idr))
    assert (order.province, order.postage_idr, order.total_idr) == ("Jawa Barat", 25_000, 425_000)
    assert order.first_payment_idr == 425_000 and order.postage_final


def test_per_kg_postage_is_charged_per_whole_kg(phone, per_kg_campaign):
    _to_checkout(phone, per_kg_campaign, size_m=2, size_l=1)  # 3 × 700 g = 2,1 kg: 3 kg
    goods = 600_000
    expect(phone.locator("p.postage")).to_contain_text("dibulatkan ke atas")

    province = phone.get_by_label("Provinsi")
    province.select_option("DI Yogyakarta")
    _expect_amounts(phone, postage=30_000, total=goods + 30_000, dp=goods // 2 + 30_000)
    province.select_option("Jawa Barat")
    _expect_amounts(phone, postage=36_000, total=636_000, dp=336_000)
    phone.locator("p.postage").scroll_into_view_if_needed()
    phone.screenshot(path=f"{SCREENSHOTS}/checkout-per-kg.png")

    phone.get_by_role("radio", name=re.compile(r"DP Rp336\.000")).check()
    _fill_buyer(phone, "Jawa Barat")
    phone.get_by_role("button", name="Buat pesanan").click()

    order = Order.objects.get()
    expect(phone.locator("[data-transfer-amount]")).to_have_text(rupiah(order.first_transfer_idr))
    assert (order.weight_grams, order.postage_idr, order.total_idr) == (2_100, 36_000, 636_000)
    assert order.first_payment_idr == 336_000


def test_a_province_without_a_rate_is_not_shipped_to_and_no_order_is_made(phone, flat_campaign):
    _to_checkout(phone, flat_campaign, size_m=1, size_l=1)
    no_postage = phone.locator("[data-no-postage]")
    expect(no_postage).to_be_hidden()

    phone.get_by_label("Provinsi").select_option("Jawa Barat")
    expect(phone.locator("[data-postage]")).to_have_text("Rp25.000")
    phone.get_by_role("radio", name=re.compile(r"Bayar lunas")).check()
    _fill_buyer(phone, "Bali")
    expect(no_postage).to_be_visible()
    phone.locator("p.postage").scroll_into_view_if_needed()
    phone.screenshot(path=f"{SCREENSHOTS}/checkout-switch-to-no-rate.png")
    expect(no_postage).to_have_text(re.compile(r"PO ini tidak mengirim ke provinsi itu"))
    phone.screenshot(path=f"{SCREENSHOTS}/checkout-no-rate.png")
    phone.get_by_role("button", name="Buat pesanan").click()

    expect(phone.get_by_role("heading", name="Pesananmu")).to_be_visible()
    expect(phone.get_by_text(re.compile(r"tidak mengirim ke Bali"))).to_be_visible()
    expect(phone.get_by_label("Provinsi")).to_have_value("Bali")
    expect(no_postage).to_be_visible()
    assert not Order.objects.exists()
    phone.screenshot(path=f"{SCREENSHOTS}/checkout-no-rate-after-submit.png", full_page=True)


@pytest.fixture
def shipped_order(flat_campaign):
    order = place_order(
        flat_campaign, [(flat_campaign.items.order_by("position").first(), 2)], plan="full", province="Jawa Barat"
    )
    assert (order.postage_idr, order.total_idr) == (25_000, 425_000)
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    assert order_fresh(order).status == Order.Status.PAID
    Campaign.objects.filter(pk=flat_campaign.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    return order_ship(order=order, courier="jne", tracking_number=RESI, actor=None, now=timezone.now())


def test_the_buyer_follows_the_parcel_and_confirms_receipt(phone, shipped_order):
    phone.goto(shipped_order.get_absolute_url())
    expect(phone.locator("[data-order-status]")).to_have_text("Dikirim")
    shipping = phone.locator("[data-shipping]")
    expect(shipping).to_be_visible()
    expect(shipping.get_by_text("JNE", exact=True)).to_be_visible()
    expect(shipping.get_by_text(RESI, exact=True)).to_be_visible()
    link = phone.get_by_role("link", name=re.compile(r"(Lacak paket di situs|Track the parcel on the) JNE"))
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", tracking_url("jne", RESI))
    expect(phone.locator("[data-postage]")).to_have_text("Rp25.000")
    shipping.get_by_role("button", name=re.compile(r"^(Salin|Copy)")).click()
    assert phone.evaluate("navigator.clipboard.readText()") == RESI
    phone.screenshot(path=f"{SCREENSHOTS}/order-shipped.png")
    phone.screenshot(path=f"{SCREENSHOTS}/order-shipped-full.png", full_page=True)

    phone.get_by_role("button", name=re.compile(r"received my order|terima", re.IGNORECASE)).click()

    expect(phone.locator("[data-order-status]")).to_have_text("Selesai")
    assert Order.objects.get(pk=shipped_order.pk).status == Order.Status.COMPLETED
    expect(phone.get_by_role("button", name=re.compile(r"received my order|terima", re.IGNORECASE))).to_have_count(0)
    phone.screenshot(path=f"{SCREENSHOTS}/order-completed.png", full_page=True)
