import datetime
import html
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from campaigns.services import campaign_update_post
from orders.models import BankAccount, Message, Order
from tests.factories import BUYER_DEFAULTS, campaign_with_products, checkout_form, messages_sent_so_far, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Batik Sekar")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000, quota=10)
    return campaign


def test_checkout_shows_total_dp_balance_deadlines_and_terms_before_ordering(client, campaign):
    small, medium = campaign.items.order_by("position")
    page = client.get(reverse("orders:checkout", args=[campaign.slug]), {f"qty-{small.pk}": 2, f"qty-{medium.pk}": 1})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Rp450.000" in html  # total
    assert "Rp225.000" in html  # DP now, and the balance later
    assert campaign.balance_due_date.strftime("%Y") in html
    assert page.context["quote"].balance_idr == 225_000
    assert 'name="terms_accepted"' in html
    assert "dikembalikan" in html  # the refund rule, in Indonesian


def test_checkout_without_a_quantity_goes_back_with_a_message(client, campaign):
    response = client.get(reverse("orders:checkout", args=[campaign.slug]), follow=True)
    assert response.redirect_chain[-1][0] == campaign.get_absolute_url()
    assert "Pilih" in response.content.decode()


def test_the_checkout_of_a_draft_or_an_unknown_po_is_not_found_and_orders_nothing(client, campaign):
    small = campaign.items.order_by("position").first()
    Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.DRAFT)
    draft = reverse("orders:checkout", args=[campaign.slug])
    assert client.get(draft, {f"qty-{small.pk}": 1}).status_code == 404
    assert client.post(draft, checkout_form([(small, 1)])).status_code == 404
    unknown = reverse("orders:checkout", args=["po-yang-tidak-ada"])
    assert client.post(unknown, checkout_form([(small, 1)])).status_code == 404
    assert not Order.objects.exists()


def test_a_line_of_another_po_is_left_out_of_the_checkout(client, campaign):
    other = campaign_with_products(products=1, options={"Ukuran": ["XL"]})
    small, theirs = campaign.items.order_by("position").first(), other.items.get()
    response = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(small, 1), (theirs, 1)]))
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.campaign == campaign
    assert list(order.lines.values_list("campaign_item", flat=True)) == [small.pk]


def test_a_buyer_orders_and_sees_exactly_what_to_transfer(client, campaign):
    small, medium = campaign.items.order_by("position")
    response = client.post(
        reverse("orders:checkout", args=[campaign.slug]),
        checkout_form([(small, 2), (medium, 1)], **{f"note-{small.pk}": "Bordir nama: Budi"}),
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:placed", args=[order.token])
    assert order.lines.get(campaign_item=small).note == "Bordir nama: Budi"

    html = client.get(response["Location"]).content.decode()
    amount = f"Rp{order.first_transfer_idr:,}".replace(",", ".")
    assert amount in html
    assert "BCA" in html and "1234567890" in html and "Toko Batik Sekar" in html
    assert order.get_absolute_url() in html


def test_bad_input_gets_a_message_keeps_the_form_and_orders_nothing(client, campaign):
    small, _ = campaign.items.order_by("position")
    response = client.post(
        reverse("orders:checkout", args=[campaign.slug]), checkout_form([(small, 1)], phone="12345", postal_code="55")
    )
    assert response.status_code == 200
    assert not Order.objects.exists()
    form = response.context["form"]
    assert set(form.errors) == {"phone", "postal_code"}
    assert form["buyer_name"].value() == BUYER_DEFAULTS["name"]
    small.refresh_from_db()
    assert small.units_reserved == 0


def test_losing_the_race_gives_a_clear_message_and_no_order(client, campaign):
    small, _ = campaign.items.order_by("position")
    CampaignItem.objects.filter(pk=small.pk).update(units_reserved=9)
    response = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(small, 2)]), follow=True)
    assert response.redirect_chain == [(f"{campaign.get_absolute_url()}?habis={small.pk}", 302)]
    assert not Order.objects.exists()
    assert _said(response) == [f"{small.variant} tinggal 1; kurangi jumlahnya lalu pesan lagi, ya."]
    assert list(response.context["messages"]) == []  # the same page for every buyer sent back alike


def _said(response) -> list[str]:
    """What the page says where messages go."""
    return [
        html.unescape(text).strip()
        for text in re.findall(r'<li class="message[^"]*">(.*?)</li>', response.content.decode(), re.S)
    ]


