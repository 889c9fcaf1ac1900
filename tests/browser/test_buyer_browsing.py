import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from campaigns.models import CampaignItem
from tests.factories import campaign_with_products

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaign():
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["S", "M"], "Warna": ["Sogan"]}, title="PO Batik Parang Batch 3", quota_total=30
    )
    items = list(campaign.items.order_by("position"))
    CampaignItem.objects.filter(pk=items[0].pk).update(price_idr=150_000, quota=4, units_reserved=4)
    CampaignItem.objects.filter(pk=items[1].pk).update(price_idr=175_000, quota=10)
    return campaign


def test_buyer_opens_a_campaign_from_home_and_picks_a_variant(phone, campaign):
    phone.goto("/")
    expect(phone.get_by_role("heading", name="PO yang sedang dibuka")).to_be_visible()
    expect(phone.locator("[data-countdown]").first).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
    phone.get_by_role("link", name="PO Batik Parang Batch 3").click()

    expect(phone.get_by_role("heading", name="PO Batik Parang Batch 3")).to_be_visible()
    sold_out = phone.get_by_role("spinbutton", name=re.compile(r"^S . Sogan"))
    expect(sold_out).to_be_disabled()
    medium = phone.get_by_role("spinbutton", name=re.compile(r"^M . Sogan"))
    expect(medium).to_be_enabled()
    medium.fill("2")
    expect(phone.locator("[data-selection]")).to_have_text("Pilihanmu: 2 × M / Sogan. Total Rp350.000")


def test_variants_can_be_picked_with_the_keyboard(phone, campaign):
    phone.goto(campaign.get_absolute_url())
    medium = phone.get_by_role("spinbutton", name=re.compile(r"^M . Sogan"))
    medium.focus()
    phone.keyboard.press("ArrowUp")
    expect(medium).to_have_value("1")
    expect(phone.locator("[data-selection]")).to_contain_text("1 × M / Sogan")


def test_share_links_open_graph_and_copy(phone, campaign, live_server):
    phone.goto(campaign.get_absolute_url())
    page_url = f"{live_server.url}{campaign.get_absolute_url()}"

    whatsapp = phone.get_by_role("link", name="WhatsApp").get_attribute("href")
    assert whatsapp.startswith("https://wa.me/?")
    assert page_url in parse_qs(urlparse(whatsapp).query)["text"][0]
    facebook = phone.get_by_role("link", name="Facebook").get_attribute("href")
    assert parse_qs(urlparse(facebook).query)["u"] == [page_url]
    x_link = phone.get_by_role("link", name="X", exact=True).get_attribute("href")
    assert parse_qs(urlparse(x_link).query)["url"] == [page_url]

    def meta(name):
        return phone.locator(f'meta[property="{name}"]').get_attribute("content")

    assert meta("og:title") == "PO Batik Parang Batch 3"
    assert meta("og:url") == page_url
    assert meta("product:price:amount") == "150000"
    assert "Rp150.000" in meta("og:description")

    phone.get_by_role("button", name="Salin link").click()
    expect(phone.locator("[data-copy-status]")).to_have_text("Link tersalin")
    assert phone.evaluate("navigator.clipboard.readText()") == page_url

    caption = phone.get_by_label("Caption untuk Instagram")
    expect(caption).to_have_value(re.compile(re.escape(page_url)))


def test_buyer_switches_to_english_and_back(phone, campaign):
    phone.goto(campaign.get_absolute_url())
    expect(phone.get_by_role("heading", name="Pilih varian")).to_be_visible()

    phone.get_by_label("Bahasa").select_option("en")
    phone.get_by_role("button", name="Ganti").click()
    expect(phone.get_by_role("heading", name="Choose your variant")).to_be_visible()
    assert phone.url.endswith(campaign.get_absolute_url())
    expect(phone.locator("html")).to_have_attribute("lang", "en")

    phone.get_by_label("Language").select_option("id")
    phone.get_by_role("button", name="Change").click()
    expect(phone.get_by_role("heading", name="Pilih varian")).to_be_visible()
