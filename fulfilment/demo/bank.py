"""Buyers' transfers as the shop sees them: lines of its BCA statement (mutasi), imported in the evening.

Each import matches the credits to the orders they pay and confirms them through payments' own services;
a credit the import leaves to the seller (an amount two orders owe, or automatic confirmation switched off)
is confirmed with the seller's click, as the statement line's page does.
"""

import datetime

from django.utils import timezone

from orders.models import BankAccount, Order
from payments.ledger import amount_due_now, order_ledger
from payments.models import BankStatementLine
from payments.statements.importing import statement_import, statement_line_confirm
from payments.statements.reading import StatementRow


def statement_account() -> BankAccount:
    """The account the demo's buyers transfer to (the first one listed at checkout)."""
    return BankAccount.objects.order_by("position", "pk").first()


def transfers_import(*, transfers: list[tuple[Order, int, datetime.date]], seller, now: datetime.datetime) -> None:
    """Each order's buyer transferred the amount on the day given; the seller imports the statement at `now`."""
    if not transfers:
        return
    rows, paying = [], {}
    for position, (order, amount, day) in enumerate(transfers):
        # As KlikBCA writes a transfer in: the date, a reference, the amount and the sender's name.
        description = f"TRSF E-BANKING CR {day:%d%m}/FTSCY/WS{order.pk:05d} {amount}.00 {order.buyer_name.upper()}"
        rows.append(
            StatementRow(line=position + 2, booked_on=day, description=description, amount_idr=amount, credit=True)
        )
        paying[description] = order
    record = statement_import(
        bank_account=statement_account(),
        rows=rows,
        file_name=f"mutasi-bca-{timezone.localdate(now):%Y%m%d}.csv",
        layout="bca",
        actor=seller,
        now=now,
    )
    for line in BankStatementLine.objects.filter(statement_import=record).exclude(
        status=BankStatementLine.Status.CONFIRMED
    ):
        statement_line_confirm(line=line, order=paying[line.description], actor=seller, now=now)


def balances_import(*, orders: list[Order], seller, now: datetime.datetime) -> None:
    """The buyers of `orders` paid their balance today; the seller imports the statement at `now`."""
    day = timezone.localdate(now)
    transfers = []
    for order in (
        Order.objects.filter(pk__in=[order.pk for order in orders])
        .order_by("pk")
        .prefetch_related("payments", "refunds")
    ):
        transfers.append((order, amount_due_now(order, order_ledger(order)), day))
    transfers_import(transfers=transfers, seller=seller, now=now)
