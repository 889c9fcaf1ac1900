"""Buyers' pages come from the cache for a few seconds, never write, show the seller's changes at
once, and still answer when the cache is down."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from campaigns.services import campaign_update_post
from tests.factories import campaign_with_products

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(settings):
    settings.PAGE_CACHE_SECONDS = 30
    cache.clear()
    campaign = campaign_with_products(products=2, options={"Ukuran": ["S", "M", "L"]}, title="PO Tas Lukis")
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=90_000)
    return campaign


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries.captured_queries


def test_a_cached_page_runs_no_query_and_writes_nothing(client, campaign):
    for url in ("/", campaign.get_absolute_url()):
        first = _queries(client, url)
        again = _queries(client, url)
        assert first and again == []
        assert not any(query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for query in first)


def test_the_sellers_change_shows_at_once(client, campaign, django_capture_on_commit_callbacks):
    client.get(campaign.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):  # the page version moves once the change commits
        campaign_update_post(
            campaign=campaign,
            message="Kain sudah datang, produksi dimulai.",
            new_estimated_ship_date=None,
            now=timezone.now(),
        )
    assert "Kain sudah datang" in client.get(campaign.get_absolute_url()).content.decode()


def test_pages_answer_when_the_cache_is_down(client, campaign, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    for name in ("get", "set", "add", "incr"):
        monkeypatch.setattr(cache, name, down)
    assert client.get("/").status_code == 200
    assert client.get(campaign.get_absolute_url()).status_code == 200
    Campaign.objects.filter(pk=campaign.pk).update(title="PO Tas Lukis Baru")
    assert "PO Tas Lukis Baru" in client.get(campaign.get_absolute_url()).content.decode()
