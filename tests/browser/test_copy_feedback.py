"""On a phone, a copy button shows that it copied: its label turns to "Copied" for a moment and a polite live
region says what was copied. Where the browser refuses the clipboard, the text is selected instead and the
buyer is told to press and hold it."""

import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignItem
from fulfilment.services import order_ship
from orders.models import BankAccount
from payments.services import payment_confirm
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import submit_transfer

pytestmark = pytest.mark.django_db(transaction=True)

RESI = "JNE1234567890"
# A browser that allows no clipboard at all: the asynchronous API refuses and the old command copies nothing.
CLIPBOARD_REFUSED = """
Object.defineProperty(navigator, "clipboard", {
  value: { writeText: () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError")) },
});
document.execCommand = () => false;
"""


@pytest.fixture
def shipped(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    BankAccount.objects.create(bank_name="BCA", account_number="8730123456", account_holder="Sekar Batik")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["M"]}, title="PO Kemeja Lurik")
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000)
    order = place_order(campaign, [(campaign.items.get(), 1)], plan="full")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    return order_ship(order=order, courier="jne", tracking_number=RESI, actor=None, now=timezone.now())


@pytest.fixture
def unpaid():
    BankAccount.objects.create(bank_name="BCA", account_number="8730123456", account_holder="Sekar Batik")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["M"]}, title="PO Kemeja Lurik")
    return place_order(campaign, [(campaign.items.get(), 1)], plan="full")


@pytest.fixture
def shots(tmp_path) -> Path:
    directory = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _resi_copy(page):
    shipping = page.locator("[data-shipping]")
    return shipping, shipping.locator("button[data-copy]"), shipping.locator("[data-copy-status]")


def test_the_resi_copy_button_says_copied_for_a_moment_and_the_page_announces_it(phone, shipped, shots):
    phone.goto(shipped.get_absolute_url())
    _shipping, button, status = _resi_copy(phone)
    label = button.inner_text()
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("")

    button.click()

    assert phone.evaluate("navigator.clipboard.readText()") == RESI
    expect(button).to_have_text(button.get_attribute("data-copied-label"))
    expect(button).to_have_attribute("data-copied", "")
    expect(status).to_have_text(button.get_attribute("data-copied-text"))
    phone.screenshot(path=str(shots / "copy-resi-copied.png"))
    expect(button).to_have_text(label, timeout=5_000)  # and back, ready to copy again
    expect(button).not_to_have_attribute("data-copied", "")


def test_where_the_clipboard_is_refused_the_resi_is_selected_and_the_buyer_told_to_press_and_hold(
    phone, shipped, shots
):
    phone.context.add_init_script(CLIPBOARD_REFUSED)
    phone.goto(shipped.get_absolute_url())
    _shipping, button, status = _resi_copy(phone)
    label = button.inner_text()

    button.click()

    expect(status).to_have_text(button.get_attribute("data-failed-text"))
    assert phone.evaluate("window.getSelection().toString()").strip() == RESI
    expect(button).to_have_text(label)  # it did not copy, so it does not say so
    phone.screenshot(path=str(shots / "copy-resi-refused.png"))


def test_the_transfer_amount_copy_button_says_copied_too(phone, unpaid):
    order = unpaid
    phone.goto(order.get_absolute_url())
    button = phone.locator("[data-transfer-amount] + button[data-copy]")
    button.click()
    assert phone.evaluate("navigator.clipboard.readText()") == str(order.first_transfer_idr)
    expect(button).to_have_text(button.get_attribute("data-copied-label"))
    expect(phone.locator(".pay-now [data-copy-status]")).to_have_text(button.get_attribute("data-copied-text"))
