"""The campaign's admin page at 1280 x 800: the common steps are in the first screen, and "Post an update for
buyers" leads to a short page that tells every buyer."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.models import CampaignItem
from orders.models import Message
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "rahasia-kepala-123"
WINDOW = {"width": 1280, "height": 800}


@pytest.fixture
def po():
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["S", "M", "L", "XL"], "Warna": ["Sogan", "Biru"]}, quota_total=None
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=350_000)
    for number in range(3):
        place_order(campaign, [(campaign.items.first(), 1)], phone=f"08127000{number:04d}", email=f"b{number}@x.id")
    get_user_model().objects.create_superuser("kepala", "kepala@example.com", PASSWORD)
    return campaign


@pytest.fixture
def seller(browser, live_server):
    """A superuser's desktop browser, the admin in English."""
    context = browser.new_context(viewport=WINDOW, base_url=live_server.url)
    context.add_cookies([{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_the_common_steps_are_in_the_first_screen_and_an_update_is_posted_from_there(seller, po, tmp_path):
    page = seller
    page.goto(reverse("admin:login"))
    page.get_by_label("Username").fill("kepala")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(reverse("admin:campaigns_campaign_change", args=[po.pk]))

    shortcuts = page.get_by_role("navigation", name="Common steps for this PO")
    for name in (
        "Post an update for buyers",
        "Production, lists and labels",
        "Postage per province",
        "Orders",
        "Messages to buyers",
        "Demand per variant",
    ):
        link = shortcuts.get_by_role("link", name=name, exact=True)
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box["y"] + box["height"] <= WINDOW["height"] and box["x"] + box["width"] <= WINDOW["width"], name
    assert page.evaluate("window.scrollY") == 0
    # What was set up once is folded under its heading, one click away.
    for field in ("#id_description", "#id_opens_at_0", "#id_payment_terms", "#id_postage_mode"):
        expect(page.locator(field)).to_be_hidden()
    page.get_by_text("Payment terms", exact=True).click()
    expect(page.locator("#id_payment_terms")).to_be_visible()
    shot = Path(tmp_path) / "campaign-top.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 0

    shortcuts.get_by_role("link", name="Post an update for buyers").click()
    expect(page.get_by_text("3 buyers whose orders have not shipped get this update")).to_be_visible()
    page.get_by_label("Message").fill("Kain sudah datang; pembatikan dimulai minggu ini.")
    page.get_by_role("button", name="Post and tell the buyers").click()
    expect(page.get_by_text("The update is posted; 3 buyers are told.")).to_be_visible()
    assert Message.objects.filter(kind="campaign_update").count() == 3
