"""Throttles and per-client caps count an IPv6 client by its /64, which one line or phone holds whole and
picks addresses from at will; an IPv4 client by its address, as before."""

import datetime

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

import preorder_shop.client
from campaigns.models import CampaignItem
from demand.models import Interest
from orders.models import Order
from preorder_shop.client import client_ip, client_key, client_network
from tests.factories import campaign_with_products, checkout_form

pytestmark = pytest.mark.django_db

# Two addresses of one /64 (a phone's privacy addresses), and one of the next /64.
SAME_64 = ("2001:db8:aa:1::10", "2001:db8:aa:1:f00d:1234:5678:9abc", "2001:db8:aa:1:ffff:ffff:ffff:ffff")
NEXT_64 = "2001:db8:aa:2::10"


@pytest.fixture(autouse=True)
def _cache_answering(monkeypatch):
    """Each test starts with the cache empty and counted as answering, whatever a test before met."""
    cache.clear()
    monkeypatch.setattr(preorder_shop.client, "_cache_down_until", 0.0)


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50, quota_total=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    return campaign


def _request(address: str, forwarded: str = ""):
    return RequestFactory().get("/", REMOTE_ADDR=address, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}))


def _checkout(client, campaign, n: int, address: str):
    item = campaign.items.order_by("position").first()
    return client.post(
        reverse("orders:checkout", args=[campaign.slug]),
        checkout_form([(item, 1)], phone=f"08129900{n:04d}", email=f"pembeli{n}@example.com"),
        REMOTE_ADDR=address,
    )


def test_addresses_of_one_ipv6_64_are_one_client_and_ipv4_addresses_each_their_own():
    keys = {client_key(_request(address)) for address in SAME_64}
    assert len(keys) == 1
    assert client_network(_request(SAME_64[1])) == "2001:db8:aa:1::"
    assert client_key(_request(NEXT_64)) not in keys
    assert client_network(_request("192.0.2.10")) == "192.0.2.10"
    assert client_key(_request("192.0.2.10")) != client_key(_request("192.0.2.11"))
    # An IPv4 client seen through a dual-stack socket is that IPv4 client, not the /64 of all of them.
    assert client_ip(_request("::ffff:192.0.2.10")) == "192.0.2.10"
    assert client_key(_request("::ffff:192.0.2.10")) == client_key(_request("192.0.2.10"))
    assert client_key(_request("::ffff:192.0.2.11")) != client_key(_request("192.0.2.10"))


def test_behind_the_proxy_the_network_is_the_one_the_proxy_saw(settings):
    settings.PROXY_COUNT = 1
    # What the client wrote on the left is not believed; the proxy's entry on the right is.
    first = _request("10.0.0.1", forwarded=f"192.0.2.99, {SAME_64[0]}")
    second = _request("10.0.0.1", forwarded=f"198.51.100.7, {SAME_64[2]}")
    assert client_network(first) == client_network(second) == "2001:db8:aa:1::"
    assert client_key(first) == client_key(second) != client_key(_request("10.0.0.1", forwarded=NEXT_64))


def test_the_checkout_throttle_counts_one_ipv6_64_as_one_client(client, campaign, settings):
    settings.CHECKOUT_RATE = "2/m"
    answers = [_checkout(client, campaign, n, address).status_code for n, address in enumerate(SAME_64)]
    assert answers == [302, 302, 429]  # a new address of the same /64 is the same client
    assert _checkout(client, campaign, 7, NEXT_64).status_code == 302  # the next /64 is another client
    assert Order.objects.count() == 3


def test_the_checkout_throttle_counts_ipv4_addresses_one_by_one(client, campaign, settings):
    settings.CHECKOUT_RATE = "2/m"
    answers = [_checkout(client, campaign, n, "192.0.2.10").status_code for n in range(3)]
    assert answers == [302, 302, 429]
    assert _checkout(client, campaign, 7, "192.0.2.11").status_code == 302  # its neighbour is not slowed


def test_the_unpaid_orders_cap_counts_one_ipv6_64_as_one_client(client, campaign, settings):
    settings.UNPAID_ORDERS_PER_CLIENT = 2
    answers = [_checkout(client, campaign, n, address).status_code for n, address in enumerate(SAME_64)]
    assert answers == [302, 302, 200]  # the third is refused on the checkout page
    assert Order.objects.count() == 2
    assert _checkout(client, campaign, 7, NEXT_64).status_code == 302
    assert _checkout(client, campaign, 8, "192.0.2.30").status_code == 302
    assert _checkout(client, campaign, 9, "192.0.2.31").status_code == 302


def test_the_remind_me_cap_counts_one_ipv6_64_as_one_client(client, settings):
    settings.INTEREST_PER_CLIENT = 1
    coming = campaign_with_products(
        products=1, options={"Ukuran": ["S"]}, opens_at=timezone.now() + datetime.timedelta(days=2)
    )
    url = reverse("demand:register", args=[coming.slug])
    for phone, address in (("081234567001", SAME_64[0]), ("081234567002", SAME_64[1])):
        client.post(url, {"phone": phone}, REMOTE_ADDR=address)
    assert list(Interest.objects.values_list("phone", flat=True)) == ["+6281234567001"]  # the second: capped
    client.post(url, {"phone": "081234567003"}, REMOTE_ADDR=NEXT_64)
    assert Interest.objects.filter(phone="+6281234567003").exists()
