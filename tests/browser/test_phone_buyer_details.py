"""On a phone: the size x colour grid with +/- steppers, copy buttons, and a cancel that asks once more."""

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import CampaignItem
from orders.models import BankAccount, Order
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaign():
    BankAccount.objects.create(bank_name="BCA", account_number="8730123456", account_holder="Sekar Batik")
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["S", "M"], "Warna": ["Sogan", "Biru"]}, title="PO Batik Kawung", quota_total=20
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000, quota=3)
    return campaign


def test_the_grid_steppers_choose_quantities_within_what_is_left(phone, campaign):
    phone.goto(campaign.get_absolute_url())
    expect(phone.get_by_role("columnheader", name="Sogan")).to_be_visible()
    expect(phone.get_by_role("rowheader", name="M")).to_be_visible()
    more = phone.get_by_role("button", name=re.compile(r"M \S Biru"), exact=False).filter(has_text="+")
    for _ in range(5):
        more.click()
    quantity = phone.get_by_role("spinbutton", name=re.compile(r"^M \S Biru"))
    expect(quantity).to_have_value("3")  # the item's quota left, no more
    phone.get_by_role("button", name=re.compile(r"M \S Biru")).filter(has_text="−").click()
    expect(quantity).to_have_value("2")
    expect(phone.locator("[data-selection]")).to_contain_text("Rp400.000")
    phone.get_by_role("button", name="Lanjut pesan").click()
    expect(phone.locator("[data-total]")).to_have_text("Rp400.000")


def test_copy_buttons_and_a_cancel_that_asks_once_more(phone, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    phone.goto(order.get_absolute_url())
    phone.get_by_role("button", name=re.compile("^(Salin jumlah|Copy amount)$")).click()
    assert phone.evaluate("navigator.clipboard.readText()") == str(order.first_transfer_idr)
    phone.get_by_role("button", name=re.compile("BCA")).click()
    assert phone.evaluate("navigator.clipboard.readText()") == "8730123456"

    confirm = phone.get_by_label(re.compile("^(Ya, batalkan pesanan saya|Yes, cancel my order)$"))
    phone.get_by_role("button", name="Batalkan pesanan").click()  # the browser asks for the tick first
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
    assert confirm.evaluate("box => box.matches(':invalid')")
    confirm.check()
    phone.get_by_role("button", name="Batalkan pesanan").click()
    expect(phone.locator("[data-order-status]")).to_have_text(re.compile("Dibatalkan"))
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
