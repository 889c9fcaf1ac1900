"""A statement match, the seller's Confirm (clicked twice) and a gateway's notification (delivered twice), all
at once for one order on PostgreSQL: the bank transfer is counted once, the gateway's transaction once, and
the ledger agrees with every order."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from orders.models import BankAccount, Order
from payments.gateways import GatewayNotice
from payments.models import BankStatementLine, Payment
from payments.services import gateway_notice_apply, payment_confirm
from payments.statements.importing import statement_import
from payments.statements.reading_types import StatementRow
from tests.factories import place_order
from tests.helpers import at_once
from tests.payments.conftest import submit_transfer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"),
]


@pytest.mark.parametrize("round_number", range(5))
def test_statement_confirm_and_gateway_at_once_count_each_payment_once(campaign, round_number):
    account = BankAccount.objects.create(bank_name="BCA", account_number="0202405914", account_holder="Toko")
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", phone=f"08120000{round_number:04d}")
    transfer = submit_transfer(order, order.first_transfer_idr)
    credit = StatementRow(
        line=1, booked_on=timezone.localdate(), description="TRSF", amount_idr=order.first_transfer_idr, credit=True
    )
    notice = GatewayNotice(
        provider_order_id=f"{order.number}-BAL-1",
        order_number=order.number,
        kind_code="BAL",
        transaction_id="t-1",
        amount_idr=50_000,
        is_paid=True,
        is_final_failure=False,
        state="settlement",
    )

    outcomes = at_once(
        lambda: statement_import(
            bank_account=account, rows=[credit], file_name="m.csv", layout="bca", actor=None, now=timezone.now()
        ),
        lambda: payment_confirm(payment_id=transfer.pk, now=timezone.now()),
        lambda: payment_confirm(payment_id=transfer.pk, now=timezone.now()),
        lambda: gateway_notice_apply(notice=notice, provider="midtrans", now=timezone.now()),
        lambda: gateway_notice_apply(notice=notice, provider="midtrans", now=timezone.now()),
    )

    assert [outcome.error for outcome in outcomes] == [None] * 5
    confirmed = Payment.objects.filter(order=order, status=Payment.Status.CONFIRMED)
    assert sorted(confirmed.values_list("method", "amount_idr")) == [
        (Payment.Method.BANK_TRANSFER, order.first_transfer_idr),
        (Payment.Method.GATEWAY, 50_000),
    ]
    assert confirmed.get(method=Payment.Method.BANK_TRANSFER).pk == transfer.pk
    line = BankStatementLine.objects.get()
    # Matched to the transfer, or left for the seller when the Confirm came first: never a payment of its own.
    assert line.payment_id in (transfer.pk, None)
    assert Order.objects.get(pk=order.pk).status in (Order.Status.DP_PAID, Order.Status.PAID)
    out = io.StringIO()
    call_command("ledger_check", stdout=out)  # exits 1 on any disagreement
