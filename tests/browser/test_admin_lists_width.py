"""The seller's lists at 1280 x 800, in Indonesian (the admin's own language, with its longer words), beside
the menu and the filters: the payments, the orders and the messages show their key columns (the state, the
total, the WhatsApp button) inside the window, with no sideways scrolling; the messages' filter names each
kind of message instead of its code."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from campaigns.models import CampaignItem
from orders.models import Message
from orders.outbox import KIND_LABELS
from payments.services import order_cancel
from tests.factories import campaign_with_products, place_order
from tests.payments.conftest import submit_transfer

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "rahasia-kepala-123"
WINDOW = {"width": 1280, "height": 800}
# Each list, and the columns the seller must see without scrolling (Django names a column's cells field-<name>).
LISTS = {
    "payments": ("admin:payments_payment_changelist", ["amount_against_due", "state", "order_column"]),
    "orders": ("admin:orders_order_changelist", ["status_column", "units", "total"]),
    "messages": ("admin:orders_message_changelist", ["whatsapp", "email_status"]),
}


@pytest.fixture
def shop(settings, tmp_path):
    """Orders with the longest names and addresses a buyer types, each with a transfer proof waiting, and
    the messages they caused (one order cancelled, so its buyer has a message of another kind)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["M"]},
        title="PO Kemeja Batik Tulis Parang Rusak Barong, Batch 3 Lebaran",
        dp_percent=50,
        quota_total=None,
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=1_250_000)
    item = campaign.items.get()
    orders = []
    for number in range(3):
        order = place_order(
            campaign,
            [(item, 12)],
            plan="dp" if number % 2 else "full",
            name="Raden Ajeng Kartika Sari Dewi Permatasari Wulandari",
            phone=f"0812-7000-00{number:02d}",
            email=f"kartika.sari.dewi.permatasari{number}@perusahaan-keluarga-besar.example.com",
        )
        submit_transfer(order, order.first_transfer_idr)
        orders.append(order)
    seller = get_user_model().objects.create_superuser("kepala", "kepala@example.com", PASSWORD)
    order_cancel(order=orders[0], now=timezone.now(), actor=seller, reason="Dibatalkan atas permintaan pembeli.")
    assert Message.objects.filter(to_phone__gt="").exclude(kind="order_placed").exists()
    return orders


@pytest.fixture
def admin_page(browser, live_server):
    context = browser.new_context(viewport=WINDOW, locale="id-ID", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _log_in(page):
    page.goto(reverse("admin:login"))
    page.locator("#id_username").fill("kepala")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#logout-form")).to_be_attached()


def _overflow(page, columns: list[str]) -> dict:
    """What sticks out: the list's own sideways scroll, and each key cell whose right edge is past the
    window or past the visible part of the list."""
    return page.evaluate(
        """(columns) => {
            const results = document.querySelector('#changelist .results');
            const visible = Math.min(window.innerWidth, results.getBoundingClientRect().right);
            const cells = columns.flatMap((name) =>
                [...document.querySelectorAll(`#result_list td.field-${name}`)].map((cell) => [name, cell]));
            return {
                scroll: results.scrollWidth - results.clientWidth,
                page_scroll: document.documentElement.scrollWidth - window.innerWidth,
                cells: cells.length,
                past: cells.filter(([, cell]) => cell.getBoundingClientRect().right > visible + 0.5)
                    .map(([name]) => name),
            };
        }""",
        columns,
    )


def test_the_sellers_lists_fit_at_1280_with_their_key_columns_in_view(admin_page, shop, tmp_path):
    page = admin_page
    _log_in(page)
    for name, (url, columns) in LISTS.items():
        page.goto(reverse(url) + ("?status=all" if name == "payments" else ""))
        expect(page.locator("#result_list tbody tr").first).to_be_visible()
        found = _overflow(page, columns)
        assert found["cells"] >= 2 * len(columns), (name, found)
        assert found == {"scroll": 0, "page_scroll": 0, "cells": found["cells"], "past": []}, name
        # The WhatsApp button itself, not only its cell, is within the window.
        if name == "messages":
            button = page.locator("#result_list td.field-whatsapp a.button").first
            box = button.bounding_box()
            assert box and box["x"] + box["width"] <= WINDOW["width"]
        shot = Path(tmp_path) / f"list-{name}.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 0


def test_the_message_filter_names_each_kind(admin_page, shop):
    page = admin_page
    _log_in(page)
    page.goto(reverse("admin:orders_message_changelist"))
    kinds = page.locator("#changelist-filter details", has=page.locator("a[href*='kind=']"))
    expect(kinds).to_have_count(1)
    with translation.override("id"):
        for kind in ("order_placed", "order_cancelled", "seller_proof_waiting"):
            expect(kinds.locator(f"a[href*='kind={kind}']")).to_have_text(str(KIND_LABELS[kind]))
    expect(kinds).not_to_contain_text("order_placed")
    kinds.locator("a[href*='kind=order_cancelled']").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
