import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, connection

from campaigns.models import Campaign, CampaignItem
from orders.checkout import LineRequest, order_place, phone_normalise, unique_code
from orders.checkout import buyer as checkout_buyer
from orders.exceptions import BuyerLimitExceeded, CampaignNotOpen, InvalidOrder, QuotaExceeded
from orders.models import Order
from tests.factories import buyer, campaign_with_products, place_order
from tests.helpers import seeded_random

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50, unpaid_expiry_hours=24, quota_total=30
    )
    # Thirty units is a small PO: its orders are paid within SMALL_QUOTA_PAY_MINUTES (test_quota_hoarding.py).
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000, quota=10)
    return campaign


def _items(campaign):
    return list(campaign.items.order_by("position"))


def test_a_dp_order_reserves_units_and_states_what_to_pay(campaign, django_capture_on_commit_callbacks):
    small, medium = _items(campaign)
    now = campaign.opens_at + datetime.timedelta(hours=5)

    with django_capture_on_commit_callbacks() as callbacks:
        order = place_order(campaign, [(small, 2), (medium, 1)], plan="dp", now=now)

    assert re.fullmatch(r"PO-\d{4}-\d{5}", order.number)
    assert order.status == Order.Status.PENDING_PAYMENT
    assert (order.units, order.total_idr, order.first_payment_idr) == (3, 450_000, 225_000)
    assert order.balance_idr == 225_000  # the kode unik rides on the first transfer, not on the balance
    assert 1 <= order.unique_code <= 999
    assert order.first_transfer_idr == 225_000 + order.unique_code
    assert order.payment_deadline == now + datetime.timedelta(minutes=settings.SMALL_QUOTA_PAY_MINUTES)
    assert order.balance_due_date == campaign.balance_due_date
    assert order.phone == "+6281234567890"
    assert [(line.quantity, line.unit_price_idr, line.line_total_idr) for line in order.lines.all()] == [
        (2, 150_000, 300_000),
        (1, 150_000, 150_000),
    ]
    assert list(order.events.values_list("from_status", "to_status", "actor_label")) == [
        ("", "pending_payment", "buyer")
    ]
    small.refresh_from_db()
    medium.refresh_from_db()
    campaign.refresh_from_db()
    assert (small.units_reserved, medium.units_reserved, campaign.units_reserved) == (2, 1, 3)
    assert len(callbacks) == 1  # the confirmation e-mail, sent once the order is committed


def test_prices_are_copied_onto_the_order(campaign):
    small, _ = _items(campaign)
    order = place_order(campaign, [(small, 1)], plan="full")
    CampaignItem.objects.filter(pk=small.pk).update(price_idr=999_000)
    line = order.lines.get()
    assert (line.unit_price_idr, order.total_idr, order.first_payment_idr, order.balance_idr) == (
        150_000,
        150_000,
        150_000,
        0,
    )
    assert order.balance_due_date is None


