"""The buyer's side of the waitlist: a link beside each sold-out variant of an open PO (the PO's page stays
the same for every visitor, so nginx may keep it during a rush) to a page of its own with the form."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from demand.models import Interest
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_po():
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=3),
        title="PO Jaket",
    )
    small, medium = campaign.items.order_by("position")
    CampaignItem.objects.filter(pk=small.pk).update(quota=1)
    return campaign, small, medium


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _waitlist_links(html: str) -> list[str]:
    return re.findall(r'<a class="waitlist-link" href="([^"]+)"', html)


def test_a_sold_out_variant_links_to_the_waitlist_and_the_page_stays_shared(client, open_po):
    campaign, small, _medium = open_po
    assert _waitlist_links(_english(client).get(campaign.get_absolute_url()).content.decode()) == []
    place_order(campaign, [(small, 1)], plan="full")
    response = client.get(campaign.get_absolute_url())
    html = response.content.decode()
    assert _waitlist_links(html) == [f"{reverse('demand:waitlist', args=[campaign.slug])}?varian={small.pk}"]
    assert "csrfmiddlewaretoken" not in html and "Set-Cookie" not in str(response.headers)
    assert "Continue to order" in html  # M is still on sale


def test_a_po_sold_out_as_a_whole_says_so_and_links_the_waitlist(client, open_po):
    campaign, small, _medium = open_po
    Campaign.objects.filter(pk=campaign.pk).update(quota_total=1)
    place_order(campaign, [(small, 1)], plan="full")
    html = _english(client).get(campaign.get_absolute_url()).content.decode()
    assert "Sold out for now." in html and "Continue to order" not in html
    assert f'href="{reverse("demand:waitlist", args=[campaign.slug])}"' in html


def test_the_waitlist_page_offers_the_sold_out_variants_with_labels(client, open_po):
    campaign, small, medium = open_po
    place_order(campaign, [(small, 1)], plan="full")
    url = reverse("demand:waitlist", args=[campaign.slug])
    html = _english(client).get(url, {"varian": small.pk}).content.decode()
    assert f'<label for="wait-qty-{small.pk}">' in html and f'id="wait-qty-{small.pk}"' in html
    assert re.search(rf'id="wait-qty-{small.pk}"[^>]*value="1"', html)
    assert f"wait-qty-{medium.pk}" not in html  # on sale: ordered, not waited for
    assert '<label for="id_phone">WhatsApp number</label>' in html


def test_joining_comes_back_to_the_po_with_a_message(client, open_po):
    campaign, small, _medium = open_po
    place_order(campaign, [(small, 1)], plan="full")
    url = reverse("demand:waitlist", args=[campaign.slug])
    response = _english(client).post(url, {"phone": "0812 7777 0001", f"qty-{small.pk}": "2"}, follow=True)
    assert response.redirect_chain[-1][0] == campaign.get_absolute_url()
    assert "you are on the waitlist" in response.content.decode()
    entry = Interest.objects.get(kind=Interest.Kind.WAITLIST)
    assert entry.phone == "+6281277770001"
    assert list(entry.lines.values_list("campaign_item", "quantity")) == [(small.pk, 2)]


def test_bad_input_shows_the_form_again_and_stores_nothing(client, open_po):
    campaign, small, medium = open_po
    place_order(campaign, [(small, 1)], plan="full")
    url = reverse("demand:waitlist", args=[campaign.slug])
    wrong_number = _english(client).post(url, {"phone": "12", f"qty-{small.pk}": "1"})
    assert wrong_number.status_code == 200 and 'class="field-error"' in wrong_number.content.decode()
    on_sale = client.post(url, {"phone": "081277770001", f"qty-{medium.pk}": "1"})
    assert on_sale.status_code == 200 and "still on sale: order it now" in on_sale.content.decode()
    nothing_chosen = client.post(url, {"phone": "081277770001"})
    assert "Choose the sold-out variant" in nothing_chosen.content.decode()
    assert not Interest.objects.exists()


def test_with_nothing_sold_out_the_page_sends_the_buyer_to_order(client, open_po):
    campaign, _small, _medium = open_po
    html = _english(client).get(reverse("demand:waitlist", args=[campaign.slug])).content.decode()
    assert (
        "Nothing in this PO is sold out now" in html and "<form" not in html.split("</header>")[-1].split("<footer")[0]
    )
