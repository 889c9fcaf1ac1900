"""The orders and the messages in the seller's admin: a few combined columns with the key ones first, read in
a fixed number of queries; the messages' menu name cannot be mistaken for the orders'; their filter names
each kind of message."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from orders.admin import MessageAdmin, OrderAdminBase
from orders.models import Message
from orders.outbox import KIND_LABELS
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db


def _cells(html: str, name: str) -> list[str]:
    return re.findall(rf'<td class="field-{name}">(.*?)</td>', html, flags=re.S)


@pytest.fixture
def english(seller_client):
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield seller_client


@pytest.fixture
def po():
    return campaign_with_products(products=1, options={"Ukuran": ["S"]}, dp_percent=50, quota_total=None)


def _orders(campaign, count, *, start=0):
    return [
        place_order(
            campaign,
            [(campaign.items.first(), 2)],
            plan="dp",
            phone=f"0812555{number:05d}",
            email=f"b{number}@example.com",
        )
        for number in range(start, start + count)
    ]


def test_the_order_list_shows_status_units_and_total_in_few_columns(english, po):
    assert OrderAdminBase.list_display == ["order", "buyer", "status_column", "units", "total"]
    (order,) = _orders(po, 1)
    html = english.get(reverse("admin:orders_order_changelist")).content.decode()
    (cell,) = _cells(html, "order")
    assert order.number in cell and po.title in cell
    (buyer,) = _cells(html, "buyer")
    assert order.buyer_name in buyer and "https://wa.me/" in buyer
    (status,) = _cells(html, "status_column")
    assert 'data-status="pending_payment"' in status and "Waiting for payment" in status and "pay by" in status
    assert _cells(html, "units") == ["2"]
    assert _cells(html, "total") == [f"Rp{order.total_idr:,}".replace(",", ".")]


def test_the_order_list_reads_in_a_fixed_number_of_queries(english, po):
    _orders(po, 1)
    changelist = reverse("admin:orders_order_changelist")
    with CaptureQueriesContext(connection) as few:
        english.get(changelist)
    _orders(po, 4, start=1)
    with CaptureQueriesContext(connection) as many:
        html = english.get(changelist).content.decode()
    assert len(_cells(html, "status_column")) == 5
    assert len(many) == len(few)


def test_the_messages_are_named_apart_from_the_orders_in_the_menu(english):
    assert str(Message._meta.verbose_name_plural) == "outgoing messages"
    html = english.get(reverse("admin:index")).content.decode()
    names = re.findall(r'<th scope="row"[^>]*>\s*<a href="[^"]+"[^>]*>([^<]+)</a>', html)
    assert "Outgoing messages" in names and "Orders" in names and "Messages" not in names


def test_the_message_list_puts_the_whatsapp_button_before_the_email_state(english, po):
    assert MessageAdmin.list_display == ["message", "recipient", "whatsapp", "email_status"]
    (order,) = _orders(po, 1)
    html = english.get(reverse("admin:orders_message_changelist")).content.decode()
    message = Message.objects.get(order=order, kind="order_placed")
    row = next(row for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S) if f'value="{message.pk}"' in row)
    assert row.index("field-whatsapp") < row.index("field-email_status")
    assert reverse("admin:orders_message_whatsapp", args=[message.pk]) in row
    assert str(KIND_LABELS["order_placed"]) in row and order.number in row


def test_the_message_filter_names_the_kinds_written_so_far(english, po):
    (order,) = _orders(po, 1)
    changelist = reverse("admin:orders_message_changelist")
    html = english.get(changelist).content.decode()
    written = set(Message.objects.values_list("kind", flat=True))
    assert "order_placed" in written
    filter_links = dict(re.findall(r'<a href="\?kind=(\w+)">([^<]+)</a>', html))
    assert filter_links == {kind: str(KIND_LABELS[kind]) for kind in written}
    assert ">order_placed<" not in html

    html = english.get(changelist + "?kind=order_placed").content.decode()
    assert len(_cells(html, "message")) == Message.objects.filter(kind="order_placed").count() == 1
