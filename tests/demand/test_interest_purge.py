"""The contacts left with "Ingatkan saya" are personal data: the purge deletes them once their PO's window
closed PERSONAL_DATA_DAYS ago, and blanks the contacts and texts of the messages they were sent."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from demand.models import Interest, InterestLine
from demand.services import interests_notify_opened
from fulfilment.services import personal_data_purge
from orders.models import Message
from orders.outbox import messages_deliver_due
from tests.demand.conftest import after_opening, register, sizes
from tests.factories import campaign_with_products

pytestmark = pytest.mark.django_db


def _closed_days_ago(campaign: Campaign, days: int) -> None:
    closes = timezone.now() - datetime.timedelta(days=days)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=closes - datetime.timedelta(days=10), closes_at=closes)


def test_the_purge_deletes_the_interest_of_long_closed_pos_and_blanks_their_messages(coming, settings):
    settings.PERSONAL_DATA_DAYS = 365
    small, _medium = sizes(coming)
    old = register(coming, "081200000001", email="a@example.com", wanted={small.pk: 2})
    register(coming, "081200000002")
    interests_notify_opened(now=after_opening(coming))
    messages_deliver_due(now=timezone.now())  # rendered and sent: the text holds the stop link
    recent = campaign_with_products(
        products=1, options={"Ukuran": ["S"]}, opens_at=timezone.now() + datetime.timedelta(days=1)
    )
    kept = register(recent, "081200000001", email="a@example.com")
    _closed_days_ago(coming, 400)
    _closed_days_ago(recent, 10)

    call_command("purge_personal_data", "--days", "365")
    assert list(Interest.objects.all()) == [kept]
    assert not InterestLine.objects.filter(interest_id=old.pk).exists()
    messages = Message.objects.filter(kind="po_opened")
    assert messages.count() == 2  # the outbox keeps its history, without the contacts
    assert set(messages.values_list("to_email", "to_phone", "subject", "body")) == {("", "", "", "")}
    assert personal_data_purge(days=365, now=timezone.now()) == (0, 0)
    assert Interest.objects.count() == 1


def test_a_message_of_a_purged_interest_still_opens_for_the_seller(coming, seller_client):
    register(coming, "081200000002")
    interests_notify_opened(now=after_opening(coming))
    _closed_days_ago(coming, 400)
    personal_data_purge(days=365, now=timezone.now())
    message = Message.objects.get(kind="po_opened")
    page = seller_client.get(reverse("admin:orders_message_change", args=[message.pk]))
    assert page.status_code == 200 and "+6281200000002" not in page.content.decode()


def test_the_privacy_notice_tells_of_the_reminders(client, settings):
    settings.PERSONAL_DATA_DAYS = 180
    html = client.get(reverse("privacy")).content.decode()
    assert "Ingatkan saya" in html and "180 hari setelah PO ditutup" in html


def test_a_po_deleted_with_its_interest_leaves_no_contact_in_its_messages_after_the_purge(coming):
    register(coming, "081200000002", email="b@example.com")
    interests_notify_opened(now=after_opening(coming))
    Campaign.objects.filter(pk=coming.pk).delete()  # no order yet: the seller may delete it
    assert not Interest.objects.exists()
    personal_data_purge(days=365, now=timezone.now())
    assert set(Message.objects.filter(kind="po_opened").values_list("to_email", "to_phone")) == {("", "")}


def test_the_seller_deletes_a_buyers_interest_on_request_and_its_messages_lose_the_contact(coming, seller_client):
    forgotten = register(coming, "081200000001", email="a@example.com")
    kept = register(coming, "081200000002", email="b@example.com", client="klien-b")
    interests_notify_opened(now=after_opening(coming))
    response = seller_client.post(
        reverse("admin:demand_interest_changelist"),
        {"action": "delete_selected", "_selected_action": [forgotten.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert list(Interest.objects.all()) == [kept]
    contacts = dict(Message.objects.filter(kind="po_opened").values_list("params__interest_id", "to_phone"))
    assert contacts == {forgotten.pk: "", kept.pk: "+6281200000002"}


def test_the_purge_takes_the_waitlist_and_its_units_back_messages_too(settings):
    from demand.waitlist import waitlist_join, waitlists_notify_released  # noqa: PLC0415 - only this test
    from orders.services import order_expire_overdue  # noqa: PLC0415 - only this test
    from tests.factories import place_order  # noqa: PLC0415 - only this test

    settings.PERSONAL_DATA_DAYS = 365
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S"]},
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=3),
    )
    (small,) = campaign.items.all()
    campaign.items.update(quota=1)
    order = place_order(campaign, [(small, 1)], plan="full")
    waitlist_join(
        campaign=campaign, phone="081200000009", email="w@example.com", wanted={small.pk: 1}, client_key="k", now=now
    )
    order_expire_overdue(now=order.payment_deadline + datetime.timedelta(minutes=1))
    assert waitlists_notify_released(now=order.payment_deadline + datetime.timedelta(minutes=2)) == 1
    messages_deliver_due(now=order.payment_deadline + datetime.timedelta(minutes=3))
    _closed_days_ago(campaign, 400)
    personal_data_purge(days=365, now=timezone.now())
    assert not Interest.objects.filter(campaign=campaign).exists()
    message = Message.objects.get(kind="units_back")
    assert (message.to_email, message.to_phone, message.subject, message.body) == ("", "", "", "")
