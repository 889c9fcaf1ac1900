"""Buyers' pages come from the cache for a few seconds, never write, show the seller's changes at
once, and still answer when the cache is down."""

import datetime
import html
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from campaigns.services import campaign_update_post
from catalog.page_cache import CSRF_PLACEHOLDER, page_key, pages_changed, whole_page
from orders.models import BankAccount, Order
from tests.factories import campaign_with_products, checkout_form, place_order

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


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _checkout_url(campaign, item, quantity=1):
    return f"{reverse('orders:checkout', args=[campaign.slug])}?qty-{item.pk}={quantity}"


def test_the_checkout_form_is_cached_but_each_buyer_gets_a_working_token_of_their_own(campaign):
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko")
    item = campaign.items.order_by("pk").first()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    form_first = first.get(_checkout_url(campaign, item))
    with CaptureQueriesContext(connection) as queries:
        form_second = second.get(_checkout_url(campaign, item))
    # The lines' units and the PO's state are read afresh, in one query; the rest of the page is not built again.
    assert len(queries.captured_queries) == 1, [query["sql"] for query in queries.captured_queries]
    tokens = [CSRF_FIELD.findall(page.content.decode()) for page in (form_first, form_second)]
    assert len(tokens[0]) == len(tokens[1]) == 1  # the order form (the language switch takes none)
    assert tokens[0][0] != tokens[1][0] and CSRF_PLACEHOLDER not in form_second.content.decode()
    assert "csrftoken" in form_second.cookies
    assert CSRF_FIELD.sub("", form_first.content.decode()) == CSRF_FIELD.sub("", form_second.content.decode())
    data = {**checkout_form([(item, 1)]), "csrfmiddlewaretoken": tokens[1][0]}
    placed = second.post(reverse("orders:checkout", args=[campaign.slug]), data)
    assert placed.status_code == 302 and Order.objects.count() == 1


def test_the_cached_checkout_form_shows_a_new_price_at_once(client, campaign, django_capture_on_commit_callbacks):
    item = campaign.items.order_by("pk").first()
    assert "Rp90.000" in client.get(_checkout_url(campaign, item)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        item.price_idr = 95_000
        item.save()  # as the seller's admin does, through save()
        pages_changed()
    assert "Rp95.000" in client.get(_checkout_url(campaign, item)).content.decode()


def test_the_shop_profile_and_bank_accounts_reach_cached_pages_at_once(
    client, campaign, django_capture_on_commit_callbacks
):
    item = campaign.items.order_by("pk").first()
    assert "Mandiri" not in client.get(_checkout_url(campaign, item)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        BankAccount.objects.create(bank_name="Mandiri", account_number="99887766", account_holder="Toko")
    assert "Mandiri" in client.get(_checkout_url(campaign, item)).content.decode()


def test_a_page_with_a_message_is_rendered_for_its_visitor_and_not_stored(client, campaign):
    client.get(campaign.get_absolute_url())  # cached without a message
    response = client.get(reverse("orders:checkout", args=[campaign.slug]), follow=True)  # no line: a message
    html = response.content.decode()
    assert response.redirect_chain == [(campaign.get_absolute_url(), 302)]
    assert "Pilih minimal satu varian" in html or 'class="messages"' in html
    assert 'class="messages"' not in Client().get(campaign.get_absolute_url()).content.decode()


def test_the_order_that_sells_out_shows_on_cached_pages_at_once(client, campaign, django_capture_on_commit_callbacks):
    item = campaign.items.order_by("pk").first()
    CampaignItem.objects.filter(pk=item.pk).update(quota=1)
    before = client.get(campaign.get_absolute_url()).content.decode()
    assert re.search(rf'name="qty-{item.pk}"[^>]*disabled', before) is None
    with django_capture_on_commit_callbacks(execute=True):
        place_order(campaign, [(item, 1)])
    after = client.get(campaign.get_absolute_url()).content.decode()
    assert re.search(rf'<input[^>]*name="qty-{item.pk}"[^>]*disabled', after), "the sold-out size still looks open"


def test_an_order_from_a_cached_form_takes_the_price_and_units_as_they_are_now(client, campaign):
    """What the checkout read a few seconds ago shapes the page; the order counts what holds under the lock."""
    first, second = campaign.items.order_by("pk")[:2]
    client.get(_checkout_url(campaign, first))
    client.get(_checkout_url(campaign, second))
    # Behind the cache's back (no version change): a new price, and the second size sold out.
    CampaignItem.objects.filter(pk=first.pk).update(price_idr=99_000)
    CampaignItem.objects.filter(pk=second.pk).update(quota=3, units_reserved=3)
    placed = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(first, 1)]))
    assert placed.status_code == 302
    line = Order.objects.get().lines.get()
    assert line.unit_price_idr == 99_000 and Order.objects.get().total_idr == 99_000
    refused = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(second, 1)]), follow=True)
    assert refused.redirect_chain == [(f"{campaign.get_absolute_url()}?habis={second.pk}", 302)]
    assert Order.objects.count() == 1
    second.refresh_from_db()
    assert second.units_reserved == 3


