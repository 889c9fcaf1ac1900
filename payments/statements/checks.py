"""Transfer proofs the shop's own bank statements disprove.

Once the imported statements of every active bank account cover a waiting proof's transfer date and the
day after (a transfer between banks may arrive the next day), a proof whose amount no credit shows in
those days is flagged: the seller sees it first, with Reject one click away, and it no longer keeps its
order from expiring.
"""

import datetime

from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from orders.locks import rows_lock
from orders.models import BankAccount
from orders.services import order_payment_decided

from ..models import BankStatementImport, BankStatementLine, Payment

# A transfer between banks may show on the statement a day after the buyer made it.
ARRIVAL_DAYS = 1


def _covered_days() -> list[tuple[datetime.date, datetime.date]] | None:
    """Per active bank account, the first and last day its imported statements cover; None when an active
    account has none (a proof may have gone there, so no proof can be judged yet)."""
    accounts = list(BankAccount.objects.filter(is_active=True).values_list("pk", flat=True))
    spans = {
        row["bank_account"]: (row["first"], row["last"])
        for row in BankStatementImport.objects.filter(bank_account__in=accounts, first_date__isnull=False)
        .values("bank_account")
        .annotate(first=Min("first_date"), last=Max("last_date"))
    }
    if not accounts or set(spans) != set(accounts):
        return None
    return list(spans.values())


def proofs_check_against_statements(*, now: datetime.datetime) -> int:
    """Flag each waiting proof the statements should show and do not; how many were flagged."""
    spans = _covered_days()
    if spans is None:
        return 0
    waiting = Payment.objects.filter(
        status=Payment.Status.PENDING,
        method=Payment.Method.BANK_TRANSFER,
        paid_on__isnull=False,
        # A reused picture is checked too: not being in the statement is what lets its order expire.
        proof_flag__in=["", Payment.ProofFlag.REUSED],
    ).values_list("pk", "order_id", "paid_on", "amount_idr")
    flagged = 0
    for payment_id, order_id, paid_on, amount_idr in list(waiting):
        last_day = paid_on + datetime.timedelta(days=ARRIVAL_DAYS)
        if not all(first <= paid_on and last_day <= last for first, last in spans):
            continue
        if BankStatementLine.objects.filter(amount_idr=amount_idr, booked_on__range=(paid_on, last_day)).exists():
            continue
        with transaction.atomic():
            locked = rows_lock(order_ids=[order_id], with_campaigns=False, then=[Payment.objects.filter(pk=payment_id)])
            order, (payment,) = locked.order, locked.then[0]
            if payment.status != Payment.Status.PENDING or payment.proof_flag == Payment.ProofFlag.NOT_IN_STATEMENT:
                continue
            payment.proof_flag = Payment.ProofFlag.NOT_IN_STATEMENT
            payment.proof_flag_note = _("No credit of this amount on %(first)s or %(last)s in the bank statements.") % {
                "first": paid_on.strftime("%d-%m-%Y"),
                "last": last_day.strftime("%d-%m-%Y"),
            }
            payment.save(update_fields=["proof_flag", "proof_flag_note"])
            still = order.payments.filter(status=Payment.Status.PENDING).exclude(
                proof_flag=Payment.ProofFlag.NOT_IN_STATEMENT
            )
            order_payment_decided(order=order, still_awaiting=still.exists(), rejected=False, now=now)
            flagged += 1
    return flagged
