"""The kode unik search in plain ORM: the readable reference, run on SQLite.

unique_code/postgresql.py does the same in fewer statements; tests/orders/test_checkout_parity.py holds
them to the same results.
"""

import secrets

from ...models import Order
from .common import UNIQUE_CODE_TIERS


def first_free(*, first_payment_idr: int, candidates: list[int], order_id: int | None) -> tuple[int | None, int | None]:
    """`order_id` as given (the order's insert numbers it), and the first of `candidates` no unpaid order at
    this amount uses; None when all are."""
    taken = set(
        Order.objects.filter(
            status=Order.Status.PENDING_PAYMENT,
            first_transfer_idr__in=[first_payment_idr + code for code in candidates],
        ).values_list("first_transfer_idr", flat=True)
    )
    return order_id, next((code for code in candidates if first_payment_idr + code not in taken), None)


def crowded(*, first_payment_idr: int, scan_three_digit: bool, four_digit: list[int]) -> int | None:
    """For when the first few codes were all taken: a free three-digit code while any is left (unless
    `scan_three_digit` is false), then a four-digit one (`four_digit` first, before all those taken are
    read); None when every code is taken."""
    code = _free_of_tier(first_payment_idr, tier=0) if scan_three_digit else None
    if code is None and four_digit:
        _order_id, code = first_free(first_payment_idr=first_payment_idr, candidates=four_digit, order_id=None)
    if code is None:
        code = _free_of_tier(first_payment_idr, tier=1)
    return code


def _free_of_tier(first_payment_idr: int, tier: int) -> int | None:
    """A code of this length no unpaid order at this amount uses, from all those taken; None when none is left.

    For when a few random codes were all taken: a popular PO can have
    thousands of unpaid orders at one price, and the amounts stay distinct
    without turning buyers away at the thousandth. At most one length's
    codes are read (999, or 9,000 once the three-digit ones are all taken).
    """
    low, high = UNIQUE_CODE_TIERS[tier]
    taken = {
        amount - first_payment_idr
        for amount in Order.objects.filter(
            status=Order.Status.PENDING_PAYMENT,
            first_transfer_idr__gte=first_payment_idr + low,
            first_transfer_idr__lte=first_payment_idr + high,
        ).values_list("first_transfer_idr", flat=True)
    }
    size = high - low + 1
    if len(taken) >= size:
        return None
    while True:  # a free code is found in size / free tries on average
        code = low + secrets.randbelow(size)
        if code not in taken:
            return code
