"""Small things a buyer on a phone meets: one text for unticked terms, the order history in the
page's language, the lookup in the header, copy buttons, a favicon and headings in order."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from campaigns.models import CampaignItem
from orders.models import BankAccount
from orders.services import order_expire_overdue
from tests.factories import campaign_with_products, checkout_form, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    BankAccount.objects.create(bank_name="BCA", account_number="8730123456", account_holder="Sekar Batik")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000)
    return campaign


def test_unticked_terms_show_one_text(client, campaign):
    item = campaign.items.first()
    data = checkout_form([(item, 1)])
    del data["terms_accepted"]
    html = client.post(reverse("orders:checkout", args=[campaign.slug]), data).content.decode()
    errors = re.findall(r'class="field-error"[^>]*>([^<]+)<', html) + re.findall(
        r'href="#id_terms_accepted">[^<]+</a>: ([^<]+)<', html
    )
    assert errors and len(set(errors)) == 1


def test_the_order_history_follows_the_page_language(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    order_expire_overdue(now=order.payment_deadline)  # the job writes in the shop's default language
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(order.get_absolute_url()).content.decode()
    assert "Not paid by the deadline." in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    indonesian = client.get(order.get_absolute_url()).content.decode()
    assert "Not paid by the deadline." not in indonesian


def test_the_lookup_is_in_the_header_and_the_page_has_a_favicon(client):
    html = client.get("/").content.decode()
    header = html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    assert reverse("orders:lookup") in header
    assert re.search(r'<link rel="icon" href="[^"]+favicon\.svg"', html)


def test_the_amount_and_account_numbers_have_copy_buttons(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    html = client.get(order.get_absolute_url()).content.decode()
    assert f'data-copy="{order.first_transfer_idr}"' in html
    assert 'data-copy="8730123456"' in html


def test_home_headings_do_not_skip_a_level(client, campaign):
    html = client.get("/").content.decode()
    levels = [int(level) for level in re.findall(r"<h([1-6])", html)]
    assert len(levels) > 1 and levels[0] == 1
    assert all(later - earlier <= 1 for earlier, later in zip(levels, levels[1:], strict=False))