def test_the_confirmation_email_says_what_to_transfer(campaign, eager_tasks, django_capture_on_commit_callbacks):
    small, _ = _items(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(campaign, [(small, 1)], plan="dp")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["siti@example.com"]
    assert order.number in message.subject
    assert f"Rp{order.first_transfer_idr:,}".replace(",", ".") in message.body
    assert order.get_absolute_url() in message.body


@pytest.mark.parametrize("moment", ["before", "after"])
def test_ordering_outside_the_window_is_refused_and_changes_nothing(campaign, moment):
    small, _ = _items(campaign)
    now = campaign.opens_at - datetime.timedelta(seconds=1) if moment == "before" else campaign.closes_at
    with pytest.raises(CampaignNotOpen):
        place_order(campaign, [(small, 1)], now=now)
    assert not Order.objects.exists()
    small.refresh_from_db()
    assert small.units_reserved == 0


def test_the_item_quota_is_never_exceeded(campaign):
    small, _ = _items(campaign)
    place_order(campaign, [(small, 8)], email="a@example.com", phone="081111111111")
    with pytest.raises(QuotaExceeded) as error:
        place_order(campaign, [(small, 3)], email="b@example.com", phone="082222222222")
    assert error.value.units_left == 2
    place_order(campaign, [(small, 2)], email="c@example.com", phone="083333333333")
    small.refresh_from_db()
    assert small.units_reserved == 10


def test_the_campaign_quota_is_never_exceeded(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(quota_total=5)
    small, medium = _items(campaign)
    place_order(campaign, [(small, 3)], email="a@example.com", phone="081111111111")
    with pytest.raises(QuotaExceeded):
        place_order(campaign, [(medium, 3)], email="b@example.com", phone="082222222222")
    assert Order.objects.count() == 1


@pytest.mark.parametrize("same", ["phone", "email"])
def test_the_per_buyer_limit_counts_the_same_phone_or_email(campaign, same):
    Campaign.objects.filter(pk=campaign.pk).update(per_buyer_limit=3)
    small, medium = _items(campaign)
    place_order(campaign, [(small, 2)], email="siti@example.com", phone="081234567890")
    other = {"phone": {"email": "lain@example.com"}, "email": {"phone": "089999999999", "email": "SITI@example.com"}}
    with pytest.raises(BuyerLimitExceeded):
        place_order(campaign, [(medium, 2)], **other[same])
    place_order(campaign, [(medium, 1)], **other[same])
    assert Order.objects.count() == 2


def test_an_expired_order_does_not_count_towards_the_buyer_limit(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(per_buyer_limit=2)
    small, _ = _items(campaign)
    first = place_order(campaign, [(small, 2)])
    with pytest.raises(BuyerLimitExceeded):
        place_order(campaign, [(small, 1)])  # the limit holds while the first order is live
    Order.objects.filter(pk=first.pk).update(status=Order.Status.EXPIRED)
    second = place_order(campaign, [(small, 2)])
    assert list(Order.objects.order_by("pk").values_list("pk", "status")) == [
        (first.pk, Order.Status.EXPIRED),
        (second.pk, Order.Status.PENDING_PAYMENT),
    ]


@pytest.mark.parametrize(
    ("terms", "plan"),
    [(Campaign.PaymentTerms.FULL_ONLY, "dp"), (Campaign.PaymentTerms.DP_REQUIRED, "full")],
)
def test_the_payment_plan_must_fit_the_campaign_terms(campaign, terms, plan):
    Campaign.objects.filter(pk=campaign.pk).update(payment_terms=terms)
    small, _ = _items(campaign)
    with pytest.raises(InvalidOrder):
        place_order(campaign, [(small, 1)], plan=plan)


def test_terms_must_be_accepted(campaign):
    small, _ = _items(campaign)
    with pytest.raises(InvalidOrder):
        order_place(
            campaign_id=campaign.pk,
            lines=[LineRequest(small.pk, 1)],
            buyer=buyer(),
            payment_plan="full",
            terms_accepted=False,
            now=campaign.opens_at + datetime.timedelta(hours=1),
        )


def test_items_of_another_campaign_or_switched_off_cannot_be_ordered(campaign):
    small, medium = _items(campaign)
    other_item = campaign_with_products(products=1, options={"Ukuran": ["L"]}).items.get()
    with pytest.raises(InvalidOrder):
        place_order(campaign, [(other_item, 1)])
    medium.variant.is_active = False
    medium.variant.save()
    with pytest.raises(InvalidOrder):
        place_order(campaign, [(medium, 1)])
    with pytest.raises(InvalidOrder):
        place_order(campaign, [(small, 0)])


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
    ],
)
def test_whatsapp_numbers_are_stored_as_plus_62(raw, stored):
    assert phone_normalise(raw) == stored


@pytest.mark.parametrize("raw", ["12345", "021-1234567", "+1 415 555 0100", "bukan nomor"])
def test_numbers_that_are_not_indonesian_mobiles_are_refused(raw):
    with pytest.raises(InvalidOrder):
        phone_normalise(raw)


def test_no_two_unpaid_orders_share_a_transfer_amount(campaign):
    small, medium = _items(campaign)
    first = place_order(campaign, [(small, 1)], plan="full", email="a@example.com", phone="081111111111")
    second = place_order(campaign, [(medium, 1)], plan="full", email="b@example.com", phone="082222222222")
    assert first.first_payment_idr == second.first_payment_idr
    assert first.first_transfer_idr != second.first_transfer_idr
    with pytest.raises(IntegrityError):
        Order.objects.filter(pk=second.pk).update(
            unique_code=first.unique_code, first_transfer_idr=first.first_transfer_idr
        )


def test_a_new_order_avoids_every_amount_unpaid_orders_use_and_its_number_skips_none(campaign, monkeypatch):
    small, medium = _items(campaign)
    first = place_order(campaign, [(small, 1)], plan="full", email="a@example.com", phone="081111111111")
    # The only three-digit code the second order tries is the first order's: the amount is taken.
    forced = [[first.unique_code]]
    random_sample = seeded_random(1).sample

    def sample(population, k):
        return forced.pop() if forced else random_sample(population, k)

    monkeypatch.setattr(unique_code.random, "sample", sample)
    second = place_order(campaign, [(medium, 1)], plan="full", email="b@example.com", phone="082222222222")
    assert second.first_payment_idr == first.first_payment_idr
    assert second.unique_code != first.unique_code
    assert forced == []  # the clash was tried, and the order went through on another code
    if connection.vendor == "postgresql":
        assert second.pk == first.pk + 1  # the id reserved for the order that rolled back is the one it got


def test_the_fixed_dp_is_per_unit(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(
        dp_kind=Campaign.DownPaymentKind.FIXED, dp_fixed_per_unit_idr=50_000, dp_percent=None
    )
    small, _ = _items(campaign)
    campaign.refresh_from_db()
    order = place_order(campaign, [(small, 3)], plan="dp")
    assert (order.first_payment_idr, order.balance_idr) == (150_000, 300_000)


def test_a_number_is_parsed_once_whether_typed_or_already_normalised(monkeypatch):
    monkeypatch.setattr(checkout_buyer, "_PHONES_NORMALISED", {})
    parsed = []
    real_parse = checkout_buyer.phonenumbers.parse
    monkeypatch.setattr(checkout_buyer.phonenumbers, "parse", lambda *args: parsed.append(args[0]) or real_parse(*args))
    assert phone_normalise("0812-3456-7890") == "+6281234567890"
    assert phone_normalise("+6281234567890") == "+6281234567890"
    assert phone_normalise("0812-3456-7890") == "+6281234567890"
    assert parsed == ["0812-3456-7890"]
    for _attempt in range(2):  # a refused number is refused each time
        with pytest.raises(InvalidOrder):
            phone_normalise("021-1234567")
    assert parsed == ["0812-3456-7890", "021-1234567", "021-1234567"]
