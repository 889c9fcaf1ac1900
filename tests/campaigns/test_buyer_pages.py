import datetime
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import views
from campaigns.models import Campaign, CampaignItem
from campaigns.services import campaign_update_post
from catalog.models import Product, ProductImage
from tests.factories import CampaignFactory, campaign_with_products

pytestmark = pytest.mark.django_db

SIZES_COLOURS = {"Ukuran": ["S", "M", "L"], "Warna": ["Sogan", "Indigo"]}


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _shop(products: int) -> Campaign:
    """An open, a coming and a closed campaign, each with `products` products of six variants."""
    now = timezone.now()
    campaign = campaign_with_products(products=products, options=SIZES_COLOURS, quota_total=500)
    campaign_with_products(products=products, options=SIZES_COLOURS, opens_at=now + datetime.timedelta(days=3))
    campaign_with_products(
        products=products,
        options=SIZES_COLOURS,
        opens_at=now - datetime.timedelta(days=12),
        closes_at=now - datetime.timedelta(days=2),
    )
    for product_id in campaign.items.values_list("variant__product_id", flat=True).distinct():
        ProductImage.objects.create(product_id=product_id, image="products/x.jpg", alt_text="foto")
    campaign_update_post(campaign=campaign, message="Produksi dimulai.", new_estimated_ship_date=None, now=now)
    return campaign


def test_home_runs_a_fixed_number_of_queries(client):
    _shop(products=1)
    few = _page_queries(client, reverse("campaigns:home"))
    _shop(products=4)
    many = _page_queries(client, reverse("campaigns:home"))
    # three sections x (campaigns, their prices, units left and cover by aggregation), whatever they sell
    assert few == many == 6


def test_campaign_page_runs_a_fixed_number_of_queries(client):
    small = _shop(products=1)
    few = _page_queries(client, small.get_absolute_url())
    big = _shop(products=5)
    assert big.items.count() == 30
    many = _page_queries(client, big.get_absolute_url())
    # campaign, updates, the card by aggregation, products, their items, option values, images
    assert few == many == 7


def test_home_lists_open_coming_and_recently_closed_campaigns(client):
    now = timezone.now()
    open_one = campaign_with_products(products=1, options={"Ukuran": ["M"]}, title="PO Batik Terbuka")
    coming = campaign_with_products(
        products=1, options={"Ukuran": ["M"]}, title="PO Segera", opens_at=now + datetime.timedelta(days=2)
    )
    closed = campaign_with_products(
        products=1,
        options={"Ukuran": ["M"]},
        title="PO Sudah Tutup",
        opens_at=now - datetime.timedelta(days=10),
        closes_at=now - datetime.timedelta(days=1),
    )
    draft = campaign_with_products(products=1, options={"Ukuran": ["M"]}, title="PO Draf", stage=Campaign.Stage.DRAFT)

    page = client.get(reverse("campaigns:home"))
    assert [card.campaign for card in page.context["open_cards"]] == [open_one]
    assert [card.campaign for card in page.context["coming_cards"]] == [coming]
    assert [card.campaign for card in page.context["closed_cards"]] == [closed]
    assert draft.title not in page.content.decode()


def test_a_draft_campaign_page_is_not_found(client):
    draft = CampaignFactory(stage=Campaign.Stage.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_campaign_page_shows_prices_in_rupiah_units_left_and_sold_out_variants(client):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]})
    small, medium = campaign.items.order_by("position")
    CampaignItem.objects.filter(pk=small.pk).update(price_idr=150_000, quota=5, units_reserved=5)
    CampaignItem.objects.filter(pk=medium.pk).update(price_idr=175_000, quota=8, units_reserved=3)

    html = client.get(campaign.get_absolute_url()).content.decode()

    assert "Rp150.000" in html and "Rp175.000" in html
    small_input = re.search(rf'<input type="number" id="qty-{small.pk}"[^>]*>', html, re.S).group(0)
    medium_input = re.search(rf'<input type="number" id="qty-{medium.pk}"[^>]*>', html, re.S).group(0)
    assert "disabled" in small_input
    assert "disabled" not in medium_input
    assert "Habis" in html  # sold out, in Indonesian by default
    assert 'max="5"' in medium_input
    assert "Sisa 5" in html


