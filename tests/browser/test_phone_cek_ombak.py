"""Cek ombak on a phone: "Ingatkan saya" on a coming PO, then the message's link to the checkout once it
opens; and "Kabari saya kalau ada" on a sold-out variant, then the link when a unit comes back."""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignItem
from demand.models import Interest
from demand.services import interests_notify_opened
from demand.waitlist import waitlists_notify_released
from orders.models import Message, Order
from orders.outbox import message_render
from orders.services import order_expire_overdue
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"^https?://\S+/po/\S+$", re.M)


def _shot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _checkout_link(message: Message, live_url: str) -> str:
    """The message's link to the checkout, on the live server instead of SITE_URL."""
    _subject, body = message_render(message)
    links = [link for link in LINK.findall(body) if "qty-" in link]
    assert len(links) == 1, body
    return live_url + links[0].removeprefix(settings.SITE_URL.rstrip("/"))


def test_remind_me_on_a_coming_po_then_the_link_to_the_checkout_once_it_opens(phone, live_server):
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        opens_at=timezone.now() + datetime.timedelta(days=2),
        title="PO Kaos Ombak",
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    medium = campaign.items.order_by("position").last()

    phone.goto(campaign.get_absolute_url())
    more = phone.get_by_role("button", name=re.compile(r"(Tambah satu|One more) .*M\)?$"))
    more.click()
    more.click()
    phone.get_by_label("Nomor WhatsApp").fill("0812 3456 7890")
    _shot(phone, "cek-ombak-remind-me")
    phone.get_by_role("button", name="Ingatkan saya").click()
    expect(phone.locator(".messages")).to_contain_text("PO ini dibuka")
    interest = Interest.objects.get(campaign=campaign)
    assert list(interest.lines.values_list("campaign_item", "quantity")) == [(medium.pk, 2)]

    Campaign.objects.filter(pk=campaign.pk).update(opens_at=timezone.now() - datetime.timedelta(minutes=1))
    assert interests_notify_opened(now=timezone.now()) == 1
    message = Message.objects.get(kind="po_opened")
    assert message.to_phone == "+6281234567890"

    phone.goto(_checkout_link(message, live_server.url))
    expect(phone.locator("main")).to_contain_text("PO Kaos Ombak")
    expect(phone.locator("[data-total]")).to_have_text("Rp200.000")
    _shot(phone, "cek-ombak-checkout-from-the-message")


def test_waitlist_on_a_sold_out_variant_then_the_link_when_a_unit_comes_back(phone, live_server):
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=3),
        title="PO Jaket Habis",
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000)
    small = campaign.items.order_by("position").first()
    CampaignItem.objects.filter(pk=small.pk).update(quota=1)
    order = place_order(campaign, [(small, 1)], plan="full", phone="081299990001")

    phone.goto(campaign.get_absolute_url())
    phone.get_by_role("link", name=re.compile(r"^Kabari saya kalau ada: .*S")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Kabari saya kalau ada")
    expect(phone.get_by_role("spinbutton", name=re.compile(r"\(S\)$"))).to_have_value("1")
    phone.get_by_label("Nomor WhatsApp").fill("0812 5555 0001")
    _shot(phone, "cek-ombak-waitlist")
    phone.get_by_role("button", name="Kabari saya kalau ada").click()
    expect(phone.locator(".messages")).to_contain_text("daftar tunggu")
    assert Interest.objects.get(kind=Interest.Kind.WAITLIST).phone == "+6281255550001"

    order_expire_overdue(now=order.payment_deadline + datetime.timedelta(minutes=1))
    assert Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED
    assert waitlists_notify_released(now=order.payment_deadline + datetime.timedelta(minutes=2)) == 1
    phone.goto(_checkout_link(Message.objects.get(kind="units_back"), live_server.url))
    expect(phone.locator("[data-total]")).to_have_text("Rp150.000")
