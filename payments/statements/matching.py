"""Which order a credit on the shop's bank statement pays.

Every unpaid order has an amount of its own (the kode unik), and a DP-paid order owes its balance. A
credit of exactly one open amount, from an order placed on or before the credit's day, is that order's
payment. An amount that fits several orders, or that misses one by the kode unik, the postage or a few
rupiah, is only a suggestion for the seller; anything else stays unmatched.
"""

import bisect
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from orders.models import Order

from ..models import Payment, Refund

# At most this many orders are suggested for one credit.
SUGGESTIONS_MAX = 5


@dataclass(frozen=True)
class OpenAmount:
    """What one order owes now: its first transfer (with the kode unik) or its balance."""

    order_id: int
    number: str
    placed_on: datetime.date
    due_idr: int
    first_payment: bool
    unique_code: int
    postage_idr: int


@dataclass
class Match:
    """What a credit is: one order's payment (`order_id`), or suggestions, or nothing."""

    order_id: int | None = None
    suggested: list[int] = field(default_factory=list)
    note: str = ""


def _sum_of(model, **filters):
    rows = model.objects.filter(order=OuterRef("pk"), **filters).values("order").annotate(total=Sum("amount_idr"))
    return Coalesce(Subquery(rows.values("total")), Value(0))


def open_amounts() -> list[OpenAmount]:
    """Every payable order and what it owes now, in one query (the ledger's sums done by the database)."""
    rows = (
        Order.objects.filter(status__in=Order.PAYABLE_STATUSES)
        .annotate(
            held=_sum_of(Payment, status=Payment.Status.CONFIRMED) - _sum_of(Refund),
        )
        .annotate(
            # As amount_due_now: the first transfer less what it holds, or the balance.
            first_due=F("first_transfer_idr") - F("held"),
            balance_due=F("total_idr") - F("held"),
        )
        .values_list("pk", "number", "created_at", "status", "first_due", "balance_due", "unique_code", "postage_idr")
    )
    amounts = []
    for pk, number, created_at, status, first_due, balance_due, unique_code, postage_idr in rows.iterator(2000):
        first = status == Order.Status.PENDING_PAYMENT
        due = first_due if first else balance_due
        if due > 0:
            amounts.append(
                OpenAmount(
                    order_id=pk,
                    number=number,
                    placed_on=timezone.localdate(created_at),
                    due_idr=due,
                    first_payment=first,
                    unique_code=unique_code,
                    postage_idr=postage_idr,
                )
            )
    return amounts


class Matcher:
    """Matches credits one after another against the open amounts read once; an order matched by one
    credit is not matched again by a later one of the same file."""

    def __init__(self, amounts: list[OpenAmount]):
        self.by_amount: dict[int, list[OpenAmount]] = defaultdict(list)
        # What an order owes less its kode unik (left out of the transfer) or less its postage (paid apart).
        self.by_near_amount: dict[int, list[OpenAmount]] = defaultdict(list)
        for amount in amounts:
            self.by_amount[amount.due_idr].append(amount)
            if amount.first_payment:
                self.by_near_amount[amount.due_idr - amount.unique_code].append(amount)
            if amount.postage_idr:
                self.by_near_amount[amount.due_idr - amount.postage_idr].append(amount)
        self.dues = sorted((amount.due_idr, amount.order_id, amount) for amount in amounts)
        self.taken: set[int] = set()
        self.near_idr = settings.STATEMENT_NEAR_IDR

    def _open(self, candidates, day: datetime.date) -> list[OpenAmount]:
        return [c for c in candidates if c.order_id not in self.taken and c.placed_on <= day]

    def match(self, *, amount_idr: int, day: datetime.date) -> Match:
        exact = self._open(self.by_amount.get(amount_idr, ()), day)
        if len(exact) == 1:
            self.taken.add(exact[0].order_id)
            return Match(order_id=exact[0].order_id)
        if exact:
            return Match(
                suggested=[c.order_id for c in exact[:SUGGESTIONS_MAX]],
                note=gettext("%(count)d orders owe this amount.") % {"count": len(exact)},
            )
        near = self._near(amount_idr, day)
        if near:
            return Match(suggested=[c.order_id for c in near], note=gettext("Close to what these orders owe."))
        return Match()

    def _near(self, amount_idr: int, day: datetime.date) -> list[OpenAmount]:
        """Orders this credit nearly pays: without the kode unik, the postage paid apart, or a few rupiah off."""
        found: dict[int, tuple[int, OpenAmount]] = {}
        for candidate in self._open(self.by_near_amount.get(amount_idr, ()), day):
            found[candidate.order_id] = (0, candidate)
        low = bisect.bisect_left(self.dues, (amount_idr - self.near_idr,))
        high = bisect.bisect_right(self.dues, (amount_idr + self.near_idr + 1,))
        for due, _order_id, candidate in self.dues[low:high]:
            if candidate.order_id not in found and self._open([candidate], day):
                found[candidate.order_id] = (abs(due - amount_idr), candidate)
        ranked = sorted(found.values(), key=lambda pair: (pair[0], pair[1].order_id))
        return [candidate for _gap, candidate in ranked[:SUGGESTIONS_MAX]]
