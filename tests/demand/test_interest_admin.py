"""The seller sees the interest beside the quotas on the campaign's page (buyers, units per variant, and
once it opened how many were told and ordered) and the list of who asked, which nobody adds to by hand."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from demand.models import Interest
from demand.services import interest_stop, interests_notify_opened
from tests.demand.conftest import after_opening, register, sizes
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db


def _page(client, url, **params) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _fieldset_of(html: str, marker: str) -> str:
    """The fieldset of the change form that holds `marker`."""
    for fieldset in re.findall(r"<fieldset.*?</fieldset>", html, re.S):
        if marker in fieldset:
            return fieldset
    raise AssertionError(f"{marker} is in no fieldset")


def test_the_campaign_page_counts_the_interest_per_variant_beside_the_quotas(seller_client, coming):
    small, medium = sizes(coming)
    register(coming, "081200000001", wanted={small.pk: 2, medium.pk: 1}, client="a")
    register(coming, "081200000002", wanted={small.pk: 3}, client="b")
    register(coming, "081200000003", client="c")
    stopped = register(coming, "081200000004", wanted={medium.pk: 5}, client="d")
    interest_stop(interest=stopped, now=timezone.now())

    html = _page(seller_client, reverse("admin:campaigns_campaign_change", args=[coming.pk]))
    fieldset = _fieldset_of(html, "data-interest")
    assert 'name="quota_total"' in fieldset  # beside the quotas
    assert "3 buyers asked to be reminded</strong>, 6 units wanted" in fieldset
    assert "1 stopped the messages." in fieldset
    rows = dict(re.findall(r'data-interest-item="(\d+)">.*?<td data-units>(\d+)</td>', fieldset, re.S))
    assert rows == {str(small.pk): "5", str(medium.pk): "1"}
    assert f"?campaign__id__exact={coming.pk}" in fieldset


def test_after_opening_the_page_says_how_many_were_told_and_ordered(seller_client, coming):
    register(coming, "081200000001", client="a")
    register(coming, "081200000002", client="b")
    interests_notify_opened(now=after_opening(coming))
    Campaign.objects.filter(pk=coming.pk).update(opens_at=timezone.now() - datetime.timedelta(minutes=5))
    coming.refresh_from_db()
    place_order(coming, [(sizes(coming)[0], 1)], phone="0812-0000-0001", email="a@example.com")

    html = _page(seller_client, reverse("admin:campaigns_campaign_change", args=[coming.pk]))
    assert "2 told it opened; 1 of them ordered." in _fieldset_of(html, "data-interest")


def test_a_new_campaign_form_and_a_po_nobody_asked_about_still_show(seller_client):
    assert "data-interest" not in _page(seller_client, reverse("admin:campaigns_campaign_add"))
    quiet = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    assert "0 buyers asked to be reminded" in _page(
        seller_client, reverse("admin:campaigns_campaign_change", args=[quiet.pk])
    )


def test_the_list_of_who_asked_filters_by_po_and_searches_by_number_or_email(seller_client, coming):
    small, _medium = sizes(coming)
    siti = register(coming, "081200000001", email="siti@example.com", wanted={small.pk: 2}, client="a")
    register(coming, "081200000002", email="budi@example.com", client="b")
    other = campaign_with_products(products=1, options={"Ukuran": ["S"]}, opens_at=coming.opens_at)
    register(other, "081200000003", email="ani@example.com", client="c")
    changelist = reverse("admin:demand_interest_changelist")

    assert set(re.findall(r"\+628120000000\d", _page(seller_client, changelist))) == {
        "+6281200000001",
        "+6281200000002",
        "+6281200000003",
    }
    by_po = _page(seller_client, changelist, campaign__id__exact=coming.pk)
    assert "+6281200000001" in by_po and "+6281200000003" not in by_po
    assert f"2 x {small.variant}" in by_po
    found = _page(seller_client, changelist, q="siti@")
    assert "+6281200000001" in found and "+6281200000002" not in found
    assert "+6281200000002" in _page(seller_client, changelist, q="81200000002")
    assert "+6281200000001" in _page(seller_client, changelist, told="no")

    assert seller_client.get(reverse("admin:demand_interest_add")).status_code == 403
    detail = _page(seller_client, reverse("admin:demand_interest_change", args=[siti.pk]))
    assert "siti@example.com" in detail and 'name="phone"' not in detail  # read-only
    assert Interest.objects.count() == 3


def test_each_quota_field_has_the_interest_in_its_variant_beside_it(seller_client, coming):
    small, medium = sizes(coming)
    register(coming, "081200000001", wanted={small.pk: 2}, client="a")
    register(coming, "081200000002", wanted={small.pk: 3}, client="b")
    html = _page(seller_client, reverse("admin:campaigns_campaign_change", args=[coming.pk]))
    rows = re.findall(r'<tr class="form-row[^"]*".*?</tr>', html, re.S)
    small_row = next(row for row in rows if f'value="{small.pk}"' in row and "quota" in row)
    medium_row = next(row for row in rows if f'value="{medium.pk}"' in row and "quota" in row)
    quota_at = small_row.index("-quota")
    assert "5 units, 2 buyers" in small_row[quota_at:]  # after the quota field, in the same row
    assert "units," not in medium_row
    assert "wanted (interest)" in html.lower()


def test_open_the_next_batch_asks_for_the_window_then_makes_the_draft(seller_client, coming):
    small, _medium = sizes(coming)
    register(coming, "081200000001", wanted={small.pk: 2}, client="a")
    url = reverse("admin:campaigns_campaign_changelist")
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    chosen = {"action": "open_next_batch", "_selected_action": [coming.pk]}
    form_page = seller_client.post(url, chosen)
    assert form_page.status_code == 200
    assert "Open the next batch of PO Kaos Ombak" in form_page.content.decode()
    assert Campaign.objects.count() == 1  # nothing made before the seller confirms

    bad = seller_client.post(
        url,
        {
            **chosen,
            "apply": "1",
            "title": "PO Kaos Ombak Batch 2",
            "opens_at_0": "2030-01-10",
            "opens_at_1": "10:00",
            "closes_at_0": "2030-01-09",
            "closes_at_1": "10:00",
        },
    )
    assert bad.status_code == 200 and "must close after it opens" in bad.content.decode()
    assert Campaign.objects.count() == 1

    made = seller_client.post(
        url,
        {
            **chosen,
            "apply": "1",
            "title": "PO Kaos Ombak Batch 2",
            "opens_at_0": "2030-01-10",
            "opens_at_1": "10:00",
            "closes_at_0": "2030-01-17",
            "closes_at_1": "10:00",
        },
    )
    copy = Campaign.objects.get(title="PO Kaos Ombak Batch 2")
    assert made.status_code == 302 and made.url == reverse("admin:campaigns_campaign_change", args=[copy.pk])
    assert copy.stage == Campaign.Stage.DRAFT
    assert Interest.objects.get(campaign=copy).carried_from == coming
    page = _page(seller_client, made.url)
    assert "The next batch of PO Kaos Ombak: 1 buyer carried over" in page
    assert re.search(r'data-interest-item="\d+">.*?<td data-suggested>2</td>', page, re.S)


def test_open_the_next_batch_takes_one_po_at_a_time(seller_client, coming):
    other = campaign_with_products(products=1, options={"Ukuran": ["S"]}, title="Lain")
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = seller_client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "open_next_batch", "_selected_action": [coming.pk, other.pk]},
        follow=True,
    )
    assert "Choose one PO to open its next batch." in response.content.decode()
    assert Campaign.objects.count() == 2
