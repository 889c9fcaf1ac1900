"""The language switch on every page needs no CSRF token (so the pages stay the same for every visitor),
and still refuses a form posted from another site."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOME = "/"


def _switch(headers=None):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("set_language"), {"language": "en", "next": HOME}, headers=headers or {})
    return client, response


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "same-origin"},
        {"origin": "http://testserver"},
        {},  # an old browser that says neither
    ],
)
def test_the_switch_works_without_a_token_from_the_shops_own_pages(headers):
    client, response = _switch(headers)
    assert response.status_code == 302 and response["Location"] == HOME
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get(HOME)["Content-Language"] == "en"


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "https://evil.example"},
        {"origin": "null"},
        # Sec-Fetch-Site decides over an Origin that would pass.
        {"sec-fetch-site": "cross-site", "origin": "http://testserver"},
    ],
)
def test_a_form_posted_from_another_site_changes_nothing(headers):
    client, response = _switch(headers)
    assert response.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert client.get(HOME)["Content-Language"] == "id"


def test_the_switch_takes_a_post_only():
    assert Client().get(reverse("set_language"), {"language": "en"}).status_code == 405


def test_the_refusal_is_said_in_indonesian():
    _client, response = _switch({"sec-fetch-site": "cross-site"})
    assert "Bahasa hanya bisa diganti dari halaman toko ini sendiri." in response.content.decode()
