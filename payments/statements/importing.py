"""Importing a bank statement: each credit kept once, matched to the order it pays, the file whole or not at all.

The preview says per line what the import will do and writes nothing; the import does it in one
transaction under the bank account's row lock, so two imports of one account (an overlapping file, a
double click) never keep a line twice. Matches are confirmed through payments' own service, with the
order locks taken in one go beforehand (by primary key), so a statement, the seller's Confirm and a
gateway notification for one order never count a payment twice.
"""

import datetime
import hashlib
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import BankAccount, Order

from ..exceptions import PaymentError
from ..models import BankStatementImport, BankStatementLine
from .checks import proofs_check_against_statements
from .confirming import payment_from_statement_line, payments_from_statement_lines
from .matching import Matcher, open_amounts
from .reading import StatementRow

Status = BankStatementLine.Status


class Outcome:
    """What the import does with one line of the file."""

    CONFIRM = "confirm"
    WAIT = "wait"  # one order fits; automatic confirmation is off
    SUGGEST = "suggest"
    UNMATCHED = "unmatched"
    DEBIT = "debit"
    CENTS = "cents"  # interest, its tax, a fee: written in sen, never a buyer's transfer
    ALREADY = "already"


OUTCOME_LABELS = {
    Outcome.CONFIRM: gettext_lazy("confirmed: pays %(orders)s"),
    Outcome.WAIT: gettext_lazy("matches %(orders)s: waits for your click"),
    Outcome.SUGGEST: gettext_lazy("suggestion: %(orders)s"),
    Outcome.UNMATCHED: gettext_lazy("no order matches: listed for you"),
    Outcome.DEBIT: gettext_lazy("money out: ignored"),
    Outcome.CENTS: gettext_lazy("with sen (interest or a fee), no order's payment: ignored"),
    Outcome.ALREADY: gettext_lazy("imported before: skipped"),
}


@dataclass
class PlannedLine:
    row: StatementRow
    fingerprint: str
    outcome: str
    order_ids: list[int] = field(default_factory=list)
    note: str = ""
    orders: list[str] = field(default_factory=list)  # their numbers, for the seller

    @property
    def shown(self) -> str:
        return str(OUTCOME_LABELS[self.outcome]) % {"orders": ", ".join(self.orders)}


def line_fingerprint(*, bank_account_id: int, row: StatementRow, nth: int) -> str:
    """Who the line is, whichever file brings it: the account, the day, the amount, the description and
    which of that day's equal lines it is (two equal transfers on one day are two lines)."""
    key = f"{bank_account_id}|{row.booked_on.isoformat()}|{row.amount_idr}|{row.credit}|{row.description}|{nth}"
    return hashlib.sha256(key.encode()).hexdigest()


def _plan(*, bank_account: BankAccount, rows: list[StatementRow], auto_confirm: bool) -> list[PlannedLine]:
    seen: Counter = Counter()
    fingerprints = []
    for row in rows:
        key = (row.booked_on, row.amount_idr, row.credit, row.description)
        fingerprints.append(line_fingerprint(bank_account_id=bank_account.pk, row=row, nth=seen[key]))
        seen[key] += 1
    stored = set(
        BankStatementLine.objects.filter(bank_account=bank_account, fingerprint__in=fingerprints).values_list(
            "fingerprint", flat=True
        )
    )
    matcher = Matcher(open_amounts()) if any(row.credit for row in rows) else None
    planned = []
    for row, fingerprint in zip(rows, fingerprints, strict=True):
        if not row.credit:
            planned.append(PlannedLine(row=row, fingerprint=fingerprint, outcome=Outcome.DEBIT))
        elif row.with_cents:
            planned.append(PlannedLine(row=row, fingerprint=fingerprint, outcome=Outcome.CENTS))
        elif fingerprint in stored:
            planned.append(PlannedLine(row=row, fingerprint=fingerprint, outcome=Outcome.ALREADY))
        else:
            match = matcher.match(amount_idr=row.amount_idr, day=row.booked_on)
            if match.order_id is not None:
                outcome, order_ids = (Outcome.CONFIRM if auto_confirm else Outcome.WAIT), [match.order_id]
            elif match.suggested:
                outcome, order_ids = Outcome.SUGGEST, match.suggested
            else:
                outcome, order_ids = Outcome.UNMATCHED, []
            planned.append(
                PlannedLine(row=row, fingerprint=fingerprint, outcome=outcome, order_ids=order_ids, note=match.note)
            )
    numbers = dict(
        Order.objects.filter(pk__in={pk for line in planned for pk in line.order_ids}).values_list("pk", "number")
    )
    for line in planned:
        line.orders = [numbers[pk] for pk in line.order_ids]
    return planned


