"""The seller's view of a PO in admin: overview with money and chart data, the tally page,
exports and labels."""

import datetime
import io
import json
import re

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from fulfilment.models import ProductionTally
from fulfilment.services import campaign_close_due, campaign_update_announce, order_delay_respond
from payments.ledger import order_ledger
from payments.models import Refund
from payments.services import payment_confirm
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def po():
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"], "Warna": ["Sogan", "Biru"]},
        opens_at=now - datetime.timedelta(days=5),
        closes_at=now + datetime.timedelta(days=1),
        dp_percent=50,
        quota_total=40,
        minimum_goal_units=3,
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    items = list(campaign.items.order_by("position"))
    dp = place_order(campaign, [(items[0], 2)], plan="dp", email="a@example.com", phone="081111111111")
    full = place_order(campaign, [(items[3], 1)], plan="full", email="b@example.com", phone="082222222222")
    unpaid = place_order(campaign, [(items[1], 4)], plan="dp", email="c@example.com", phone="083333333333")
    for order in (dp, full):
        payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    return campaign, dp, full, unpaid


def _change_page(seller_client, campaign):
    return seller_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))


def test_the_campaign_page_shows_units_against_quota_and_goal_money_and_orders_per_day(seller_client, po):
    campaign, dp, full, unpaid = po
    page = _change_page(seller_client, campaign)
    assert page.status_code == 200
    html = page.content.decode()
    dp_paid = dp.first_transfer_idr
    assert re.search(r'data-money="dp">Rp' + f"{dp_paid:,}".replace(",", r"\."), html)
    assert re.search(r'data-money="full">Rp' + f"{full.first_transfer_idr:,}".replace(",", r"\."), html)
    outstanding = order_ledger(order_fresh(dp)).due_idr
    assert re.search(r'data-money="outstanding">Rp' + f"{outstanding:,}".replace(",", r"\."), html)
    assert 'id="goal-progress" max="3" value="3"' in html
    assert 'id="quota-progress" max="40" value="7"' in html
    chart = json.loads(
        re.search(r'<script id="orders-per-day-data" type="application/json">(.*?)</script>', html).group(1)
    )
    assert sum(chart["orders"]) == 3 and sum(chart["units"]) == 7
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_refunds_due_and_sent_and_delay_answers_show_on_the_campaign_page(seller_client, po):
    campaign, dp, full, unpaid = po
    update = campaign_update_announce(
        campaign=campaign,
        message="Mundur dua minggu.",
        new_estimated_ship_date=campaign.estimated_ship_date + datetime.timedelta(days=14),
        now=timezone.now(),
    )
    order_delay_respond(order=full, update_id=update.pk, choice="cancel", now=timezone.now())
    html = _change_page(seller_client, campaign).content.decode()
    refund = Refund.objects.get(order=full)
    assert re.search(r'data-money="refunds-due">Rp' + f"{refund.amount_idr:,}".replace(",", r"\."), html)
    row = re.search(r"<tr data-delay-row>(.*?)</tr>", html).group(1)
    assert re.findall(r"<td>(\d+)</td>", row) == ["3", "0", "1", "2"]


def test_the_production_page_starts_production_shows_the_matrix_and_recounts_the_same(seller_client, po):
    campaign, dp, full, unpaid = po
    campaign_close_due(now=campaign.closes_at)
    url = reverse("admin:campaigns_campaign_production", args=[campaign.pk])
    waiting = seller_client.get(url).content.decode()
    assert "data-blocker" in waiting  # the unpaid order may still pay

    Campaign.objects.filter(pk=campaign.pk).update(
        closes_at=timezone.now() - datetime.timedelta(days=3), opens_at=timezone.now() - datetime.timedelta(days=9)
    )
    response = seller_client.post(url, {"action": "start"}, follow=True)
    assert Campaign.objects.get(pk=campaign.pk).stage == Campaign.Stage.IN_PRODUCTION
    html = response.content.decode()
    assert "<table data-matrix>" in html
    first = ProductionTally.objects.get(campaign=campaign)
    first_lines = list(first.lines.values_list("sku", "units"))
    assert sum(units for _sku, units in first_lines) == 3
    seller_client.post(url, {"action": "recompute"})
    again = ProductionTally.objects.get(campaign=campaign)
    assert again.taken_at >= first.taken_at
    assert list(again.lines.values_list("sku", "units")) == first_lines

    download = seller_client.get(reverse("admin:campaigns_campaign_export", args=[campaign.pk, "production", "xlsx"]))
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    numbers = [cell for row in book.active.iter_rows(values_only=True) for cell in row if isinstance(cell, int)]
    assert again.units in numbers
    packing = seller_client.get(reverse("admin:campaigns_campaign_export", args=[campaign.pk, "packing", "csv"]))
    text = b"".join(packing.streaming_content).decode("utf-8-sig")
    assert dp.number in text and full.number in text and unpaid.number not in text
    labels = seller_client.get(reverse("admin:campaigns_campaign_labels", args=[campaign.pk])).content.decode()
    assert dp.number in labels and dp.buyer_name in labels
    assert (
        seller_client.get(reverse("admin:campaigns_campaign_export", args=[campaign.pk, "other", "xlsx"])).status_code
        == 404
    )


def test_a_staff_member_without_order_permission_sees_no_production_or_lists(client, po):
    campaign, *_ = po
    client.force_login(User.objects.create_user("magang", password="rahasia-magang-123", is_staff=True))
    for name, args in [
        ("admin:campaigns_campaign_production", [campaign.pk]),
        ("admin:campaigns_campaign_export", [campaign.pk, "packing", "csv"]),
        ("admin:campaigns_campaign_labels", [campaign.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403
