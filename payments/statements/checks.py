"""Transfer proofs the shop's own bank statements disprove.

Once the imported statements of every active bank account cover a waiting proof's transfer date and the
day after (a transfer between banks may arrive the next day), a proof whose amount no credit shows in
those days (matching.transfer_missing_from_statements) is flagged: the seller sees it first, with Reject
one click away, and it no longer keeps its order from expiring (payments.services.payment_hold_refusal).
A proof sent after the statements covering its date were imported is judged when it is sent.
"""

import datetime

from django.db import transaction

from orders.locks import rows_lock
from orders.services import order_payment_decided

from ..models import Payment
from ..services import order_still_awaiting
from .matching import not_in_statements_note, statement_days_covered, transfer_missing_from_statements


def proofs_check_against_statements(*, now: datetime.datetime) -> int:
    """Flag each waiting proof the statements should show and do not; how many were flagged."""
    covered = statement_days_covered()
    if covered is None:
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
        if not transfer_missing_from_statements(
            amount_idr=amount_idr, paid_on=paid_on, order_id=order_id, covered=covered
        ):
            continue
        with transaction.atomic():
            locked = rows_lock(order_ids=[order_id], with_campaigns=False, then=[Payment.objects.filter(pk=payment_id)])
            order, (payment,) = locked.order, locked.then[0]
            if payment.status != Payment.Status.PENDING or payment.proof_flag == Payment.ProofFlag.NOT_IN_STATEMENT:
                continue
            payment.proof_flag = Payment.ProofFlag.NOT_IN_STATEMENT
            payment.proof_flag_note = not_in_statements_note(paid_on)
            payment.save(update_fields=["proof_flag", "proof_flag_note"])
            order_payment_decided(order=order, still_awaiting=order_still_awaiting(order), rejected=False, now=now)
            flagged += 1
    return flagged
