"""The seller hears of transfer proofs and gets a daily summary per open PO; a buyer may order
with WhatsApp only, and then every message waits for the seller on WhatsApp."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import Campaign, CampaignItem
from orders.models import Message, Order
from orders.outbox import message_deliver, messages_deliver_due
from payments.seller import seller_daily_summary_send
from payments.services import payment_confirm
from tests.factories import campaign_with_products, checkout_form, place_order

from .conftest import submit_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    return campaign


def test_a_transfer_proof_tells_the_seller_once_and_shows_a_badge_in_admin(campaign, settings, seller_client):
    settings.SELLER_EMAIL = "toko@example.id,pemilik@example.id"
    order = place_order(campaign, [(campaign.items.first(), 1)])
    payment = submit_transfer(order, order.first_transfer_idr)
    seller = Message.objects.get(kind="seller_proof_waiting")
    assert (seller.audience, seller.to_email, seller.params) == (
        "seller",
        "toko@example.id,pemilik@example.id",
        {"payment_id": payment.pk},
    )
    mail.outbox.clear()
    assert message_deliver(message_id=seller.pk, now=timezone.now()) == "sent"
    assert mail.outbox[0].to == ["toko@example.id", "pemilik@example.id"]
    assert order.number in mail.outbox[0].subject

    page = seller_client.get(reverse("admin:index")).content.decode()
    badge = re.search(r'<div class="proofs-badge" role="status"><a href="([^"]+)"><strong>(.*?)</strong>', page)
    assert badge and badge.group(2).startswith("1 ") and badge.group(1).endswith("?status=pending")
    payment_confirm(payment_id=payment.pk, now=timezone.now())
    page = seller_client.get(reverse("admin:index")).content.decode()
    assert "proofs-badge" not in page


def test_the_daily_summary_goes_once_a_day_per_open_po_with_the_days_figures(campaign, settings):
    settings.SELLER_EMAIL = "toko@example.id"
    # Noon in Jakarta today: five minutes later is still the same day, whenever the test runs.
    now = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(12)))
    first = place_order(campaign, [(campaign.items.first(), 2)], plan="full", now=now)
    payment_confirm(payment_id=submit_transfer(first, first.first_transfer_idr, now=now).pk, now=now)
    place_order(campaign, [(campaign.items.last(), 1)], phone="081298765432", email="b@example.com", now=now)
    assert seller_daily_summary_send(now=now) == 1
    assert seller_daily_summary_send(now=now + datetime.timedelta(minutes=5)) == 0
    summary = Message.objects.get(kind="seller_daily_summary")
    mail.outbox.clear()
    with translation.override("en"):
        Message.objects.filter(pk=summary.pk).update(language="en")
        message_deliver(message_id=summary.pk, now=timezone.now())
    body = mail.outbox[0].body
    assert "Today: 2 orders, 3 units." in body
    assert f"Money confirmed today: Rp{first.first_transfer_idr:,}".replace(",", ".") in body
    assert seller_daily_summary_send(now=now + datetime.timedelta(days=1)) == 1


def test_a_buyer_may_order_with_whatsapp_only_and_every_message_waits_on_whatsapp(
    client, campaign, seller_client, django_capture_on_commit_callbacks
):
    small = campaign.items.order_by("position").first()
    url = reverse("orders:checkout", args=[campaign.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, checkout_form([(small, 1)], email=""))
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.email == ""
    placed = Message.objects.get(order=order, kind="order_placed")
    assert placed.status == Message.Status.NO_EMAIL
    mail.outbox.clear()
    assert messages_deliver_due(now=timezone.now()) == 0 and mail.outbox == []

    todo = seller_client.get(reverse("admin:orders_message_changelist") + "?whatsapp=todo").content.decode()
    assert reverse("admin:orders_message_whatsapp", args=[placed.pk]) in todo
    order_messages = seller_client.get(reverse("admin:orders_message_changelist") + f"?order__id__exact={order.pk}")
    assert order_messages.status_code == 200

    # Another buyer without e-mail is not counted as the same buyer for the per-buyer limit.
    Campaign.objects.filter(pk=campaign.pk).update(per_buyer_limit=1)
    other = place_order(campaign, [(small, 1)], phone="081298765432", email="")
    assert other.pk != order.pk


def test_the_lookup_without_e_mail_leaves_the_link_for_the_seller_and_shows_the_shops_whatsapp(
    client, campaign, settings
):
    settings.SHOP_WHATSAPP = "+6281311112222"
    order = place_order(campaign, [(campaign.items.first(), 1)], email="")
    page = client.get(reverse("orders:lookup")).content.decode()
    assert "https://wa.me/6281311112222?text=" in page
    client.post(reverse("orders:lookup"), {"number": order.number, "contact": "0812-3456-7890"})
    link = Message.objects.get(order=order, kind="order_link")
    assert link.status == Message.Status.NO_EMAIL and link.to_phone == order.phone
    client.post(reverse("orders:lookup"), {"number": order.number, "contact": ""})
    assert Message.objects.filter(order=order, kind="order_link").count() == 1


def test_messages_only_whatsapp_can_deliver_come_first_and_are_counted_in_the_header(campaign, seller_client, settings):
    from orders.outbox import message_whatsapp_mark_sent  # noqa: PLC0415 - only this test

    small = campaign.items.order_by("position").first()
    without_email = [place_order(campaign, [(small, 1)], phone=f"08129876{n:04d}", email="") for n in range(2)]
    for n in range(3):  # newer, with e-mail: sent by e-mail, shown after
        place_order(campaign, [(small, 1)], phone=f"08125555{n:04d}", email=f"b{n}@example.com")
    messages_deliver_due(now=timezone.now())
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = seller_client.get(reverse("admin:index")).content.decode()
    assert "2 messages to send on WhatsApp (the buyers gave no e-mail)" in page

    listed = seller_client.get(reverse("admin:orders_message_changelist")).content.decode()
    first_two = [int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', listed)][:2]
    waiting = Message.objects.filter(order__in=without_email, status=Message.Status.NO_EMAIL)
    assert sorted(first_two) == sorted(waiting.values_list("pk", flat=True))

    message_whatsapp_mark_sent(message=waiting.first(), actor=None, now=timezone.now())
    page = seller_client.get(reverse("admin:index")).content.decode()
    assert "1 message to send on WhatsApp (the buyer gave no e-mail)" in page
