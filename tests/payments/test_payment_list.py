"""The payments list as the seller reads it: the amount beside what is due now, the state with any doubt on
the proof, and whose it is, in a fixed number of queries. A proof sent for an order that has since been
cancelled is not "to check" with "due Rp0": it waits under its own filter, saying why."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments.models import Payment
from payments.services import order_cancel
from tests.factories import place_order
from tests.payments.conftest import submit_transfer

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:payments_payment_changelist")


def rupiah(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


def _proofs(campaign, count, *, start=0):
    orders = []
    for index in range(start, start + count):
        order = place_order(
            campaign,
            [(campaign.items.first(), 1)],
            plan="dp",
            email=f"b{index}@example.com",
            phone=f"0812000{index:05d}",
        )
        submit_transfer(order, order.first_transfer_idr - 1_000)  # a little short: the due amount differs
        orders.append(order)
    return orders


def _cells(html: str, name: str) -> list[str]:
    """The text of each cell of one column (Django names a column's cells field-<name>)."""
    return re.findall(rf'<td class="field-{name}">(.*?)</td>', html, flags=re.S)


def _orders_listed(html: str) -> list[str]:
    return [re.search(r">(PO-[\d-]+)</a>", cell).group(1) for cell in _cells(html, "order_column")]


def test_a_proof_of_a_cancelled_order_waits_apart_and_says_why(seller_client, campaign):
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    live, cancelled = _proofs(campaign, 2)
    seller = get_user_model().objects.get(username="penjual")
    order_cancel(order=cancelled, now=timezone.now(), actor=seller, reason="Pembeli minta batal.")
    assert Payment.objects.filter(order=cancelled, status=Payment.Status.PENDING).exists()

    # To check (the list's default): only the proof of the order still waiting for its payment.
    html = seller_client.get(CHANGELIST).content.decode()
    assert _orders_listed(html) == [live.number]
    (amount,) = _cells(html, "amount_against_due")
    assert rupiah(live.first_transfer_idr - 1_000) in amount
    assert f"due now {rupiah(live.first_transfer_idr)}" in amount
    (state,) = _cells(html, "state")
    assert "Waiting for confirmation" in state

    # Under its own filter: the cancelled order's proof, with what became of the order and no amount due.
    html = seller_client.get(CHANGELIST + "?status=pending_not_payable").content.decode()
    assert _orders_listed(html) == [cancelled.number]
    (state,) = _cells(html, "state")
    assert "the order is cancelled" in state
    (amount,) = _cells(html, "amount_against_due")
    assert "due now" not in amount and "Rp0" not in amount

    html = seller_client.get(CHANGELIST + "?status=all").content.decode()
    assert sorted(_orders_listed(html)) == sorted([live.number, cancelled.number])


def test_the_payments_list_reads_in_a_fixed_number_of_queries(seller_client, campaign):
    _proofs(campaign, 1)
    with CaptureQueriesContext(connection) as few:
        assert seller_client.get(CHANGELIST).status_code == 200
    _proofs(campaign, 4, start=1)
    with CaptureQueriesContext(connection) as many:
        html = seller_client.get(CHANGELIST).content.decode()
    assert len(_cells(html, "order_column")) == 5
    assert len(many) == len(few)