def test_campaign_page_states_the_rules_before_anyone_pays(client):
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["M"]},
        dp_percent=30,
        minimum_goal_units=20,
        goal_missed_policy=Campaign.GoalMissedPolicy.REFUND,
        unpaid_expiry_hours=24,
    )
    html = client.get(
        campaign.get_absolute_url(), headers={"cookie": f"{settings.LANGUAGE_COOKIE_NAME}=en"}
    ).content.decode()
    assert "30% of the order" in html
    assert "balance (pelunasan) is due by" in html
    assert "Pay within 24 hours" in html
    assert "at least 20 paid units" in html
    assert "refunded in full" in html
    assert "If production is late" in html


def test_open_graph_tags_make_a_share_card(client):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["M"]})
    product_id = campaign.items.get().variant.product_id
    ProductImage.objects.create(product_id=product_id, image="products/batik.jpg", alt_text="Batik")
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000)

    html = client.get(campaign.get_absolute_url()).content.decode()

    def og(name):
        match = re.search(rf'<meta property="{re.escape(name)}" content="([^"]*)">', html)
        assert match, name
        return match.group(1)

    assert og("og:title") == campaign.title
    assert og("og:url") == f"http://testserver{campaign.get_absolute_url()}"
    assert og("og:image") == "http://testserver/media/products/batik.jpg"
    assert "Rp150.000" in og("og:description")
    assert og("product:price:amount") == "150000"
    assert og("product:price:currency") == "IDR"


def test_share_links_carry_the_page_address(client):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["M"]})
    response = client.get(campaign.get_absolute_url())
    url = f"http://testserver{campaign.get_absolute_url()}"
    links = response.context["share_links"]
    assert url in parse_qs(urlparse(links["whatsapp"]).query)["text"][0]
    assert parse_qs(urlparse(links["facebook"]).query)["u"] == [url]
    assert parse_qs(urlparse(links["x"]).query)["url"] == [url]
    assert campaign.title in response.context["share_caption"]


def test_updates_from_the_seller_are_shown_newest_first(client):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["M"]})
    now = timezone.now()
    campaign_update_post(campaign=campaign, message="Kain sudah tiba.", new_estimated_ship_date=None, now=now)
    new_date = campaign.estimated_ship_date + datetime.timedelta(days=7)
    campaign_update_post(
        campaign=campaign,
        message="Pewarnaan terlambat.",
        new_estimated_ship_date=new_date,
        now=now + datetime.timedelta(hours=1),
    )
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert html.index("Pewarnaan terlambat.") < html.index("Kain sudah tiba.")


def test_pages_are_indonesian_by_default_and_english_after_switching(client):
    campaign_with_products(products=1, options={"Ukuran": ["M"]})
    home = reverse("campaigns:home")
    indonesian = client.get(home, headers={"accept-language": "en-US,en"})
    assert indonesian["Content-Language"] == "id"

    switched = client.post(reverse("set_language"), {"language": "en", "next": home})
    assert switched.status_code == 302
    english = client.get(home)
    assert english["Content-Language"] == "en"
    assert "Open pre-orders" in english.content.decode()


def test_switched_off_variants_and_products_are_not_offered(client):
    campaign = campaign_with_products(products=2, options={"Ukuran": ["S", "M"]})
    first_product = campaign.items.order_by("position").first().variant.product
    second_product_item = campaign.items.order_by("position").last()
    first_product.is_active = False
    first_product.save()
    second_product_item.variant.is_active = False
    second_product_item.variant.save()

    response = client.get(campaign.get_absolute_url())
    offered = [item for offer in response.context["offers"] for item in offer.items]
    assert len(offered) == 1
    assert offered[0].variant.product != first_product
    assert offered[0] != second_product_item


def test_a_campaign_with_many_variants_draws_the_first_products_and_folds_the_rest(client, monkeypatch):
    monkeypatch.setattr(views, "VARIANTS_ON_FIRST_VIEW", 12)
    big = _shop(products=5)  # 6 variants each
    html = client.get(big.get_absolute_url()).content.decode()
    assert html.count("data-offer ") == 2 and html.count("data-folded") == 3
    products = list(Product.objects.filter(variants__campaign_items__campaign=big).distinct().order_by("pk"))
    last = products[-1]
    opened = client.get(big.get_absolute_url(), {"produk": last.pk}).content.decode()
    assert f'id="product-{last.pk}"' in opened and opened.count("data-folded") == 2
    assert client.get(big.get_absolute_url(), {"produk": "9" * 30}).status_code == 200
