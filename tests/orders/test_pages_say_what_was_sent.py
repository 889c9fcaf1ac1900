"""E-mail is optional at checkout: the thank-you page and the order lookup say what is really sent, and where
(to the e-mail given, or on WhatsApp by the seller when there is none)."""

import pytest
from django.conf import settings
from django.urls import reverse

from campaigns.models import CampaignItem
from orders.models import BankAccount, Message
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Batik Sekar")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000, quota=10)
    return campaign


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_thank_you_page_says_the_details_go_to_the_e_mail_given(english, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], email="siti@example.com")
    html = english.get(reverse("orders:placed", args=[order.token])).content.decode()
    assert 'data-sent-to="email"' in html and 'data-sent-to="whatsapp"' not in html
    assert "siti@example.com" in html
    assert Message.objects.get(order=order, kind="order_placed").to_email == "siti@example.com"


def test_without_an_e_mail_the_thank_you_page_says_the_seller_writes_on_whatsapp(english, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], email="")
    html = english.get(reverse("orders:placed", args=[order.token])).content.decode()
    assert 'data-sent-to="whatsapp"' in html and 'data-sent-to="email"' not in html
    assert "e-mail too" not in html and "to your e-mail" not in html
    assert "WhatsApp" in html and order.phone in html
    # What the page promises: the message waits for the seller to send it on WhatsApp.
    message = Message.objects.get(order=order, kind="order_placed")
    assert (message.status, message.to_phone) == (Message.Status.NO_EMAIL, order.phone)


def test_the_lookup_promises_the_link_by_e_mail_or_on_whatsapp_whichever_the_order_has(english, campaign):
    without_email = place_order(campaign, [(campaign.items.first(), 1)], email="", phone="081299990001")
    page = english.get(reverse("orders:lookup")).content.decode()
    assert "WhatsApp" in page.split("<main")[1].split("<form")[0]  # said before the form, not only after a try
    response = english.post(
        reverse("orders:lookup"), {"number": without_email.number, "contact": "081299990001"}, follow=True
    )
    (said,) = [str(message) for message in response.context["messages"]]
    assert "e-mail" in said and "WhatsApp" in said
    message = Message.objects.get(order=without_email, kind="order_link")
    assert message.status == Message.Status.NO_EMAIL  # the seller sends it on WhatsApp, as said
