import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from campaigns.models import CampaignItem
from orders.exceptions import IllegalOrderTransition
from orders.models import Order
from orders.services import ALLOWED_TRANSITIONS, order_expire_overdue, order_transition
from orders.tasks import order_expire_overdue_task
from payments.services import order_cancel
from tests.factories import campaign_with_products, messages_sent_so_far, place_order

pytestmark = pytest.mark.django_db
Status = Order.Status


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["M"]}, quota_total=20, unpaid_expiry_hours=24)
    CampaignItem.objects.filter(campaign=campaign).update(quota=10)
    return campaign


def _reserved(campaign):
    item = campaign.items.get()
    item.refresh_from_db()
    campaign.refresh_from_db()
    return item.units_reserved, campaign.units_reserved


def _pay(order, now):
    """A payment confirmed: what the payments service does to the order."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        order_transition(order=locked, to_status=Status.DP_PAID, now=now, actor_label="system")


def test_an_unpaid_order_expires_after_its_deadline_and_gives_units_back_once(
    campaign, eager_tasks, django_capture_on_commit_callbacks
):
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.get(), 3)], now=now)
    messages_sent_so_far()
    assert _reserved(campaign) == (3, 3)

    assert order_expire_overdue(now=order.payment_deadline - datetime.timedelta(seconds=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert order_expire_overdue(now=order.payment_deadline) == 1
    assert order_expire_overdue(now=order.payment_deadline + datetime.timedelta(minutes=1)) == 0

    order.refresh_from_db()
    assert order.status == Status.EXPIRED
    assert _reserved(campaign) == (0, 0)
    assert list(order.events.values_list("from_status", "to_status", "actor_label")) == [
        ("", "pending_payment", "buyer"),
        ("pending_payment", "expired", "system"),
    ]
    assert len(mail.outbox) == 1
    assert order.number in mail.outbox[0].subject and order.get_absolute_url() in mail.outbox[0].body


def test_a_paid_order_never_expires(campaign):
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.get(), 2)], now=now)
    _pay(order, now)
    assert order_expire_overdue(now=order.payment_deadline + datetime.timedelta(hours=1)) == 0
    order.refresh_from_db()
    assert order.status == Status.DP_PAID
    assert _reserved(campaign) == (2, 2)


def test_the_expiry_task_runs_the_service(campaign):
    ordered_at = campaign.opens_at + datetime.timedelta(minutes=1)  # two days ago, past its 24 hours
    order = place_order(campaign, [(campaign.items.get(), 1)], now=ordered_at)
    assert order_expire_overdue_task() == 1
    assert order_expire_overdue_task() == 0
    order.refresh_from_db()
    assert order.status == Status.EXPIRED


def test_the_buyer_cancels_an_unpaid_order_once(campaign):
    order = place_order(campaign, [(campaign.items.get(), 4)])
    order_cancel(order=order, now=timezone.now(), reason="Salah ukuran")
    assert _reserved(campaign) == (0, 0)
    with pytest.raises(IllegalOrderTransition):
        order_cancel(order=order, now=timezone.now())
    assert _reserved(campaign) == (0, 0)
    event = order.events.last()
    assert (event.to_status, event.actor_label, event.reason) == ("cancelled", "buyer", "Salah ukuran")


def test_every_move_outside_the_table_raises_a_named_error(campaign):
    order = place_order(campaign, [(campaign.items.get(), 1)])
    for from_status in Status.values:
        for to_status in Status.values:
            if to_status in ALLOWED_TRANSITIONS[from_status]:
                continue
            order.status = from_status
            with pytest.raises(IllegalOrderTransition):
                order_transition(order=order, to_status=to_status, now=timezone.now())


def test_a_staff_cancellation_records_who_and_why(campaign, admin_user):
    order = place_order(campaign, [(campaign.items.get(), 1)])
    order_cancel(order=order, now=timezone.now(), actor=admin_user, reason="Pembeli minta batal via WA")
    event = order.events.last()
    assert (event.actor, event.actor_label, event.reason) == (admin_user, "admin", "Pembeli minta batal via WA")