def statement_preview(*, bank_account: BankAccount, rows: list[StatementRow]) -> list[PlannedLine]:
    """What importing these rows would do, line by line; nothing is written."""
    return _plan(bank_account=bank_account, rows=rows, auto_confirm=settings.STATEMENT_AUTO_CONFIRM)


def statement_import(
    *, bank_account: BankAccount, rows: list[StatementRow], file_name: str, layout: str, actor, now: datetime.datetime
) -> BankStatementImport:
    """Keep the file's new credits, confirm what they pay and flag the proofs they disprove, all or nothing."""
    with transaction.atomic():
        bank_account = BankAccount.objects.select_for_update().get(pk=bank_account.pk)
        planned = _plan(bank_account=bank_account, rows=rows, auto_confirm=settings.STATEMENT_AUTO_CONFIRM)
        record = BankStatementImport.objects.create(
            bank_account=bank_account,
            file_name=file_name[:200],
            layout=layout,
            imported_at=now,
            imported_by=actor,
            first_date=min((row.booked_on for row in rows), default=None),
            last_date=max((row.booked_on for row in rows), default=None),
            lines_read=len(rows),
            debits=sum(line.outcome in (Outcome.DEBIT, Outcome.CENTS) for line in planned),
            already_imported=sum(line.outcome == Outcome.ALREADY for line in planned),
        )
        new = [line for line in planned if line.outcome not in (Outcome.DEBIT, Outcome.CENTS, Outcome.ALREADY)]
        stored = BankStatementLine.objects.bulk_create(
            [
                BankStatementLine(
                    bank_account=bank_account,
                    statement_import=record,
                    booked_on=line.row.booked_on,
                    description=line.row.description[:500],
                    amount_idr=line.row.amount_idr,
                    fingerprint=line.fingerprint,
                    status=_status_of(line.outcome),
                    order_id=line.order_ids[0] if line.outcome in (Outcome.CONFIRM, Outcome.WAIT) else None,
                    suggested_order_ids=line.order_ids if line.outcome == Outcome.SUGGEST else [],
                    note=line.note,
                )
                for line in new
            ],
            batch_size=1000,
        )
        to_confirm = [
            (stored_line, line)
            for stored_line, line in zip(stored, new, strict=True)
            if line.outcome == Outcome.CONFIRM
        ]
        refused = payments_from_statement_lines(
            matches=[(stored_line.pk, line.order_ids[0]) for stored_line, line in to_confirm], actor=actor, now=now
        )
        for stored_line, line in to_confirm:
            if stored_line.pk in refused:
                # The order cannot take it as it is now (its PO moved on, it expired meanwhile): the seller decides.
                BankStatementLine.objects.filter(pk=stored_line.pk).update(
                    status=Status.SUGGESTED,
                    order=None,
                    suggested_order_ids=line.order_ids,
                    note=refused[stored_line.pk][:300],
                )
        confirmed = len(to_confirm) - len(refused)
        counts = Counter(BankStatementLine.objects.filter(statement_import=record).values_list("status", flat=True))
        record.credits = len(new)
        record.confirmed = confirmed
        record.waiting = counts[Status.EXACT]
        record.suggestions = counts[Status.SUGGESTED]
        record.unmatched = counts[Status.UNMATCHED]
        record.proofs_flagged = proofs_check_against_statements(now=now)
        record.save(update_fields=["credits", "confirmed", "waiting", "suggestions", "unmatched", "proofs_flagged"])
    return record


def _status_of(outcome: str) -> str:
    return {
        Outcome.CONFIRM: Status.EXACT,  # until payments' service confirms it, a moment later
        Outcome.WAIT: Status.EXACT,
        Outcome.SUGGEST: Status.SUGGESTED,
        Outcome.UNMATCHED: Status.UNMATCHED,
    }[outcome]


def statement_line_confirm(*, line: BankStatementLine, order: Order, actor, now: datetime.datetime):
    """The seller's click: this line pays this order (the match it waited with, a suggestion, or one the seller
    picked). Raises PaymentError with a message when it cannot."""
    if line.status == Status.CONFIRMED:
        raise PaymentError(_("This statement line is already confirmed."))
    return payment_from_statement_line(line_id=line.pk, order_id=order.pk, exact=False, actor=actor, now=now)
