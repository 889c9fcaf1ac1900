"""The seller opens the next batch of a sold-out PO from the campaign list: the window asked on a page of its
own, then the draft's page with the buyers carried over and the suggested quota beside each quota field."""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignItem
from demand.models import Interest
from demand.waitlist import waitlist_join
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db(transaction=True)


def _shot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_open_the_next_batch_from_the_campaign_list(seller_desktop):
    page = seller_desktop
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        opens_at=now - datetime.timedelta(days=2),
        closes_at=now + datetime.timedelta(days=1),
        title="PO Tas Anyaman Batch 1",
    )
    small = campaign.items.order_by("position").first()
    CampaignItem.objects.filter(pk=small.pk).update(quota=1)
    place_order(campaign, [(small, 1)], plan="full")
    for number in range(3):
        waitlist_join(
            campaign=campaign,
            phone=f"08125550{number:04d}",
            email="",
            wanted={small.pk: 2},
            client_key=f"k{number}",
            now=now,
        )

    page.goto("/admin/campaigns/campaign/")
    page.get_by_role("row", name=re.compile("PO Tas Anyaman Batch 1")).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(
        label="Open the next batch (a draft copy carrying the waitlist and unmet interest)"
    )
    page.get_by_role("button", name=re.compile("^(Go|Run the chosen action)")).click()
    expect(page.get_by_role("heading", name="Open the next batch of PO Tas Anyaman Batch 1")).to_be_visible()
    expect(page.get_by_label("Title of the next batch")).to_have_value("PO Tas Anyaman Batch 2")
    _shot(page, "next-batch-form")
    page.get_by_role("button", name="Make the next batch as a draft").click()

    expect(page.locator(".messagelist")).to_contain_text("3 buyers carried over")
    copy = Campaign.objects.get(title="PO Tas Anyaman Batch 2")
    assert copy.stage == Campaign.Stage.DRAFT and Interest.objects.filter(campaign=copy).count() == 3
    expect(page.locator("[data-carried-from]")).to_contain_text("3 buyers carried over")
    new_small = copy.items.get(variant_id=small.variant_id)
    expect(page.locator(f"[data-interest-item='{new_small.pk}'] [data-suggested]")).to_have_text("6")
    expect(page.locator("td.field-interest_wanted").first).to_have_text("6 units, 3 buyers")
    _shot(page, "next-batch-draft")
