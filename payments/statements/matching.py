"""Which order a credit on the shop's bank statement pays, and whether the statements show a transfer a
buyer says they made.

Every unpaid order has an amount of its own (the kode unik), and a DP-paid order owes its balance. A
credit of exactly one open amount, from an order placed on or before the credit's day, is that order's
payment. An amount that fits several orders, or that misses one by the kode unik, the postage or a few
rupiah, is only a suggestion for the seller; anything else stays unmatched.

The other way round, a transfer proof's amount and date are looked for among the credits once the
imported statements cover that date (transfer_missing_from_statements).
"""

import bisect
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext

from orders.models import BankAccount, Order

from ..ledger import orders_with_amount_due_now
from ..models import BankStatementImport, BankStatementLine

# At most this many orders are suggested for one credit.
SUGGESTIONS_MAX = 5
# A transfer between banks may show on the statement a day after the buyer made it.
ARRIVAL_DAYS = 1
# Not read yet: transfer_missing_from_statements reads the days the statements cover itself.
_UNREAD = object()


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


def open_amounts() -> list[OpenAmount]:
    """Every payable order and what it owes now, in one query (amount_due_now done by the database)."""
    rows = orders_with_amount_due_now(Order.objects.filter(status__in=Order.PAYABLE_STATUSES)).values_list(
        "pk", "number", "created_at", "status", "due_now_idr", "unique_code", "postage_idr"
    )
    amounts = []
    for pk, number, created_at, status, due, unique_code, postage_idr in rows.iterator(2000):
        first = status == Order.Status.PENDING_PAYMENT
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


def statement_days_covered() -> list[tuple[datetime.date, datetime.date]] | None:
    """Per active bank account, the first and last day its imported statements cover; None when an active
    account has none (a transfer may have gone there, so none can be judged yet).

    A proof does not say which of the shop's accounts it was sent to, so every active account's statements
    must cover its day before it is judged.
    """
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


def transfer_missing_from_statements(
    *, amount_idr: int, paid_on: datetime.date | None, order_id: int, covered=_UNREAD
) -> bool:
    """Whether the imported statements disprove a transfer a buyer says they made for an order: they cover
    its day and the next (ARRIVAL_DAYS) on every active account, and no credit of its amount is there that
    is not already another order's. False while they do not cover those days.

    `covered` is statement_days_covered() when the caller judges many transfers at once.
    """
    if paid_on is None:
        return False
    if covered is _UNREAD:
        covered = statement_days_covered()
    last_day = paid_on + datetime.timedelta(days=ARRIVAL_DAYS)
    if covered is None or not all(first <= paid_on and last_day <= last for first, last in covered):
        return False
    credits = BankStatementLine.objects.filter(amount_idr=amount_idr, booked_on__range=(paid_on, last_day))
    return not credits.filter(Q(order__isnull=True) | Q(order_id=order_id)).exists()


def not_in_statements_note(paid_on: datetime.date) -> str:
    """What the seller reads beside a proof transfer_missing_from_statements disproves."""
    last_day = paid_on + datetime.timedelta(days=ARRIVAL_DAYS)
    return gettext("No credit of this amount on %(first)s or %(last)s in the bank statements.") % {
        "first": paid_on.strftime("%d-%m-%Y"),
        "last": last_day.strftime("%d-%m-%Y"),
    }