def test_losing_the_race_under_the_lock_answers_the_same(client, campaign, monkeypatch):
    """The page read units left a moment before another buyer took the last one: the lock refuses."""
    small, _ = campaign.items.order_by("position")
    monkeypatch.setattr("orders.views._units_check", lambda campaign, lines: None)
    CampaignItem.objects.filter(pk=small.pk).update(units_reserved=10)
    response = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(small, 1)]), follow=True)
    assert response.redirect_chain == [(f"{campaign.get_absolute_url()}?habis={small.pk}", 302)]
    assert not Order.objects.exists()
    assert _said(response) == [f"{small.variant} baru saja habis."]
    small.refresh_from_db()
    assert small.units_reserved == 10


def test_a_sold_out_line_is_told_before_the_form(client, campaign):
    small, _ = campaign.items.order_by("position")
    CampaignItem.objects.filter(pk=small.pk).update(units_reserved=10)
    response = client.get(reverse("orders:checkout", args=[campaign.slug]), {f"qty-{small.pk}": 1}, follow=True)
    assert response.redirect_chain == [(f"{campaign.get_absolute_url()}?habis={small.pk}", 302)]
    assert _said(response) == [f"{small.variant} baru saja habis."]


def test_a_page_opened_before_closing_cannot_order_after_it(client, campaign):
    small, _ = campaign.items.order_by("position")
    Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(small, 1)]), follow=True)
    assert not Order.objects.exists()
    assert response.redirect_chain[-1][0] == campaign.get_absolute_url()
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["PO ini sedang tidak menerima pesanan."], messages


def test_the_order_page_needs_the_token(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    assert client.get(order.get_absolute_url()).status_code == 200
    assert client.get(reverse("order_page", args=["bukan-token-yang-benar"])).status_code == 404
    assert client.get(f"/pesanan/{order.pk}/").status_code == 404
    assert client.get(f"/pesanan/{order.number}/").status_code == 404


def test_the_order_page_shows_lines_amounts_timeline_and_updates(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 2)])
    campaign_update_post(
        campaign=campaign, message="Produksi mundur seminggu.", new_estimated_ship_date=None, now=timezone.now()
    )
    Order.objects.filter(pk=order.pk).update(courier="JNE", tracking_number="JN1234567890")
    html = client.get(order.get_absolute_url()).content.decode()
    assert "Rp300.000" in html  # the total
    # Pay now the DP with its kode unik; later the balance, which the code is no part of.
    assert f"Rp{order.first_transfer_idr:,}".replace(",", ".") in html
    assert order.balance_idr == 300_000 - order.first_payment_idr
    assert f"Rp{order.balance_idr:,}".replace(",", ".") in html
    assert "Produksi mundur seminggu." in html
    assert "JN1234567890" in html
    assert 'name="robots" content="noindex"' in html


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_order_and_checkout_pages_run_a_fixed_number_of_queries(client):
    BankAccount.objects.create(bank_name="BCA", account_number="1", account_holder="A")
    counts = {}
    for size in (1, 6):
        campaign = campaign_with_products(products=size, options={"Ukuran": ["S", "M"]})
        items = list(campaign.items.all())
        order = place_order(
            campaign, [(item, 1) for item in items], email=f"q{size}@example.com", phone=f"08121234{size:04d}"
        )
        for number in range(size):
            campaign_update_post(
                campaign=campaign, message=f"Kabar {number}", new_estimated_ship_date=None, now=timezone.now()
            )
        checkout = (
            reverse("orders:checkout", args=[campaign.slug]) + "?" + "&".join(f"qty-{item.pk}=1" for item in items)
        )
        counts[size] = (_queries(client, order.get_absolute_url()), _queries(client, checkout))
    # order page: order, lines, events, updates, payments, refunds, bank accounts;
    # checkout: campaign, items, values, the shop's profile and its banks for the contract
    assert counts[1] == counts[6] == (7, 5)


