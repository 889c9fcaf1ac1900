from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from orders.models import Order
from orders.selectors import order_queryset_for_buyer

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
