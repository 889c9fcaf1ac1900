"""One client cannot hoard a limited PO: checkout and lookup are throttled per client, unpaid
orders are capped per client, a junk proof holds an order only for a while, e-mail aliases
count as one buyer, the admin login locks out, and every page carries a CSP."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from campaigns.demo import demo_seller_ensure
from campaigns.models import Campaign, CampaignItem
from orders.checkout import email_key
from orders.exceptions import BuyerLimitExceeded
from orders.models import Order
from orders.services import order_expire_overdue
from payments.services import payments_stale_proofs_release
from tests.factories import campaign_with_products, checkout_form, place_order
from tests.payments.conftest import submit_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50, quota_total=20)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    return campaign


def _checkout(client, campaign, n, address):
    item = campaign.items.order_by("position").first()
    return client.post(
        reverse("orders:checkout", args=[campaign.slug]),
        checkout_form([(item, 1)], phone=f"08129900{n:04d}", email=f"pembeli{n}@example.com"),
        REMOTE_ADDR=address,
    )


def test_checkout_is_throttled_per_client(client, campaign, settings):
    settings.CHECKOUT_RATE = "3/m"
    cache.clear()
    answers = [_checkout(client, campaign, n, "192.0.2.10").status_code for n in range(5)]
    assert answers[:3] == [302, 302, 302] and answers[3:] == [429, 429]
    assert _checkout(client, campaign, 9, "192.0.2.11").status_code == 302  # another client is not slowed
    assert Order.objects.count() == 4


def test_the_lookup_is_throttled_per_client(client, campaign, settings):
    settings.LOOKUP_RATE = "2/m"
    cache.clear()
    url = reverse("orders:lookup")
    answers = [
        client.post(url, {"number": "PO-0000-00000", "contact": "x@example.com"}, REMOTE_ADDR="192.0.2.20").status_code
        for _ in range(4)
    ]
    assert answers == [302, 302, 429, 429]


def test_unpaid_orders_are_capped_per_client(client, campaign, settings):
    settings.UNPAID_ORDERS_PER_CLIENT = 2
    answers = [_checkout(client, campaign, n, "192.0.2.30").status_code for n in range(3)]
    assert answers == [302, 302, 200]
    assert Order.objects.count() == 2
    assert _checkout(client, campaign, 7, "192.0.2.31").status_code == 302


def test_a_proof_nobody_checks_holds_an_unpaid_order_only_for_a_while(campaign, settings):
    # A junk proof (less than due) holds nothing: tests/payments/test_proof_plausibility.py.
    settings.PROOF_HOLD_HOURS = 48
    order = place_order(campaign, [(campaign.items.first(), 3)])
    submit_transfer(order, order.first_transfer_idr)  # plausible (the amount due) but never checked
    past_deadline = order.payment_deadline + datetime.timedelta(hours=1)
    assert order_expire_overdue(now=past_deadline) == 0  # a waiting proof holds it
    assert payments_stale_proofs_release(now=past_deadline) == 0
    later = timezone.now() + datetime.timedelta(hours=49)
    assert payments_stale_proofs_release(now=later) == 1
    assert order_expire_overdue(now=later) == 1
    assert Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED
    assert Campaign.objects.get(pk=campaign.pk).units_reserved == 0


@pytest.mark.parametrize(
    ("alias", "key"),
    [
        ("Siti.Rahma+po2@gmail.com", "sitirahma@gmail.com"),
        ("s.i.t.i.rahma@googlemail.com", "sitirahma@gmail.com"),
        ("siti+tas@toko.co.id", "siti+tas@toko.co.id"),  # elsewhere a "+" may be another mailbox
        ("Si.Ti@Toko.co.id", "si.ti@toko.co.id"),
    ],
)
def test_email_aliases_count_as_one_buyer(alias, key):
    assert email_key(alias) == key


def test_the_per_buyer_limit_sees_through_email_aliases(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(per_buyer_limit=2)
    campaign.refresh_from_db()
    item = campaign.items.first()
    place_order(campaign, [(item, 2)], email="sitirahma@gmail.com", phone="081299000001")
    with pytest.raises(BuyerLimitExceeded):
        place_order(campaign, [(item, 1)], email="Siti.Rahma+lagi@gmail.com", phone="081299000002")


def test_the_admin_login_locks_out_after_repeated_failures(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    demo_seller_ensure(password="rahasia-penjual-123")
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": "penjual", "password": "salah"}, REMOTE_ADDR="192.0.2.40")
    locked = client.post(url, {"username": "penjual", "password": "rahasia-penjual-123"}, REMOTE_ADDR="192.0.2.40")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_every_page_carries_a_content_security_policy_without_inline_script(client, campaign):
    for url in ["/", campaign.get_absolute_url(), reverse("orders:lookup")]:
        response = client.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy
