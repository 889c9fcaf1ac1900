"""Order transitions, expiry, the lookup of a lost link, and the order's side of a payment's review.

The checkout (quoting, placing, the kode unik, the reservation) is orders/checkout/.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.models import Campaign, CampaignItem

from .checkout import phone_normalise
from .exceptions import IllegalOrderTransition, InvalidOrder
from .locks import rows_lock
from .models import Order, OrderEvent
from .outbox import message_queue

Status = Order.Status

# The one table of allowed moves; every move goes through order_transition.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING_PAYMENT: {Status.DP_PAID, Status.PAID, Status.EXPIRED, Status.CANCELLED},
    Status.DP_PAID: {Status.PAID, Status.CANCELLED},
    Status.PAID: {Status.SHIPPED, Status.CANCELLED},
    Status.SHIPPED: {Status.COMPLETED},
    Status.COMPLETED: set(),
    Status.EXPIRED: set(),
    Status.CANCELLED: set(),
}
SYSTEM = "system"


def _actor_label(actor) -> str:
    return actor.get_full_name() or actor.get_username()


class SystemReason(str):
    """A reason the shop writes: the text in the current language, with its English msgid and values kept.

    Make one with system_reason(gettext_noop("..."), name=value); the order page shows
    it in the reader's language, whatever language the job that wrote it ran in.
    """

    code: str = ""
    params: dict = {}


def system_reason(msgid: str, **params) -> SystemReason:
    reason = SystemReason(_(msgid) % params if params else _(msgid))
    reason.code, reason.params = msgid, params
    return reason


def order_transition(
    *, order: Order, to_status: str, now: datetime.datetime, actor=None, actor_label: str = "", reason: str = ""
) -> OrderEvent:
    """Move a locked order to `to_status`, write its event and give units back if it ends.

    Call inside a transaction with the order locked (select_for_update), so
    the check and the move happen once whatever runs at the same time.
    """
    event = _move(order=order, to_status=to_status, now=now, actor=actor, actor_label=actor_label, reason=reason)
    order.save(update_fields=["status"])
    if to_status in Order.CLOSED_UNFILLED_STATUSES:  # the order gives its units back
        _units_release(order)
    event.save(force_insert=True)
    return event


def _move(*, order: Order, to_status: str, now, actor, actor_label: str, reason: str) -> OrderEvent:
    """Check the move against the table, set the status in memory and build its event (not saved)."""
    if to_status not in ALLOWED_TRANSITIONS[order.status]:
        raise IllegalOrderTransition(order=order, to_status=to_status)
    event = OrderEvent(
        order=order,
        at=now,
        from_status=order.status,
        to_status=to_status,
        actor=actor,
        actor_label=actor_label or (_actor_label(actor) if actor else SYSTEM),
        reason=str(reason),
        reason_code=getattr(reason, "code", ""),
        reason_params=getattr(reason, "params", {}),
    )
    order.status = to_status
    return event


def orders_transition_bulk(
    *, moves: list[tuple[Order, str]], now: datetime.datetime, actor=None, actor_label: str = "", reason: str = ""
) -> list[OrderEvent]:
    """order_transition for many locked orders at once: each move checked against the same table, the
    statuses and the events written in two statements. Only for moves that keep the units (payments);
    an order that ends goes through order_transition, which gives its units back."""
    events = []
    for order, to_status in moves:
        if to_status in Order.CLOSED_UNFILLED_STATUSES:
            raise ValueError("An order that ends gives its units back: use order_transition.")
        events.append(
            _move(order=order, to_status=to_status, now=now, actor=actor, actor_label=actor_label, reason=reason)
        )
    Order.objects.bulk_update([order for order, _to in moves], ["status"], batch_size=1000)
    return OrderEvent.objects.bulk_create(events, batch_size=1000)


def _units_release(order: Order) -> None:
    per_item: dict[int, int] = defaultdict(int)
    for campaign_item_id, quantity in order.lines.values_list("campaign_item_id", "quantity"):
        per_item[campaign_item_id] += quantity
    for campaign_item_id in sorted(per_item):
        CampaignItem.objects.filter(pk=campaign_item_id).update(
            units_reserved=F("units_reserved") - per_item[campaign_item_id]
        )
    Campaign.objects.filter(pk=order.campaign_id).update(units_reserved=F("units_reserved") - order.units)


# Why an order expires although its buyer sent a payment: the floor that holds the payments knows (it decides
# which waiting payment keeps an order from expiring, and clears payment_awaiting_since when none does).
# Each explainer takes the orders about to expire (a query) and gives {order id: reason} for some of them.
ExpiryExplainer = Callable[[QuerySet], dict[int, SystemReason]]
_EXPIRY_EXPLAINERS: dict[str, ExpiryExplainer] = {}
NOT_PAID_BY_THE_DEADLINE = gettext_noop("Not paid by the deadline.")


def order_expiry_explainer(function: ExpiryExplainer) -> ExpiryExplainer:
    """Register `function(orders) -> {order id: reason}`, read by order_expire_overdue for the event's reason;
    an order it says nothing of expires "Not paid by the deadline."."""
    _EXPIRY_EXPLAINERS[f"{function.__module__}.{function.__qualname__}"] = function
    return function


def order_expire_overdue(*, now: datetime.datetime) -> int:
    """Expire every unpaid order past its deadline that no waiting payment holds (payment_awaiting_since);
    safe to run twice or at once."""
    overdue = Order.objects.filter(
        status=Status.PENDING_PAYMENT, payment_deadline__lte=now, payment_awaiting_since__isnull=True
    )
    due = list(overdue.values_list("pk", "campaign_id"))
    reasons: dict[int, SystemReason] = {}
    if due:
        for explain in _EXPIRY_EXPLAINERS.values():
            reasons.update(explain(overdue))
    expired = 0
    for order_id, campaign_id in due:
        with transaction.atomic():
            # Its campaign was read with it (an order never changes campaign): no need to read it again.
            order = rows_lock(campaign_ids=[campaign_id], order_ids=[order_id], with_campaigns=False).order
            if (
                order.status != Status.PENDING_PAYMENT
                or order.payment_deadline > now
                or order.payment_awaiting_since is not None
            ):
                continue
            order_transition(
                order=order,
                to_status=Status.EXPIRED,
                now=now,
                actor_label=SYSTEM,
                reason=reasons.get(order_id) or system_reason(NOT_PAID_BY_THE_DEADLINE),
            )
            message_queue(kind="order_expired", key=f"order:{order.pk}:expired", order=order, now=now)
            expired += 1
    return expired


def order_lookup_send_link(*, number: str, contact: str, now: datetime.datetime | None = None) -> None:
    """Send the order's private link to its e-mail when number and phone or e-mail match.

    Says nothing either way, so nobody learns which orders exist.
    """
    # Numbers are written in capitals (PO-2612-00042): the unique index finds one however it was typed.
    order = Order.objects.filter(number=number.strip().upper()).first()
    if order is None:
        return
    contact = contact.strip()
    matches = bool(order.email) and contact.lower() == order.email
    if not matches:
        try:
            matches = phone_normalise(contact) == order.phone
        except InvalidOrder:
            matches = False
    if matches:
        now = now or timezone.now()
        # Each request sends the link again: the key holds the moment it was asked for.
        message_queue(kind="order_link", key=f"order:{order.pk}:link:{now.isoformat()}", order=order, now=now)


REJECTED_PAYMENT_GRACE = datetime.timedelta(hours=24)


def order_payment_awaiting(*, order: Order, now: datetime.datetime) -> None:
    """A payment was sent in time and waits for the seller: the order must not expire meanwhile.

    Call with the order locked.
    """
    if order.payment_awaiting_since is None:
        order.payment_awaiting_since = now
        order.save(update_fields=["payment_awaiting_since"])


def order_payment_decided(*, order: Order, still_awaiting: bool, rejected: bool, now: datetime.datetime) -> None:
    """A payment was sent or decided: record whether one still holds the order from expiring (`still_awaiting`,
    payments' rule). Call with the order locked.

    After a rejection the buyer gets at least REJECTED_PAYMENT_GRACE to send
    a correct payment before the order can expire; on a small-quota PO, only
    its short time to pay (Campaign.quick_pay_window), or rejected proofs
    would hold its few units a day at a time.
    """
    fields = []
    if still_awaiting and order.payment_awaiting_since is None:
        order.payment_awaiting_since = now
        fields.append("payment_awaiting_since")
    elif not still_awaiting and order.payment_awaiting_since is not None:
        order.payment_awaiting_since = None
        fields.append("payment_awaiting_since")
    if rejected and order.status == Status.PENDING_PAYMENT:
        quick = order.campaign.quick_pay_window()
        grace = REJECTED_PAYMENT_GRACE if quick is None else min(REJECTED_PAYMENT_GRACE, quick)
        if order.payment_deadline < now + grace:
            order.payment_deadline = now + grace
            fields.append("payment_deadline")
    if fields:
        order.save(update_fields=fields)
