"""An order's money, all of it following from its payments and refunds."""

from dataclasses import dataclass

from django.db.models import BigIntegerField, Case, F, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils.translation import gettext as _

from orders.checkout.quoting import balance_left_idr
from orders.models import Order

from .models import Payment, Refund

OrderStatus = Order.Status
# What a payment is for when the order asks for its first payment (the transfer that carries the kode unik).
FIRST_PAYMENT_KINDS = (Payment.Kind.DOWN_PAYMENT, Payment.Kind.FULL)
MONEY = BigIntegerField()


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
    first_paid_idr: int = 0  # confirmed payments made as the first payment (DP or full), kode unik included
    code_counts_as_paid: bool = False  # an order placed while the kode unik counted as paid (Order's field)

    @property
    def held_idr(self) -> int:
        """What the shop keeps for this order."""
        return self.paid_idr - self.refunded_idr - self.refund_due_idr

    @property
    def unique_code_paid_idr(self) -> int:
        """The kode unik the first payment carried: transferred, so counted in what is paid and held, but a
        surcharge that names the transfer rather than a payment towards the total. A first payment without it
        (online, or a transfer that left it out) carries none."""
        if self.code_counts_as_paid:
            return 0  # an older order: its code pays towards the total, as its buyer was told
        return min(max(self.first_paid_idr - self.first_payment_idr, 0), self.unique_code)

    @property
    def towards_total_idr(self) -> int:
        """What the shop keeps that pays the goods and postage."""
        return self.held_idr - self.unique_code_paid_idr

    @property
    def due_idr(self) -> int:
        """The balance still to pay: the figure promised at checkout, once the DP is in."""
        return balance_left_idr(total_idr=self.total_idr, paid_towards_total_idr=self.towards_total_idr)

    @property
    def held_for_status_idr(self) -> int:
        """What counts towards the order's status: the kode unik pays no part of the total, and a goodwill
        refund does not undo a payment."""
        return self.towards_total_idr + self.goodwill_idr

    @property
    def overpaid_idr(self) -> int:
        return max(self.towards_total_idr - self.total_idr, 0)


def order_ledger(order: Order) -> OrderLedger:
    """Uses prefetched payments and refunds when the caller loaded them."""
    payments = list(order.payments.all())
    refunds = list(order.refunds.all())
    return OrderLedger(
        total_idr=order.total_idr,
        first_payment_idr=order.first_payment_idr,
        unique_code=order.unique_code,
        code_counts_as_paid=order.code_counts_as_paid,
        paid_idr=sum(payment.amount_idr for payment in payments if payment.status == Payment.Status.CONFIRMED),
        awaiting_idr=sum(payment.amount_idr for payment in payments if payment.status == Payment.Status.PENDING),
        refunded_idr=sum(refund.amount_idr for refund in refunds if refund.status == Refund.Status.SENT),
        refund_due_idr=sum(refund.amount_idr for refund in refunds if refund.status == Refund.Status.DUE),
        goodwill_idr=sum(refund.amount_idr for refund in refunds if refund.reason == Refund.Reason.SELLER_DECISION),
        first_paid_idr=sum(
            payment.amount_idr
            for payment in payments
            if payment.status == Payment.Status.CONFIRMED and payment.kind in FIRST_PAYMENT_KINDS
        ),
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


def _sum_of(model, **filters):
    rows = model.objects.filter(order=OuterRef("pk"), **filters).values("order").annotate(total=Sum("amount_idr"))
    return Coalesce(Subquery(rows.values("total")), Value(0), output_field=MONEY)


def orders_with_amount_due_now(orders: QuerySet) -> QuerySet:
    """`orders` with `held_idr` and `due_now_idr`, amount_due_now done by the database for reading many orders
    at once (a bank statement's open amounts): the same rule as the ledger above, in SQL."""
    confirmed = Payment.Status.CONFIRMED
    orders = orders.annotate(
        held_idr=_sum_of(Payment, status=confirmed) - _sum_of(Refund),
        first_paid_idr=_sum_of(Payment, status=confirmed, kind__in=FIRST_PAYMENT_KINDS),
    ).annotate(
        unique_code_paid_idr=Case(
            When(code_counts_as_paid=True, then=Value(0)),
            default=Least(
                Greatest(F("first_paid_idr") - F("first_payment_idr"), Value(0), output_field=MONEY),
                F("unique_code"),
                output_field=MONEY,
            ),
            output_field=MONEY,
        )
    )
    return orders.annotate(
        due_now_idr=Case(
            When(
                status=OrderStatus.PENDING_PAYMENT,
                then=Greatest(F("first_transfer_idr") - F("held_idr"), Value(0), output_field=MONEY),
            ),
            When(
                status=OrderStatus.DP_PAID,
                then=Greatest(
                    F("total_idr") - (F("held_idr") - F("unique_code_paid_idr")), Value(0), output_field=MONEY
                ),
            ),
            default=Value(0),
            output_field=MONEY,
        )
    )
