"""Personal data kept only as long as needed (UU PDP 27/2022): buyers of orders that ended
long enough ago are anonymised and their transfer proofs deleted; the amounts stay. The contacts left
with "Ingatkan saya" go too, once their PO's window closed that long ago.

It sits on the top floor because a buyer's data is on every floor below: the order (orders), the
interest before it opened (demand), the transfer proofs (payments), and the answers to a delay and
the notes copied into the tally (here).
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from demand.services import interests_personal_data_delete
from orders.locks import rows_lock
from orders.models import Message, Order, OrderLine
from payments.models import Payment

from ..exceptions import FulfilmentError

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
    Message.objects.filter(order=order).update(to_email="", to_phone="", subject="", body="")
    deleted = 0
    for payment in Payment.objects.filter(order=order).exclude(proof=""):
        name = payment.proof.name
        Payment.objects.filter(pk=payment.pk).update(proof="")
        # The file goes once the row no longer points at it; a failed delete is logged, never half-done.
        transaction.on_commit(lambda storage=payment.proof.storage, name=name: _delete_file(storage, name))
        deleted += 1
    Payment.objects.filter(order=order).update(from_account_name="", from_bank="")
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
