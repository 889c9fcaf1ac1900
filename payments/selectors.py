from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, Sum
from django.shortcuts import get_object_or_404

from campaigns.models import Campaign
from orders.models import Order
from orders.selectors import order_queryset_for_buyer

from .ledger import orders_with_amount_due_now
from .models import Payment, Refund


def order_get_with_payments(*, token: str) -> Order:
    """The order behind a private link with its payments and refunds; 404 for any other token."""
    return get_object_or_404(
        order_queryset_for_buyer().prefetch_related(
            Prefetch("payments", queryset=Payment.objects.order_by("submitted_at", "pk")),
            Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "pk")),
        ),
        token=token,
    )


@dataclass(frozen=True)
class CampaignMoney:
    """A PO's money, from its payments and refunds (a few aggregates, however many orders)."""

    down_payments_idr: int  # confirmed DPs
    full_and_balance_idr: int  # confirmed full payments and balances
    balance_outstanding_idr: int  # what DP-paid orders still owe
    awaiting_idr: int  # sent by buyers, not yet checked
    refunds_due_idr: int
    refunds_sent_idr: int
    orders_paid_in_full: int
    orders_dp_paid: int

    @property
    def collected_idr(self) -> int:
        return self.down_payments_idr + self.full_and_balance_idr


def campaign_money(*, campaign: Campaign) -> CampaignMoney:
    payments = Payment.objects.filter(order__campaign=campaign).aggregate(
        down=Sum("amount_idr", filter=Q(status=Payment.Status.CONFIRMED, kind=Payment.Kind.DOWN_PAYMENT), default=0),
        rest=Sum(
            "amount_idr", filter=Q(status=Payment.Status.CONFIRMED) & ~Q(kind=Payment.Kind.DOWN_PAYMENT), default=0
        ),
        awaiting=Sum("amount_idr", filter=Q(status=Payment.Status.PENDING), default=0),
    )
    refunds = Refund.objects.filter(order__campaign=campaign).aggregate(
        due=Sum("amount_idr", filter=Q(status=Refund.Status.DUE), default=0),
        sent=Sum("amount_idr", filter=Q(status=Refund.Status.SENT), default=0),
    )
    orders = Order.objects.filter(campaign=campaign).aggregate(
        dp_count=Count("pk", filter=Q(status=Order.Status.DP_PAID)),
        full_count=Count("pk", filter=Q(status__in=Order.PAID_IN_FULL_STATUSES)),
    )
    # What DP-paid orders still owe, each as its ledger says (the kode unik pays no part of a balance).
    outstanding = orders_with_amount_due_now(Order.objects.filter(campaign=campaign, status=Order.Status.DP_PAID))
    return CampaignMoney(
        down_payments_idr=payments["down"],
        full_and_balance_idr=payments["rest"],
        balance_outstanding_idr=outstanding.aggregate(total=Sum("due_now_idr", default=0))["total"],
        awaiting_idr=payments["awaiting"],
        refunds_due_idr=refunds["due"],
        refunds_sent_idr=refunds["sent"],
        orders_paid_in_full=orders["full_count"],
        orders_dp_paid=orders["dp_count"],
    )