def test_a_cached_checkout_form_still_refuses_a_size_gone_or_a_po_closed_since(client, campaign):
    item = campaign.items.order_by("pk").first()
    assert client.get(_checkout_url(campaign, item)).status_code == 200  # now in the cache
    # Sold out behind the cache's back (no seller's change drops the cached form).
    CampaignItem.objects.filter(pk=item.pk).update(quota=3, units_reserved=3)
    gone = client.get(_checkout_url(campaign, item), follow=True)
    assert gone.redirect_chain[-1][0] == f"{campaign.get_absolute_url()}?habis={item.pk}"
    assert f"{item.variant} baru saja habis." in gone.content.decode()
    CampaignItem.objects.filter(pk=item.pk).update(quota=None, units_reserved=0)
    assert client.get(_checkout_url(campaign, item)).status_code == 200
    Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    closed = client.get(_checkout_url(campaign, item), follow=True)
    assert closed.redirect_chain[-1][0] == campaign.get_absolute_url()
    # A variant of another PO, asked for on this one's form, is not a line here: the full path says so.
    other = campaign_with_products(products=1, options={"Ukuran": ["S"]}, slug="po-lain").items.get()
    assert client.get(_checkout_url(campaign, other), follow=True).redirect_chain[-1][0] == campaign.get_absolute_url()


def test_pages_the_same_for_everyone_say_a_proxy_may_keep_them_a_moment(client, campaign, settings):
    settings.PROXY_CACHE_SECONDS = 1
    for url in (reverse("campaigns:home"), campaign.get_absolute_url()):
        for _fresh_or_cached in range(2):
            response = client.get(url)
            assert response["X-Accel-Expires"] == "1"
            # Nothing of this visitor in it: no cookie set, and no Vary on the cookies they send.
            assert not response.cookies
            assert "Cookie" not in response.get("Vary", "")
            assert CSRF_PLACEHOLDER not in response.content.decode()


def test_a_page_with_a_form_or_a_message_for_its_visitor_is_never_for_a_proxy(client, campaign, settings):
    settings.PROXY_CACHE_SECONDS = 1
    item = campaign.items.first()
    form = client.get(_checkout_url(campaign, item))
    assert "X-Accel-Expires" not in form and "csrftoken" in form.cookies

    refused = client.get(reverse("orders:checkout", args=[campaign.slug]), follow=True)  # no line: a message
    assert 'class="messages"' in refused.content.decode()
    assert "X-Accel-Expires" not in refused


def test_no_proxy_keeps_a_page_when_the_setting_is_off(client, campaign, settings):
    settings.PROXY_CACHE_SECONDS = 0
    assert "X-Accel-Expires" not in client.get(campaign.get_absolute_url())


