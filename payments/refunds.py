"""Refunds: what is owed back to a buyer, against the payments it returns, and then sent."""

import datetime
from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _

from orders.locks import rows_lock
from orders.models import Order
from orders.outbox import message_queue

from .exceptions import PaymentNotAccepted
from .ledger import order_ledger
from .models import Payment, Refund


def refunds_create(
    *, order: Order, amount_idr: int, reason: str, note: str, actor, now: datetime.datetime
) -> list[Refund]:
    """Record `amount_idr` back to the buyer against the confirmed payments it returns, newest first."""
    already = defaultdict(int)
    for refund in order.refunds.all():
        already[refund.payment_id] += refund.amount_idr
    confirmed = [payment for payment in order.payments.all() if payment.status == Payment.Status.CONFIRMED]
    refunds, remaining = [], amount_idr
    for payment in sorted(confirmed, key=lambda payment: (payment.submitted_at, payment.pk), reverse=True):
        share = min(payment.amount_idr - already[payment.pk], remaining)
        if share > 0:
            refunds.append(
                Refund.objects.create(
                    order=order,
                    payment=payment,
                    amount_idr=share,
                    reason=reason,
                    note=note,
                    created_at=now,
                    created_by=actor,
                )
            )
            remaining -= share
        if remaining == 0:
            break
    return refunds


def refund_held(*, order: Order, reason: str, note: str, actor, now: datetime.datetime) -> Refund | None:
    held = order_ledger(order).held_idr
    if held <= 0:
        return None
    refunds = refunds_create(order=order, amount_idr=held, reason=reason, note=note, actor=actor, now=now)
    return refunds[0] if refunds else None


def refund_record(*, order: Order, amount_idr: int, reason: str, note: str, actor, now: datetime.datetime) -> Refund:
    """The seller decides to pay something back (an over-payment, a goodwill refund)."""
    with transaction.atomic():
        order = rows_lock(order_ids=[order.pk], with_campaigns=False).order
        ledger = order_ledger(order)
        # The kode unik is no overpayment: refunding it would leave the order owing it (payments/ledger.py).
        if reason == Refund.Reason.OVERPAYMENT and amount_idr > ledger.overpaid_idr:
            raise PaymentNotAccepted(
                _("This order has no over-payment of that size; record it as the seller's decision instead.")
            )
        if not 0 < amount_idr <= ledger.held_idr:
            raise PaymentNotAccepted(
                _("A refund is between Rp1 and what the order holds (Rp%(held)s).")
                % {"held": f"{ledger.held_idr:,}".replace(",", ".")}
            )
        return refunds_create(order=order, amount_idr=amount_idr, reason=reason, note=note, actor=actor, now=now)[0]


def refund_mark_sent(*, refund_id: int, method: str, reference: str, actor, now: datetime.datetime) -> Refund:
    if not method.strip() or not reference.strip():
        raise PaymentNotAccepted(_("Give the refund's method and the transfer reference."))
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == Refund.Status.SENT:
            return refund
        refund.status = Refund.Status.SENT
        refund.method = method.strip()
        refund.reference = reference.strip()
        refund.sent_at = now
        refund.sent_by = actor
        refund.save(update_fields=["status", "method", "reference", "sent_at", "sent_by"])
        message_queue(
            kind="refund_sent",
            key=f"refund:{refund.pk}:sent",
            order=Order.objects.get(pk=refund.order_id),
            params={"refund_id": refund.pk},
            now=now,
        )
    return refund
