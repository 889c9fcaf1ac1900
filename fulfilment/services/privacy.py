"""Personal data kept only as long as needed (UU PDP 27/2022): buyers of orders that ended
long enough ago are anonymised and their transfer proofs deleted; the amounts stay. The contacts left
with "Ingatkan saya" go too, once their PO's window closed that long ago.

It sits on the top floor because a buyer's data is on every floor below: the order, its lines, its
status history and its messages (orders), the interest before it opened (demand), the transfer proofs,
refunds and bank statement lines (payments), and the notes copied into the tally (here). Every text a
person wrote about the order goes, since any of it may name the buyer (a cancellation reason with a
phone number, copied into the refund's note too); what the shop itself wrote stays (a reason kept as
its English text and values: a date, a number of days), and so do the amounts, dates and statuses.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from demand.services import interests_personal_data_delete
from orders.locks import rows_lock
from orders.models import Message, Order, OrderEvent, OrderLine
from payments.models import BankStatementLine, Payment, Refund

from ..exceptions import FulfilmentError
from ..models import ProductionTallyNote

logger = logging.getLogger(__name__)
ENDED = Order.ENDED_STATUSES
ANONYMOUS = "-"


def _order_anonymise(order: Order, *, now: datetime.datetime) -> int:
    """Call with the order locked. Returns the number of proof files deleted."""
    Order.objects.filter(pk=order.pk).update(
        buyer_name=ANONYMOUS,
        phone="",
        email="",
        email_key="",
        client_key="",
        province="",
        city="",
        district="",
        postal_code="",
        street="",
        note="",
        personal_data_removed_at=now,
    )
    OrderLine.objects.filter(order=order).update(note="")
    ProductionTallyNote.objects.filter(line__tally__campaign_id=order.campaign_id, order_number=order.number).update(
        note=ANONYMOUS
    )
    # A reason a person typed (the buyer cancelling, the seller's action); the shop's own keep their code.
    OrderEvent.objects.filter(order=order, reason_code="").update(reason="", reason_params={})
    Message.objects.filter(order=order).update(to_email="", to_phone="", subject="", body="", last_error="")
    # The refund's note holds the cancellation reason; how it was sent may hold the buyer's account.
    Refund.objects.filter(order=order).update(note="")
    Refund.objects.filter(order=order).exclude(method="").update(method=ANONYMOUS)
    # The bank's line of the buyer's transfer names the sender.
    BankStatementLine.objects.filter(Q(order=order) | Q(payment__order=order)).update(description=ANONYMOUS)
    deleted = 0
    for payment in Payment.objects.filter(order=order).exclude(proof=""):
        name = payment.proof.name
        Payment.objects.filter(pk=payment.pk).update(proof="")
        # The file goes once the row no longer points at it; a failed delete is logged, never half-done.
        transaction.on_commit(lambda storage=payment.proof.storage, name=name: _delete_file(storage, name))
        deleted += 1
    Payment.objects.filter(order=order).update(
        from_account_name="", from_bank="", rejection_reason="", proof_flag_note=""
    )
    return deleted


def _delete_file(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("Could not delete the transfer proof %s.", name)


def personal_data_purge(*, days: int, now: datetime.datetime) -> tuple[int, int]:
    """Anonymise every order that ended more than `days` days ago, and delete the interests ("Ingatkan saya")
    of the POs whose window closed that long ago; safe to run again. (orders, proofs)."""
    if days < 1:
        raise FulfilmentError(_("Keep personal data at least one day after an order ends."))
    cutoff = now - datetime.timedelta(days=days)
    interests = interests_personal_data_delete(campaigns_closed_before=cutoff)
    if interests:
        logger.info("Deleted %d interests (Ingatkan saya) of POs closed before %s.", interests, cutoff)
    due = (
        Order.objects.filter(status__in=ENDED, personal_data_removed_at__isnull=True)
        .annotate(ended_at=Max("events__at"))
        .filter(Q(completed_at__lt=cutoff) | Q(completed_at__isnull=True, ended_at__lt=cutoff))
        .values_list("pk", flat=True)
    )
    orders = proofs = 0
    for order_id in list(due):
        with transaction.atomic():
            order = rows_lock(order_ids=[order_id], with_campaigns=False).order
            if order.personal_data_removed_at is not None or order.status not in ENDED:
                continue
            proofs += _order_anonymise(order, now=now)
            orders += 1
    return orders, proofs


def order_personal_data_delete(*, order: Order, now: datetime.datetime) -> int:
    """The buyer asked to be forgotten: done at once for an ended order."""
    with transaction.atomic():
        order = rows_lock(order_ids=[order.pk], with_campaigns=False).order
        if order.status not in ENDED:
            raise FulfilmentError(
                _("%(number)s is still running; it needs the buyer's address. Cancel or complete it first.")
                % {"number": order.number}
            )
        if order.personal_data_removed_at is not None:
            return 0
        return _order_anonymise(order, now=now)
