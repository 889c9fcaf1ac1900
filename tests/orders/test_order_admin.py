from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignItem
from orders.admin import whatsapp_url
from orders.models import Order
from orders.services import order_transition
from tests.factories import CampaignFactory, campaign_with_products, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]})
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000, quota=20)
    return campaign


def _orders(campaign):
    small, medium = campaign.items.order_by("position")
    first = place_order(campaign, [(small, 2)], name="Ani", email="ani@example.com", phone="081111111111")
    second = place_order(
        campaign, [(medium, 1)], plan="full", name="Budi", email="budi@example.com", phone="082222222222"
    )
    third = place_order(
        campaign, [(small, 1), (medium, 3)], name="Citra", email="citra@example.com", phone="083333333333"
    )
    order_transition(order=third, to_status=Order.Status.DP_PAID, now=timezone.now(), actor_label="system")
    return first, second, third


def test_the_seller_finds_orders_by_filter_and_search(seller_client, campaign):
    first, second, third = _orders(campaign)
    changelist = reverse("admin:orders_order_changelist")

    def found(params):
        return {order.pk for order in seller_client.get(changelist, params).context["cl"].result_list}

    assert found({"status__exact": "dp_paid"}) == {third.pk}
    assert found({"payment_plan__exact": "full"}) == {second.pk}
    assert found({"campaign__id__exact": campaign.pk}) == {first.pk, second.pk, third.pk}
    assert found({"q": second.number}) == {second.pk}
    assert found({"q": "Citra"}) == {third.pk}
    assert found({"q": "081111111111"[1:]}) == {first.pk}
    Order.objects.filter(pk=first.pk).update(payment_deadline=timezone.now() - timezone.timedelta(minutes=1))
    assert found({"overdue": "first"}) == {first.pk}


def test_the_order_page_in_admin_shows_lines_timeline_and_whatsapp(seller_client, campaign):
    _, _, third = _orders(campaign)
    html = seller_client.get(reverse("admin:orders_order_change", args=[third.pk])).content.decode()
    assert "https://wa.me/6283333333333?text=" in html
    assert third.lines.first().sku in html
    assert 'id="events-group"' in html and 'id="lines-group"' in html


def test_the_whatsapp_link_opens_a_chat_with_a_prefilled_text(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    url = urlparse(whatsapp_url(order))
    assert (url.netloc, url.path) == ("wa.me", "/6281234567890")
    assert order.number in parse_qs(url.query)["text"][0]


def test_the_seller_cancels_orders_with_a_reason(seller_client, campaign):
    first, second, third = _orders(campaign)
    changelist = reverse("admin:orders_order_changelist")
    seller_client.post(changelist, {"action": "cancel_orders", "reason": "", "_selected_action": [first.pk]})
    first.refresh_from_db()
    assert first.status == Order.Status.PENDING_PAYMENT  # no reason, nothing done

    seller_client.post(
        changelist, {"action": "cancel_orders", "reason": "Stok kain habis", "_selected_action": [first.pk, third.pk]}
    )
    first.refresh_from_db()
    third.refresh_from_db()
    assert first.status == Order.Status.CANCELLED
    assert third.status == Order.Status.CANCELLED
    event = first.events.last()
    assert (event.reason, event.actor.username) == ("Stok kain habis", "penjual")


def test_demand_per_campaign_counts_units_by_variant_and_day(seller_client, campaign):
    _orders(campaign)
    response = seller_client.get(reverse("admin:orders_campaigndemand_demand", args=[campaign.pk]))
    assert response.status_code == 200
    rows = {
        row.item.variant.label: (row.units_paid, row.units_unpaid, row.units_left)
        for row in response.context["variants"]
    }
    assert rows == {"S": (1, 2, 17), "M": (3, 1, 16)}
    assert [(day.orders, day.units) for day in response.context["days"]] == [(3, 7)]
    assert seller_client.get(reverse("admin:orders_campaigndemand_changelist")).status_code == 200


def test_a_staff_member_without_permissions_cannot_open_the_demand_page(client):
    campaign = CampaignFactory()
    client.force_login(User.objects.create_user("magang", password="rahasia-magang-123", is_staff=True))
    assert client.get(reverse("admin:orders_campaigndemand_demand", args=[campaign.pk])).status_code == 403
