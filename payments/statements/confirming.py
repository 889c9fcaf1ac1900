"""A credit on the shop's own bank statement confirms the payment it is: one line at the seller's click,
or every automatic match of an import at once (a few statements for thousands of orders).

Either way the order is locked first (orders.locks), the line after it; a line pays one order once
(its payment is one-to-one), and a payment the seller already confirmed is never counted again.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.models import Campaign
from catalog.money import format_rupiah
from orders.locks import rows_lock
from orders.models import Order
from orders.outbox import message_build, messages_queue_bulk
from orders.services import order_payment_decided, orders_transition_bulk, system_reason

from ..exceptions import PaymentAlreadyDecided, PaymentError, PaymentNotAccepted
from ..ledger import amount_due_now, order_ledger
from ..models import BankStatementLine, Payment
from ..services import (
    order_follow_payments,
    order_payable_check,
    order_still_awaiting,
    payment_kind_for,
    payment_message_queue,
)

OrderStatus = Order.Status


def payment_from_statement_line(
    *, line_id: int, order_id: int, exact: bool, actor=None, now: datetime.datetime
) -> Payment:
    """A credit on the shop's own bank statement pays this order, once: its waiting proof of that amount is
    confirmed, or a payment is recorded from the statement with no proof; one already confirmed for that
    amount (the seller was quicker) is the one the line paid. With `exact`, only a credit of what the
    order owes now is taken (an automatic match); the seller's click takes any amount.

    Raises PaymentNotAccepted (the order takes no payment now, or owes another amount) and
    PaymentAlreadyDecided (the line already paid an order).
    """
    with transaction.atomic():
        locked = rows_lock(
            order_ids=[order_id],
            with_campaigns=False,
            order_prefetch=["payments", "refunds"],
            then=[BankStatementLine.objects.filter(pk=line_id)],
        )
        order, (line,) = locked.order, locked.then[0]
        if line.payment_id is not None:
            raise PaymentAlreadyDecided(_("This statement line already paid an order."))
        payments = list(order.payments.all())
        already = next(
            (
                payment
                for payment in payments
                if payment.status == Payment.Status.CONFIRMED
                and payment.amount_idr == line.amount_idr
                and not BankStatementLine.objects.filter(payment=payment).exists()
                and payment.method == Payment.Method.BANK_TRANSFER
            ),
            None,
        )
        if already is not None and amount_due_now(order, order_ledger(order)) == 0:
            _statement_line_settle(line=line, order=order, payment=already)
            return already
        order_payable_check(order, now)
        due = amount_due_now(order, order_ledger(order))
        if exact and line.amount_idr != due:
            raise PaymentNotAccepted(
                _("%(number)s owes %(due)s now, not %(amount)s.")
                % {"number": order.number, "due": format_rupiah(due), "amount": format_rupiah(line.amount_idr)}
            )
        waiting = _waiting_proof(payments, line.amount_idr)
        if waiting is not None:
            payment = waiting
            payment.status, payment.decided_at, payment.decided_by = Payment.Status.CONFIRMED, now, actor
            payment.proof_flag, payment.proof_flag_note = "", ""
            payment.save(update_fields=["status", "decided_at", "decided_by", "proof_flag", "proof_flag_note"])
        else:
            payment = Payment.objects.create(
                order=order,
                kind=payment_kind_for(order),
                status=Payment.Status.CONFIRMED,
                amount_idr=line.amount_idr,
                paid_on=line.booked_on,
                submitted_at=now,
                decided_at=now,
                decided_by=actor,
            )
        _statement_line_settle(line=line, order=order, payment=payment)
        order = Order.objects.prefetch_related("payments", "refunds").get(pk=order.pk)
        order_follow_payments(order=order, now=now, actor=actor, actor_label="" if actor else _("bank statement"))
        order_payment_decided(order=order, still_awaiting=order_still_awaiting(order), rejected=False, now=now)
        payment_message_queue(payment=payment, order=order, kind="payment_received", now=now)
    return payment


def _statement_line_settle(*, line: BankStatementLine, order: Order, payment: Payment) -> None:
    line.payment, line.order, line.status, line.note = payment, order, BankStatementLine.Status.CONFIRMED, ""
    line.save(update_fields=["payment", "order", "status", "note"])


def payments_from_statement_lines(
    *, matches: list[tuple[int, int]], actor=None, now: datetime.datetime
) -> dict[int, str]:
    """Confirm many automatic matches at once: each (statement line id, order id) pays exactly what its order
    owes now. The orders and lines are locked together (by primary key) and the writes go in a few
    statements. Returns {line id: why it was not taken} for the refused ones, which the seller decides on.
    """
    if not matches:
        return {}
    refused: dict[int, str] = {}
    with transaction.atomic():
        locked = rows_lock(
            order_ids=[order_id for _line_id, order_id in matches],
            with_campaigns=False,
            order_prefetch=["payments", "refunds"],
            then=[BankStatementLine.objects.filter(pk__in=[line_id for line_id, _order_id in matches])],
        )
        lines = {line.pk: line for line in locked.then[0]}
        stages = dict(
            Campaign.objects.filter(pk__in={order.campaign_id for order in locked.orders.values()}).values_list(
                "pk", "stage"
            )
        )
        confirmed, created, settled, moves, cleared = [], [], [], [], []
        for line_id, order_id in matches:
            line, order = lines[line_id], locked.orders[order_id]
            try:
                if line.payment_id is not None:
                    raise PaymentAlreadyDecided(_("This statement line already paid an order."))
                order_payable_check(order, now, stage=stages[order.campaign_id])
                ledger = order_ledger(order)
                due = amount_due_now(order, ledger)
                if line.amount_idr != due:
                    raise PaymentNotAccepted(
                        _("%(number)s owes %(due)s now, not %(amount)s.")
                        % {"number": order.number, "due": format_rupiah(due), "amount": format_rupiah(line.amount_idr)}
                    )
            except PaymentError as error:
                refused[line_id] = str(error)
                continue
            payments = list(order.payments.all())
            waiting = _waiting_proof(payments, line.amount_idr)
            if waiting is not None:
                waiting.status, waiting.decided_at, waiting.decided_by = Payment.Status.CONFIRMED, now, actor
                waiting.proof_flag, waiting.proof_flag_note = "", ""
                confirmed.append(waiting)
                payment = waiting
            else:
                payment = Payment(
                    order=order,
                    kind=payment_kind_for(order),
                    status=Payment.Status.CONFIRMED,
                    amount_idr=line.amount_idr,
                    paid_on=line.booked_on,
                    submitted_at=now,
                    decided_at=now,
                    decided_by=actor,
                )
                created.append(payment)
            target = _status_after(order, held_for_status_idr=ledger.held_for_status_idr + line.amount_idr)
            if target:
                moves.append((order, target))
            still_waiting = any(
                other.status == Payment.Status.PENDING
                and other is not waiting
                and other.proof_flag != Payment.ProofFlag.NOT_IN_STATEMENT
                for other in payments
            )
            if not still_waiting and order.payment_awaiting_since is not None:
                order.payment_awaiting_since = None
                cleared.append(order)
            line.payment, line.order, line.status, line.note = payment, order, BankStatementLine.Status.CONFIRMED, ""
            settled.append((line, order, payment))
        Payment.objects.bulk_update(confirmed, ["status", "decided_at", "decided_by", "proof_flag", "proof_flag_note"])
        Payment.objects.bulk_create(created, batch_size=1000)
        for line, _order, payment in settled:
            line.payment_id = payment.pk
        BankStatementLine.objects.bulk_update(
            [line for line, _order, _payment in settled], ["payment", "order", "status", "note"], batch_size=1000
        )
        orders_transition_bulk(
            moves=moves,
            now=now,
            actor=actor,
            actor_label="" if actor else _("bank statement"),
            reason=system_reason(gettext_noop("Payment confirmed.")),
        )
        Order.objects.bulk_update(cleared, ["payment_awaiting_since"], batch_size=1000)
        messages_queue_bulk(
            [
                message_build(
                    kind="payment_received",
                    key=f"payment:{payment.pk}:payment_received",
                    order=order,
                    params={"payment_id": payment.pk},
                    now=now,
                )
                for _line, order, payment in settled
            ],
            now=now,
        )
    return refused


def _waiting_proof(payments: list[Payment], amount_idr: int) -> Payment | None:
    return next(
        (
            payment
            for payment in payments
            if payment.status == Payment.Status.PENDING
            and payment.method == Payment.Method.BANK_TRANSFER
            and payment.amount_idr == amount_idr
        ),
        None,
    )


def _status_after(order: Order, *, held_for_status_idr: int) -> str | None:
    """Where a payable order goes when it holds this much (as order_follow_payments decides)."""
    if order.status == OrderStatus.PENDING_PAYMENT and held_for_status_idr >= order.first_payment_idr:
        return OrderStatus.PAID if held_for_status_idr >= order.total_idr else OrderStatus.DP_PAID
    if order.status == OrderStatus.DP_PAID and held_for_status_idr >= order.total_idr:
        return OrderStatus.PAID
    return None
