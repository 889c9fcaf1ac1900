"""On a phone, every buyer page's targets are big enough to tap (WCAG 2.2, 2.5.8 Target Size (Minimum)):
each visible button, field, select, radio, checkbox, summary and label wrapping a radio or checkbox is at
least 24 x 24 CSS pixels, and so is each link, unless it sits inside a sentence (WCAG's inline exception).
Each page is photographed too, into SCREENSHOT_DIR when it is set."""

import datetime
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from fulfilment.services import campaign_update_announce, order_ship
from orders.models import BankAccount
from payments.services import payment_confirm
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import submit_transfer

pytestmark = pytest.mark.django_db(transaction=True)

MINIMUM_PX = 24

# Every element a finger may need to hit, what it is, and its box. A link counts as inline when it is laid out
# inline and the block around it holds words of its own besides the link's.
TARGETS_SCRIPT = """
(minimum) => {
  document.querySelectorAll("details").forEach((details) => { details.open = true; });
  const selector = [
    "a[href]", "button", "input:not([type=hidden])", "select", "textarea", "summary",
    "label:has(> input[type=radio])", "label:has(> input[type=checkbox])",
  ].join(", ");
  const words = /[\\p{L}\\p{N}]/u;
  function block(element) {
    let node = element.parentElement;
    while (node && getComputedStyle(node).display.startsWith("inline")) { node = node.parentElement; }
    return node;
  }
  function inline(link) {
    if (link.tagName !== "A" || getComputedStyle(link).display !== "inline") { return false; }
    const around = block(link);
    const others = document.createTreeWalker(around, NodeFilter.SHOW_TEXT);
    let text = "";
    while (others.nextNode()) {
      // The words around the link, not those of the links and buttons beside it.
      if (!others.currentNode.parentElement.closest("a, button, label, summary")) {
        text += others.currentNode.textContent;
      }
    }
    return words.test(text);
  }
  function name(element) {
    const text = (element.getAttribute("aria-label") || element.textContent || element.name || element.type || "");
    return element.tagName.toLowerCase() + (element.type ? "[" + element.type + "]" : "") + " "
      + JSON.stringify(text.trim().replace(/\\s+/g, " ").slice(0, 40));
  }
  const found = [];
  document.querySelectorAll(selector).forEach((element) => {
    const box = element.getBoundingClientRect();
    // Off-screen until focused (the skip link) or not shown at all.
    if (!element.checkVisibility({ visibilityProperty: true }) || box.right <= 0 || box.width === 0) { return; }
    found.push({
      name: name(element),
      width: Math.round(box.width * 10) / 10,
      height: Math.round(box.height * 10) / 10,
      inline: inline(element),
    });
  });
  return found;
}
"""


def _too_small(page) -> tuple[list[dict], list[str]]:
    targets = page.evaluate(TARGETS_SCRIPT, MINIMUM_PX)
    small = [
        f"{target['name']} is {target['width']}x{target['height']}"
        for target in targets
        if not target["inline"] and (target["width"] < MINIMUM_PX or target["height"] < MINIMUM_PX)
    ]
    return targets, small


def _screenshot(page, name: str, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / f"tap-targets-{name}.png"), full_page=True)