def test_a_cached_page_and_the_pages_version_are_one_read_of_the_cache(client, campaign, monkeypatch):
    url = campaign.get_absolute_url()
    client.get(url)
    reads, inside = [], []

    def counted(name, real):
        def read(*args, **kwargs):
            if not inside:  # the shop's own calls, not those a backend's get_many makes of its get
                reads.append(name)
            inside.append(name)
            try:
                return real(*args, **kwargs)
            finally:
                inside.pop()

        return read

    for name in ("get", "get_many"):
        monkeypatch.setattr(cache, name, counted(name, getattr(cache, name)))
    again = client.get(url)
    assert again.status_code == 200 and "PO Tas Lukis" in again.content.decode()
    assert reads == ["get_many"]


def test_a_page_rendered_while_the_seller_changed_something_is_not_served_after(rf, campaign):
    request = rf.get("/")
    key = page_key(request, "test-race")

    def render_while_changing(_csrf_token):
        pages_changed()  # the seller's change commits while this page is rendered from what was read before
        return "before the change"

    assert whole_page(request, key, render_while_changing).content == b"before the change"
    again = whole_page(request, page_key(request, "test-race"), lambda _csrf_token: "after the change")
    assert again.content == b"after the change"
    third = whole_page(request, page_key(request, "test-race"), lambda _csrf_token: "rendered a third time")
    assert third.content == b"after the change"  # kept, once rendered from what is now


def _notices(response) -> list[str]:
    return [
        html.unescape(text).strip()
        for text in re.findall(r'<li class="message[^"]*">(.*?)</li>', response.content.decode(), re.S)
    ]


def test_buyers_sent_back_for_a_sold_out_size_share_one_page_a_proxy_may_keep(campaign, settings):
    settings.PROXY_CACHE_SECONDS = 1
    small, medium = campaign.items.order_by("position")[:2]
    CampaignItem.objects.filter(pk=small.pk).update(quota=3, units_reserved=3)
    CampaignItem.objects.filter(pk=medium.pk).update(quota=5, units_reserved=4)
    for buyer, item, quantity in [("a", small, 1), ("b", small, 2), ("c", medium, 2)]:
        sent_back = Client().get(_checkout_url(campaign, item, quantity))
        assert sent_back.status_code == 302 and sent_back.url == f"{campaign.get_absolute_url()}?habis={item.pk}", buyer
    url = f"{campaign.get_absolute_url()}?habis={small.pk}"
    first = Client().get(url)
    assert _notices(first) == [f"{small.variant} baru saja habis."]
    # The same for everyone sent back alike: no cookie, nothing of the visitor; kept by the cache and the proxy.
    assert first["X-Accel-Expires"] == "1" and not first.cookies
    with CaptureQueriesContext(connection) as queries:
        again = Client().get(url)
    assert queries.captured_queries == [] and again.content == first.content
    left = Client().get(f"{campaign.get_absolute_url()}?habis={medium.pk}")
    assert _notices(left) == [f"{medium.variant} tinggal 1; kurangi jumlahnya lalu pesan lagi, ya."]
    assert _notices(Client().get(campaign.get_absolute_url())) == []


def test_the_whole_po_sold_out_is_said_and_a_made_up_address_says_nothing(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(quota_total=4, units_reserved=4)
    item = campaign.items.first()
    sent_back = Client().get(_checkout_url(campaign, item))
    assert sent_back.url == f"{campaign.get_absolute_url()}?habis=po"
    assert _notices(Client().get(sent_back.url)) == ["PO Tas Lukis baru saja habis."]
    other = campaign_with_products(products=1, options={"Ukuran": ["S"]}, slug="po-lain").items.get()
    for made_up in ("abc", "-1", "9" * 30, str(other.pk), ""):
        page = Client().get(campaign.get_absolute_url(), {"habis": made_up})
        assert page.status_code == 200 and _notices(page) == [], made_up
    Campaign.objects.filter(pk=campaign.pk).update(quota_total=None)
    pages_changed()
    assert _notices(Client().get(f"{campaign.get_absolute_url()}?habis=po")) == []  # no quota: nothing to say
