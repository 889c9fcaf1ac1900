"""Every message has a stop link that works without logging in: it asks once more, then no later message
about the PO goes to that number; a made-up link finds nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from demand.models import Interest
from demand.services import interests_notify_opened
from orders.models import Message
from tests.demand.conftest import after_opening, register

pytestmark = pytest.mark.django_db


def test_the_stop_link_asks_then_stops_every_later_message_without_logging_in(coming):
    interest = register(coming, "081234567890", email="a@example.com")
    url = reverse("demand:stop", args=[interest.token])
    buyer = Client(enforce_csrf_checks=True)
    page = buyer.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "Ya, hentikan pesannya" in html
    assert "+62812****7890" in html and "081234567890" not in html and "+6281234567890" not in html
    assert Interest.objects.get(pk=interest.pk).stopped_at is None  # opening the link changes nothing

    token = buyer.cookies["csrftoken"].value
    stopped = buyer.post(url, {"csrfmiddlewaretoken": token}, follow=True)
    assert stopped.redirect_chain == [(url, 302)]
    assert "Beres: tidak ada lagi pesan soal PO ini ke nomor ini." in stopped.content.decode()
    assert "data-stopped" in stopped.content.decode()
    first_stop = Interest.objects.get(pk=interest.pk).stopped_at
    assert first_stop is not None
    buyer.post(url, {"csrfmiddlewaretoken": token})  # twice: the first time stands
    assert Interest.objects.get(pk=interest.pk).stopped_at == first_stop

    assert interests_notify_opened(now=after_opening(coming)) == 0
    assert not Message.objects.filter(kind="po_opened").exists()


def test_a_wrong_or_made_up_token_finds_nothing(client, coming):
    interest = register(coming)
    wrong = interest.token[:-4] + ("aaaa" if not interest.token.endswith("aaaa") else "bbbb")
    assert client.get(reverse("demand:stop", args=[wrong])).status_code == 404
    assert client.post(reverse("demand:stop", args=[wrong])).status_code == 404
    assert client.get("/ingatkan/pendek/berhenti/").status_code == 404
    assert Interest.objects.get(pk=interest.pk).stopped_at is None


def test_asking_again_after_stopping_starts_the_messages_again(coming):
    interest = register(coming)
    Client().post(reverse("demand:stop", args=[interest.token]))
    assert Interest.objects.get(pk=interest.pk).stopped_at is not None
    register(coming)
    assert Interest.objects.get(pk=interest.pk).stopped_at is None
    assert interests_notify_opened(now=after_opening(coming)) == 1
    assert Interest.objects.get(pk=interest.pk).notified_at == after_opening(coming)
