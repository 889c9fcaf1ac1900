"""An order's money, all of it following from its payments and refunds."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from orders.models import Order

from .models import Payment, Refund

OrderStatus = Order.Status


@dataclass(frozen=True)
class OrderLedger:
    """An order's money, all of it following from its payments and refunds."""

    total_idr: int
    first_payment_idr: int
    unique_code: int
    paid_idr: int  # confirmed payments
    awaiting_idr: int  # sent by the buyer, not yet confirmed
    refunded_idr: int  # refunds sent
    refund_due_idr: int  # refunds recorded, not yet sent
    goodwill_idr: int = 0  # refunds the seller chose to give on a live order

    @property
    def held_idr(self) -> int:
        """What the shop keeps for this order."""
        return self.paid_idr - self.refunded_idr - self.refund_due_idr

    @property
    def due_idr(self) -> int:
        return max(self.total_idr - self.held_idr, 0)

    @property
    def held_for_status_idr(self) -> int:
        """What counts towards the order's status: a goodwill refund does not undo a payment."""
        return self.held_idr + self.goodwill_idr

    @property
    def overpaid_idr(self) -> int:
        # The kode unik rides on the first transfer; only more than that is an over-payment.
        return max(self.held_idr - self.total_idr - self.unique_code, 0)


def order_ledger(order: Order) -> OrderLedger:
    """Uses prefetched payments and refunds when the caller loaded them."""
    payments = list(order.payments.all())
    refunds = list(order.refunds.all())
    return OrderLedger(
        total_idr=order.total_idr,
        first_payment_idr=order.first_payment_idr,
        unique_code=order.unique_code,
        paid_idr=sum(payment.amount_idr for payment in payments if payment.status == Payment.Status.CONFIRMED),
        awaiting_idr=sum(payment.amount_idr for payment in payments if payment.status == Payment.Status.PENDING),
        refunded_idr=sum(refund.amount_idr for refund in refunds if refund.status == Refund.Status.SENT),
        refund_due_idr=sum(refund.amount_idr for refund in refunds if refund.status == Refund.Status.DUE),
        goodwill_idr=sum(refund.amount_idr for refund in refunds if refund.reason == Refund.Reason.SELLER_DECISION),
    )


def ledger_disagreement(order: Order, ledger: OrderLedger) -> str:
    """Why the order's status does not fit its money, or "" when it does."""
    held = ledger.held_for_status_idr
    if ledger.held_idr < 0:
        return _("more refunded than paid")
    if order.status == OrderStatus.PENDING_PAYMENT and held >= order.first_payment_idr:
        return _("paid enough for its next step but still waiting for payment")
    if order.status == OrderStatus.DP_PAID and not order.first_payment_idr <= held < order.total_idr:
        return _("marked DP paid, but holds %(held)d of %(total)d") % {"held": held, "total": order.total_idr}
    if order.status in Order.PAID_IN_FULL_STATUSES and held < order.total_idr:
        return _("marked paid in full, but holds %(held)d of %(total)d") % {"held": held, "total": order.total_idr}
    if order.status in Order.CLOSED_UNFILLED_STATUSES and ledger.held_idr != 0:
        return _("ended, but keeps %(held)d that is neither refunded nor due back") % {"held": ledger.held_idr}
    return ""


def amount_due_now(order: Order, ledger: OrderLedger) -> int:
    """What the buyer should pay next: the first transfer with its kode unik, then the balance."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        return max(order.first_transfer_idr - ledger.held_idr, 0)
    if order.status == OrderStatus.DP_PAID:
        return ledger.due_idr
    return 0
