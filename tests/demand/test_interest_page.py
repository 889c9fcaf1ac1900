"""The "Ingatkan saya" form on a coming PO's page: in Indonesian (English on request), usable on a phone,
posting to a view of its own and coming back to the page with a message, also when the page comes from
the cache that every visitor shares."""

import datetime
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from catalog.page_cache import CSRF_PLACEHOLDER
from demand.models import Interest
from preorder_shop.client import client_key
from tests.demand.conftest import sizes
from tests.factories import campaign_with_products

pytestmark = pytest.mark.django_db

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _url(campaign: Campaign) -> str:
    return reverse("demand:register", args=[campaign.slug])


def _notices(response) -> list[str]:
    return [
        text.strip() for text in re.findall(r'<li class="message[^"]*">(.*?)</li>', response.content.decode(), re.S)
    ]


def test_a_coming_po_shows_the_form_with_labels_and_its_variants_belong_to_it(client, coming):
    html = client.get(coming.get_absolute_url()).content.decode()
    assert f'action="{_url(coming)}"' in html and 'id="interest-form"' in html
    for text in ("Ingatkan saya", "Nomor WhatsApp", "E-mail (opsional)"):
        assert text in html
    # Every input has its label, and the quantities chosen above go with this form.
    for field in ("interest-phone", "interest-email"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    for item in sizes(coming):
        quantity = re.search(rf'<input[^>]*name="qty-{item.pk}"[^>]*>', html).group(0)
        assert 'form="interest-form"' in quantity and "disabled" not in quantity

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(coming.get_absolute_url()).content.decode()
    assert "Remind me" in english and "WhatsApp number" in english and "E-mail (optional)" in english


def test_an_open_or_closed_po_has_no_reminder_form(client):
    long_ago = timezone.now() - datetime.timedelta(days=60)
    for campaign in (
        campaign_with_products(products=1, options={"Ukuran": ["S"]}),
        campaign_with_products(products=1, options={"Ukuran": ["S"]}, opens_at=long_ago),
    ):
        html = client.get(campaign.get_absolute_url()).content.decode()
        assert 'id="interest-form"' not in html and 'form="interest-form"' not in html


def test_the_form_posts_and_comes_back_to_the_page_with_a_message(client, coming):
    small, _medium = sizes(coming)
    response = client.post(
        _url(coming), {"phone": "0812 3456 7890", "email": "siti@example.com", f"qty-{small.pk}": "2"}, follow=True
    )
    assert response.redirect_chain == [(coming.get_absolute_url(), 302)]
    assert _notices(response) == [
        "Beres: kamu akan dikabari sekali saat PO ini dibuka, lewat e-mail kalau kamu mengisinya, kalau tidak lewat WhatsApp."
    ]
    interest = Interest.objects.get()
    assert (interest.phone, interest.email, interest.language) == ("+6281234567890", "siti@example.com", "id")
    assert interest.client_key == client_key(response.wsgi_request)
    assert [(line.campaign_item_id, line.quantity) for line in interest.lines.all()] == [(small.pk, 2)]

    again = client.post(_url(coming), {"phone": "081234567890"}, follow=True)
    assert _notices(again) == ["Sudah diperbarui: kamu akan dikabari sekali saat PO ini dibuka."]
    assert Interest.objects.count() == 1


def test_the_form_works_on_the_cached_page_each_visitor_with_a_token_of_their_own(coming, settings):
    settings.PAGE_CACHE_SECONDS = 30
    cache.clear()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_page = first.get(coming.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        second_page = second.get(coming.get_absolute_url())
    assert queries.captured_queries == []  # from the cache
    tokens = [CSRF_FIELD.findall(page.content.decode()) for page in (first_page, second_page)]
    assert len(tokens[0]) == len(tokens[1]) == 1 and tokens[0] != tokens[1]
    assert CSRF_PLACEHOLDER not in second_page.content.decode() and "csrftoken" in second_page.cookies
    # A page with a visitor's token is never one for the proxy in front.
    assert "X-Accel-Expires" not in second_page

    assert second.post(_url(coming), {"phone": "081234567890"}).status_code == 403  # no token: refused
    posted = second.post(_url(coming), {"phone": "081234567890", "csrfmiddlewaretoken": tokens[1][0]}, follow=True)
    assert posted.redirect_chain == [(coming.get_absolute_url(), 302)] and len(_notices(posted)) == 1
    assert Interest.objects.count() == 1
    assert _notices(Client().get(coming.get_absolute_url())) == []  # the message was for that visitor only


def test_a_wrong_number_shows_the_form_again_with_what_was_typed(client, coming):
    small, _medium = sizes(coming)
    response = client.post(_url(coming), {"phone": "12345", "email": "siti@example.com", f"qty-{small.pk}": "3"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Isi nomor WhatsApp Indonesia, contoh: 0812 3456 7890." in html
    assert 'value="siti@example.com"' in html and f'name="qty-{small.pk}" value="3"' in html
    assert not Interest.objects.exists()


def test_an_open_po_sends_the_buyer_to_order_instead(client, coming):
    Campaign.objects.filter(pk=coming.pk).update(opens_at=timezone.now() - datetime.timedelta(hours=1))
    response = client.post(_url(coming), {"phone": "081234567890"}, follow=True)
    assert response.redirect_chain == [(coming.get_absolute_url(), 302)]
    assert _notices(response) == ["PO ini sudah dibuka: pesan sekarang, ya."]
    assert not Interest.objects.exists()


def test_the_form_is_throttled_per_client_and_capped_per_client(client, coming, settings):
    settings.INTEREST_RATE = "2/m"
    cache.clear()
    answers = [
        client.post(_url(coming), {"phone": f"08120000000{n}"}, REMOTE_ADDR="192.0.2.40").status_code for n in range(4)
    ]
    assert answers == [302, 302, 429, 429]
    assert client.post(_url(coming), {"phone": "081200000009"}, REMOTE_ADDR="192.0.2.41").status_code == 302
    assert Interest.objects.count() == 3

    settings.INTEREST_RATE = "100/m"
    settings.INTEREST_PER_CLIENT = 2
    refused = client.post(_url(coming), {"phone": "081200000008"}, REMOTE_ADDR="192.0.2.40", follow=True)
    assert "2 nomor" in _notices(refused)[-1]  # after the messages of the posts above
    assert Interest.objects.count() == 3


def test_a_get_goes_to_the_form_on_the_page_and_a_draft_is_not_found(client, coming):
    response = client.get(_url(coming))
    assert response.status_code == 302 and response.url == f"{coming.get_absolute_url()}#ingatkan"
    Campaign.objects.filter(pk=coming.pk).update(stage=Campaign.Stage.DRAFT)
    assert client.post(_url(coming), {"phone": "081234567890"}).status_code == 404
