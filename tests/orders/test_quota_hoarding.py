"""A PO with few units cannot be held by unpaid orders: a new order there must be paid within the PO's short
time (its "minutes to pay on a small-quota PO", else SMALL_QUOTA_PAY_MINUTES), never later than its hours to
pay, and expires after it, giving its units back; a bigger PO keeps its hours."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import dateformat, timezone, translation

from campaigns.admin import CampaignForm
from campaigns.models import Campaign, CampaignItem
from catalog.models import Variant
from orders.models import Order
from orders.services import order_expire_overdue
from payments.services import payment_reject, payment_submit
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import png_upload

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
SIZES = ["S", "M", "L", "XL"]


@pytest.fixture(autouse=True)
def _small_quota_rule(settings):
    settings.SMALL_QUOTA_UNITS = 50
    settings.SMALL_QUOTA_PAY_MINUTES = 120


def _po(*, quota_total=None, item_quotas=(10, 10), **fields) -> Campaign:
    """A PO selling one item per quota in `item_quotas` (None: no limit), 100.000 a unit."""
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": SIZES[: len(item_quotas)]},
        quota_total=quota_total,
        unpaid_expiry_hours=fields.pop("unpaid_expiry_hours", 24),
        **fields,
    )
    for item, quota in zip(campaign.items.order_by("position"), item_quotas, strict=True):
        CampaignItem.objects.filter(pk=item.pk).update(quota=quota, price_idr=100_000)
    return campaign


def test_an_unpaid_order_on_a_small_po_expires_after_its_short_time_and_gives_its_units_back():
    campaign = _po(quota_total=20)
    item = campaign.items.order_by("position").first()
    now = timezone.now()
    order = place_order(campaign, [(item, 3)], now=now)
    assert order.payment_deadline == now + 2 * HOUR
    assert Campaign.objects.get(pk=campaign.pk).units_reserved == 3

    assert order_expire_overdue(now=order.payment_deadline - MINUTE) == 0
    assert order_expire_overdue(now=order.payment_deadline) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert order.events.get(to_status=Order.Status.EXPIRED).reason_code == "Not paid by the deadline."
    assert Campaign.objects.get(pk=campaign.pk).units_reserved == 0
    assert CampaignItem.objects.get(pk=item.pk).units_reserved == 0


def test_a_big_po_keeps_its_hours_to_pay():
    campaign = _po(quota_total=200)
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 3)], now=now)
    assert order.payment_deadline == now + 24 * HOUR
    assert order_expire_overdue(now=now + 2 * HOUR) == 0
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT


@pytest.mark.parametrize(
    ("hours", "minutes", "default_minutes", "expected"),
    [
        (24, None, 120, 120),  # the shop's default
        (24, None, 30, 30),  # ... as the operator set it
        (24, 45, 120, 45),  # the seller's own, for this PO
        (1, None, 120, 60),  # never later than the PO's hours to pay
    ],
)
def test_the_short_time_is_the_pos_own_or_the_shops_never_longer_than_its_hours(
    settings, hours, minutes, default_minutes, expected
):
    settings.SMALL_QUOTA_PAY_MINUTES = default_minutes
    campaign = _po(quota_total=20, unpaid_expiry_hours=hours, quick_pay_minutes=minutes)
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 1)], now=now)
    assert order.payment_deadline == now + expected * MINUTE
    assert campaign.minutes_to_pay() == expected


@pytest.mark.parametrize(
    ("quota_total", "item_quotas", "small"),
    [
        (20, (None, None), True),  # its own quota
        (200, (5, 5), False),  # its own quota decides when it has one
        (None, (10, 10), True),  # none: its items' quotas add up to 20
        (None, (30, 30), False),  # ... or to 60
        (None, (10, None), False),  # an item without a quota: nothing limits the PO
        (None, (None, None), False),
    ],
)
def test_which_po_is_small(quota_total, item_quotas, small):
    campaign = _po(quota_total=quota_total, item_quotas=item_quotas)
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.order_by("position").first(), 1)], now=now)
    assert order.payment_deadline == now + (2 * HOUR if small else 24 * HOUR)


def test_an_item_no_longer_on_sale_does_not_count():
    campaign = _po(item_quotas=(10, None))
    unlimited = campaign.items.order_by("position").last()
    assert campaign.units_for_sale() is None
    Variant.objects.filter(pk=unlimited.variant_id).update(is_active=False)
    assert campaign.units_for_sale() == 10


def test_the_units_for_sale_are_read_only_when_the_po_and_the_lines_leave_it_open(django_assert_num_queries):
    limited = _po(quota_total=20)
    with django_assert_num_queries(0):
        assert limited.time_to_pay() == 2 * HOUR
    campaign = _po(item_quotas=(10, None))
    with_quota, without_quota = campaign.items.order_by("position")
    with django_assert_num_queries(0):
        assert campaign.units_for_sale([without_quota]) is None
    with django_assert_num_queries(1):
        assert campaign.units_for_sale([with_quota]) is None


def test_the_thank_you_page_shows_the_short_deadline(client, settings):
    campaign = _po(quota_total=20)
    order = place_order(campaign, [(campaign.items.first(), 1)])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("orders:placed", args=[order.token])).content.decode()
    with translation.override("en"):
        short = dateformat.format(timezone.localtime(order.payment_deadline), "l, j F Y, H:i")
        day_later = dateformat.format(timezone.localtime(order.created_at + 24 * HOUR), "l, j F Y, H:i")
    assert f"{short} WIB" in html
    assert day_later not in html


def test_after_a_rejected_proof_a_small_po_gives_its_short_time_again_not_a_day(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    campaign = _po(quota_total=20)
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 1)], now=now)
    proof = payment_submit(
        order=order,
        amount_idr=order.first_transfer_idr,
        paid_on=timezone.localdate(now),
        from_bank="BCA",
        from_account_name="Siti Rahmawati",
        proof_file=png_upload(),
        now=now + HOUR,
    )
    rejected_at = now + 90 * MINUTE
    payment_reject(payment_id=proof.pk, reason="Bukti tidak terbaca.", now=rejected_at)
    order.refresh_from_db()
    assert order.payment_deadline == rejected_at + 2 * HOUR
    assert order_expire_overdue(now=rejected_at + 2 * HOUR) == 1


def test_the_minutes_are_positive_and_at_most_the_hours(settings):
    campaign = _po(quota_total=20)
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(quick_pay_minutes=0)
    for minutes in (0, 24 * 60 + 1):
        campaign.quick_pay_minutes = minutes
        with pytest.raises(ValidationError) as refused:
            campaign.clean()
        assert "quick_pay_minutes" in refused.value.message_dict
    campaign.quick_pay_minutes = 30
    campaign.clean()
    assert "quick_pay_minutes" in CampaignForm.base_fields  # the seller sets it, and a change is saved


def test_the_checkout_and_the_pos_page_state_the_short_time_before_ordering(client, settings):
    small, big = _po(quota_total=20), _po(quota_total=500)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for campaign, rule in ((small, "Pay within 120 minutes of ordering"), (big, "Pay within 24 hours of ordering")):
        item = campaign.items.first()
        checkout = client.get(reverse("orders:checkout", args=[campaign.slug]), {f"qty-{item.pk}": 1})
        assert rule in checkout.content.decode()
        assert rule in client.get(campaign.get_absolute_url()).content.decode()