def test_the_buyer_cancels_an_unpaid_order_from_its_page(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    once = client.post(reverse("payments:cancel", args=[order.token]), {"reason": "Berubah pikiran"}, follow=True)
    assert once.status_code == 200 and Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
    response = client.post(
        reverse("payments:cancel", args=[order.token]), {"reason": "Berubah pikiran", "confirm": "on"}, follow=True
    )
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert "dibatalkan" in response.content.decode()


@pytest.mark.parametrize("contact", ["siti@example.com", "+62 812-3456-7890"])
def test_lookup_sends_the_link_when_number_and_contact_match(
    client, campaign, contact, eager_tasks, django_capture_on_commit_callbacks
):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    messages_sent_so_far()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orders:lookup"), {"number": order.number.lower(), "contact": contact})
    assert len(mail.outbox) == 1
    assert order.get_absolute_url() in mail.outbox[0].body
    assert mail.outbox[0].to == ["siti@example.com"]


def test_lookup_says_the_same_and_sends_nothing_when_they_do_not_match(
    client, campaign, eager_tasks, django_capture_on_commit_callbacks
):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    messages_sent_so_far()
    # As in the test above, what the lookup commits runs (the nudged sweep, eagerly): an e-mail could come.
    with django_capture_on_commit_callbacks(execute=True):
        wrong = client.post(
            reverse("orders:lookup"), {"number": order.number, "contact": "orang@lain.com"}, follow=True
        )
        missing = client.post(
            reverse("orders:lookup"), {"number": "PO-0000-00000", "contact": "siti@example.com"}, follow=True
        )
    assert not Message.objects.filter(kind="order_link").exists()
    assert mail.outbox == []
    assert [str(m) for m in wrong.context["messages"]] == [str(m) for m in missing.context["messages"]]


def test_the_campaign_page_sends_chosen_quantities_to_checkout(client, campaign):
    html = client.get(campaign.get_absolute_url()).content.decode()
    action = re.search(r'<form method="get" action="([^"]+)" data-order-form>', html).group(1)
    assert action == reverse("orders:checkout", args=[campaign.slug])


def test_an_order_takes_its_id_and_kode_unik_in_one_statement_before_its_rows(client, campaign, settings):
    settings.PAGE_CACHE_SECONDS = 60  # the checkout's lines come from the cache, as in a rush
    # A small PO (under SMALL_QUOTA_UNITS, here 20 units in its items) reads its items' quotas once more
    # for its shorter time to pay (tests/orders/test_quota_hoarding.py); counted here: the usual PO.
    settings.SMALL_QUOTA_UNITS = 0
    cache.clear()  # none of another test's PO with the same ids
    small = campaign.items.order_by("position").first()
    url = reverse("orders:checkout", args=[campaign.slug])
    client.get(url, {f"qty-{small.pk}": 1})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, checkout_form([(small, 1)]))
    assert response.status_code == 302
    # A connection prepares its statements once (orders/prepared.py): whichever test runs first.
    statements = [query["sql"] for query in queries if not query["sql"].startswith("PREPARE ")]
    codes_read = [
        number for number, sql in enumerate(statements) if sql.startswith("SELECT") and "first_transfer" in sql
    ]
    if connection.vendor == "postgresql":
        # The PO with its lines' units; the id with the kode unik; then the savepoint, one statement for the
        # order with its line, event and message, one that reserves (the campaign's UPDATE, then the items'),
        # and the savepoint's release.
        assert len(statements) == 6 and codes_read == [1] and "nextval" in statements[1]
        assert [sql.split("(")[0] for sql in statements[3:5]] == ["EXECUTE order_insert", "EXECUTE units_reserve"]
    else:
        # SQLite numbers the order after its insert, so that takes a statement of its own; the plain ORM
        # reservation reads and locks the campaign, updates it with F(), then reads and updates the item.
        assert len(statements) == 13 and codes_read == [1]


def test_the_checkout_lists_the_refused_fields_each_linked_to_its_input(client, campaign):
    small = campaign.items.first()
    response = client.post(
        reverse("orders:checkout", args=[campaign.slug]),
        checkout_form([(small, 1)], phone="12", payment_plan="", street=""),
    )
    page = response.content.decode()
    summary = page[page.index("data-error-summary") : page.index("</ul>", page.index("data-error-summary"))]
    links = re.findall(r'<a href="#([^"]+)"', summary)
    # A radio list is linked to its first choice; every link points at an input the page has.
    assert "id_payment_plan_0" in links and "id_phone" in links and "id_street" in links
    assert all(f'id="{target}"' in page for target in links)
    assert not Order.objects.exists()