@pytest.fixture
def shop(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    BankAccount.objects.create(bank_name="BCA", account_number="8730123456", account_holder="Sekar Batik")
    BankAccount.objects.create(bank_name="Mandiri", account_number="1370012345678", account_holder="Sekar Batik")
    now = timezone.now()
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["S", "M", "L"], "Warna": ["Sogan", "Biru"]}, title="PO Batik Kawung"
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=537_500, quota=10)
    coming = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        title="PO Kebaya Lebaran",
        opens_at=now + datetime.timedelta(days=3),
    )
    item = campaign.items.order_by("position").first()
    pending = place_order(campaign, [(item, 2)], plan="dp")
    without_email = place_order(campaign, [(item, 1)], plan="full", email="", phone="081299990001")
    waiting = place_order(campaign, [(item, 1)], plan="dp", phone="081299990002", email="a@example.com")
    submit_transfer(waiting, waiting.first_transfer_idr)
    delayed = place_order(campaign, [(item, 2)], plan="dp", phone="081299990003", email="b@example.com")
    payment_confirm(payment_id=submit_transfer(delayed, delayed.first_transfer_idr).pk, now=now)
    campaign_update_announce(
        campaign=campaign,
        message="Kain dari penenun terlambat datang.",
        new_estimated_ship_date=campaign.estimated_ship_date + datetime.timedelta(days=14),
        now=timezone.now(),  # after the orders: they were placed before the delay, so each buyer may answer it
    )

    shipping = campaign_with_products(products=1, options={"Ukuran": ["M"]}, title="PO Kemeja Lurik")
    shipped = place_order(shipping, [(shipping.items.get(), 1)], plan="full", phone="081299990004")
    payment_confirm(payment_id=submit_transfer(shipped, shipped.first_transfer_idr).pk, now=now)
    Campaign.objects.filter(pk=shipping.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    order_ship(order=shipped, courier="jne", tracking_number="JNE1234567890", actor=None, now=now)
    return {
        "home": "/",
        "po-open": campaign.get_absolute_url(),
        "po-coming": coming.get_absolute_url(),
        "checkout": f"{reverse('orders:checkout', args=[campaign.slug])}?qty-{item.pk}=2",
        "thank-you": reverse("orders:placed", args=[pending.token]),
        "thank-you-without-email": reverse("orders:placed", args=[without_email.token]),
        "order-to-pay": pending.get_absolute_url(),
        "order-proof-waiting": waiting.get_absolute_url(),
        "order-delay-choice-and-balance": delayed.get_absolute_url(),
        "order-shipped": shipped.get_absolute_url(),
        "lookup": reverse("orders:lookup"),
        "privacy": reverse("privacy"),
    }


# What each of these pages must show, so that its targets are measured (the payment plan, the delay's
# choice, the corrected proof's summary, the resi's copy button).
EXPECTED = {
    "checkout": 'input[radio] "payment_plan"',
    "order-delay-choice-and-balance": 'input[radio] "choice"',
    "order-proof-waiting": "summary ",
    "order-shipped": 'button[button] "',
}


def test_every_target_on_the_buyer_pages_is_at_least_24_px(phone, shop, tmp_path):
    directory = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    small, counted, missing = {}, {}, []
    for name, url in shop.items():
        phone.goto(url)
        targets, too_small = _too_small(phone)
        counted[name] = len(targets)
        if name in EXPECTED and not any(target["name"].startswith(EXPECTED[name]) for target in targets):
            missing.append(name)
        if too_small:
            small[name] = too_small
        _screenshot(phone, name, directory)
    # The checkout sent empty shows its error summary, whose links lead to the fields.
    phone.goto(shop["checkout"])
    phone.locator("form.checkout button[type=submit]").click()
    phone.locator("[data-error-summary], .error-summary").first.wait_for()
    _targets, too_small = _too_small(phone)
    if too_small:
        small["checkout-with-errors"] = too_small
    _screenshot(phone, "checkout-with-errors", directory)

    assert small == {}, "\n".join(f"{page}: {problem}" for page, problems in small.items() for problem in problems)
    assert all(counted.values()), counted  # each page was read, with its targets
    assert missing == []


def test_the_check_finds_a_radio_too_small_to_tap(phone, shop):
    """The same check on a page made worse: it must not pass whatever the page holds."""
    phone.goto(shop["order-delay-choice-and-balance"])
    assert _too_small(phone)[1] == []
    phone.add_style_tag(content="input[type=radio] { width: 13px !important; height: 13px !important; }")
    assert any("input[radio]" in problem for problem in _too_small(phone)[1])
