"""axe-core, injected into each buyer page on a phone: no violation of serious or critical impact."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from campaigns.models import CampaignItem
from orders.models import BankAccount
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db(transaction=True)
SERIOUS = {"serious", "critical"}


@pytest.fixture
def shop():
    BankAccount.objects.create(bank_name="BCA", account_number="8730123456", account_holder="Sekar Batik")
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["S", "M"], "Warna": ["Sogan", "Biru"]}, title="PO Batik Kawung", quota_total=20
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=200_000, quota=10)
    order = place_order(campaign, [(campaign.items.first(), 1)])
    return campaign, order


def _serious_violations(page):
    results = Axe().run(page)
    return [
        (violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]][:3])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


def test_buyer_pages_have_no_serious_accessibility_violations(phone, shop):
    campaign, order = shop
    item = campaign.items.first()
    pages = {
        "home": "/",
        "campaign": campaign.get_absolute_url(),
        "checkout": f"/po/{campaign.slug}/pesan/?qty-{item.pk}=2",
        "order": order.get_absolute_url(),
        "lookup": "/pesanan/cari/",
        "privacy": "/privasi/",
    }
    found = {}
    for name, url in pages.items():
        phone.goto(url)
        assert phone.title(), name
        violations = _serious_violations(phone)
        if violations:
            found[name] = violations
    assert found == {}, found


def test_the_check_does_find_a_serious_violation(phone, shop):
    """The same check on a page made worse: it must not pass whatever the page holds."""
    campaign, _order = shop
    phone.goto(campaign.get_absolute_url())
    phone.evaluate("document.querySelector('input[type=number]').labels.forEach(label => label.remove())")
    assert any(violation_id == "label" for violation_id, _impact, _nodes in _serious_violations(phone))
