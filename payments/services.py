import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.models import Campaign
from catalog.money import format_rupiah
from orders.exceptions import IllegalOrderTransition, OrderError
from orders.locks import rows_lock
from orders.models import Order
from orders.outbox import message_queue
from orders.services import (
    SystemReason,
    order_expiry_explainer,
    order_payment_awaiting,
    order_payment_decided,
    order_transition,
    system_reason,
)

from .exceptions import PaymentAlreadyDecided, PaymentNotAccepted
from .ledger import amount_due_now, order_ledger
from .models import Payment, Refund
from .proof_reuse import proof_reuse_flag, proof_reused_by
from .proofs import proof_clean
from .refunds import refund_held, refunds_create
from .seller import seller_proof_waiting_queue
from .statements.matching import not_in_statements_note, transfer_missing_from_statements

logger = logging.getLogger(__name__)
OrderStatus = Order.Status
# A first payment is taken until production starts; the balance until the goods ship.
FIRST_PAYMENT_STAGES = (Campaign.Stage.PUBLISHED, Campaign.Stage.TALLYING)
BALANCE_STAGES = (
    Campaign.Stage.PUBLISHED,
    Campaign.Stage.TALLYING,
    Campaign.Stage.IN_PRODUCTION,
    Campaign.Stage.SHIPPING,
)


def payment_kind_for(order: Order) -> str:
    if order.status == OrderStatus.DP_PAID:
        return Payment.Kind.BALANCE
    if order.payment_plan == Order.PaymentPlan.DOWN_PAYMENT:
        return Payment.Kind.DOWN_PAYMENT
    return Payment.Kind.FULL


def order_follow_payments(*, order: Order, now: datetime.datetime, actor=None, actor_label: str = "") -> None:
    """Move a locked order forward when what it holds covers the next step; never back.

    Money that reaches an order that has already ended goes back to the buyer.
    """
    ledger = order_ledger(order)
    if order.status in Order.CLOSED_UNFILLED_STATUSES:
        if ledger.held_idr > 0:
            refunds_create(
                order=order,
                amount_idr=ledger.held_idr,
                reason=Refund.Reason.ORDER_ENDED,
                note=_("Paid after the order was %(status)s.") % {"status": order.get_status_display().lower()},
                actor=actor,
                now=now,
            )
        return
    held = ledger.held_for_status_idr
    target = None
    if order.status == OrderStatus.PENDING_PAYMENT and held >= order.first_payment_idr:
        target = OrderStatus.PAID if held >= order.total_idr else OrderStatus.DP_PAID
    elif order.status == OrderStatus.DP_PAID and held >= order.total_idr:
        target = OrderStatus.PAID
    if target:
        order_transition(
            order=order,
            to_status=target,
            now=now,
            actor=actor,
            actor_label=actor_label,
            reason=system_reason(gettext_noop("Payment confirmed.")),
        )


def payment_message_queue(*, payment: Payment, order: Order, kind: str, now: datetime.datetime) -> None:
    message_queue(
        kind=kind, key=f"payment:{payment.pk}:{kind}", order=order, params={"payment_id": payment.pk}, now=now
    )


def _lock_order_and_payment(payment_id: int) -> tuple[Order, Payment]:
    order_id = Payment.objects.values_list("order_id", flat=True).get(pk=payment_id)
    locked = rows_lock(order_ids=[order_id], with_campaigns=False, then=[Payment.objects.filter(pk=payment_id)])
    (payment,) = locked.then[0]
    return locked.order, payment


def payment_submit(
    *,
    order: Order,
    amount_idr: int,
    paid_on: datetime.date,
    from_bank: str,
    from_account_name: str,
    proof_file,
    replace_waiting: bool = False,
    now: datetime.datetime,
) -> Payment:
    """The buyer tells us about a bank transfer, with its proof; the seller confirms it later.

    With `replace_waiting` a proof still waiting for the seller is set aside for this
    corrected one (recorded as rejected by the buyer's correction, never deleted).
    """
    if amount_idr <= 0:
        raise PaymentNotAccepted(_("Give the amount you transferred."))
    if paid_on > timezone.localdate(now):
        raise PaymentNotAccepted(_("The transfer date cannot be in the future."))
    proof = proof_clean(proof_file)  # image and PDF work before any lock
    payment = Payment(
        order=order,
        amount_idr=amount_idr,
        paid_on=paid_on,
        from_bank=from_bank.strip(),
        from_account_name=from_account_name.strip(),
        proof_content_type=proof.content_type,
        proof_sha256=proof.sha256,
        proof_phash=proof.phash,
        submitted_at=now,
    )
    reused = proof_reused_by(order_id=order.pk, sha256=proof.sha256, phash=proof.phash, now=now)
    # A transfer on days the imported statements already cover is judged now, not at the next import.
    missing = transfer_missing_from_statements(amount_idr=amount_idr, paid_on=paid_on, order_id=order.pk)
    # The file is written before the lock, and removed again if the payment is not recorded.
    _proof_store(payment, proof.file)
    try:
        with transaction.atomic():
            order = rows_lock(order_ids=[order.pk], with_campaigns=False).order
            order_payable_check(order, now)
            waiting = order.payments.select_for_update().filter(
                status=Payment.Status.PENDING, method=Payment.Method.BANK_TRANSFER
            )
            if waiting.exists() and not replace_waiting:
                raise PaymentNotAccepted(
                    _("Your last payment confirmation is still waiting for the seller; you will hear back soon.")
                )
            waiting.update(
                status=Payment.Status.REJECTED,
                decided_at=now,
                rejection_reason=_("Replaced by the buyer's corrected proof."),
            )
            payment.order = order
            payment.kind = payment_kind_for(order)
            payment.save()
            if reused is not None:
                proof_reuse_flag(payment=payment, other=reused)
            if missing:
                payment.proof_flag = Payment.ProofFlag.NOT_IN_STATEMENT
                payment.proof_flag_note = not_in_statements_note(paid_on)
                payment.save(update_fields=["proof_flag", "proof_flag_note"])
            # A proof for less than is due, or one the statements disprove, is kept for the seller but holds
            # nothing (payment_hold_refusal): the deadline stands.
            order_payment_decided(order=order, still_awaiting=order_still_awaiting(order), rejected=False, now=now)
            seller_proof_waiting_queue(payment=payment, now=now)
    except Exception:
        payment.proof.delete(save=False)
        raise
    return payment


def _proof_store(payment: Payment, content) -> None:
    """Write the cleaned proof; a full disk or an unwritable folder leaves no file and a clear message."""
    storage = payment.proof.storage
    name = payment.proof.field.generate_filename(payment, content.name)
    try:
        payment.proof.name = storage.save(name, content)
    except OSError:
        logger.exception("Could not store a transfer proof for order %s.", payment.order_id)
        try:
            storage.delete(name)
        except OSError:
            logger.exception("Could not remove a partly written proof %s.", name)
        raise PaymentNotAccepted(
            _("We could not save your transfer proof, so nothing was recorded. Please try again in a few minutes.")
        ) from None


def order_payable_check(order: Order, now: datetime.datetime, *, stage: str | None = None) -> None:
    """Raise PaymentNotAccepted when the order takes no payment now (its status, its deadline, its PO's stage,
    read unless given)."""
    if order.status not in Order.PAYABLE_STATUSES:
        raise PaymentNotAccepted(
            _("This order is %(status)s; it takes no payment.") % {"status": order.get_status_display().lower()}
        )
    if order.status == OrderStatus.PENDING_PAYMENT and order.payment_deadline <= now:
        raise PaymentNotAccepted(
            _(
                "The time to pay this order has passed, so it is about to expire. If you have already transferred, contact the seller."
            )
        )
    if stage is None:
        stage = Campaign.objects.values_list("stage", flat=True).get(pk=order.campaign_id)
    open_stages = FIRST_PAYMENT_STAGES if order.status == OrderStatus.PENDING_PAYMENT else BALANCE_STAGES
    if stage not in open_stages:
        raise PaymentNotAccepted(
            _("This PO has moved on (%(stage)s) and takes no more payments for this order; contact the seller.")
            % {"stage": Campaign.Stage(stage).label.lower()}
        )


def payment_confirm(*, payment_id: int, actor=None, now: datetime.datetime, actor_label: str = "") -> Payment:
    """Count a payment once, however often or from wherever it is confirmed."""
    with transaction.atomic():
        order, payment = _lock_order_and_payment(payment_id)
        if payment.status == Payment.Status.CONFIRMED:
            return payment
        if payment.status == Payment.Status.REJECTED:
            raise PaymentAlreadyDecided(_("This payment was rejected; it cannot be confirmed now."))
        payment.status = Payment.Status.CONFIRMED
        payment.decided_at = now
        payment.decided_by = actor
        payment.save(update_fields=["status", "decided_at", "decided_by"])
        order_follow_payments(order=order, now=now, actor=actor, actor_label=actor_label)
        order_payment_decided(order=order, still_awaiting=order_still_awaiting(order), rejected=False, now=now)
        payment_message_queue(payment=payment, order=order, kind="payment_received", now=now)
    return payment


# Why an order expired although its buyer sent a payment (the event's reason, in the reader's language).
PROOF_BELOW_DUE = gettext_noop(
    "Not paid by the deadline: the transfer proof sent is for %(amount)s, less than the %(due)s due."
)
PROOF_NOT_IN_STATEMENTS = gettext_noop(
    "Not paid by the deadline: the bank statements covering %(day)s show no credit of %(amount)s."
)
PAYMENT_NOT_CONFIRMED_IN_TIME = gettext_noop(
    "Not paid by the deadline: the payment sent was not confirmed within %(hours)d hours."
)


def payment_hold_refusal(payment: Payment, *, due_idr: int) -> SystemReason | None:
    """Why a payment waiting for the seller does not keep its unpaid order from expiring; None when it does.

    The one rule of what holds an order, read by order_still_awaiting and, for the event's reason, by
    orders_expiry_explain. A gateway's pending payment holds it. A transfer proof holds it only while it is
    plausible: for at least what the order owes now (`due_idr`, amount_due_now: the first transfer with its
    kode unik, or the balance), and not disproved by the bank statements covering its date (flagged by
    proofs_check_against_statements, or when it is sent). Either way the proof stays for the seller.
    """
    if payment.method != Payment.Method.BANK_TRANSFER:
        return None
    if payment.proof_flag == Payment.ProofFlag.NOT_IN_STATEMENT:
        day = payment.paid_on.strftime("%d-%m-%Y") if payment.paid_on else ""
        return system_reason(PROOF_NOT_IN_STATEMENTS, day=day, amount=format_rupiah(payment.amount_idr))
    if payment.amount_idr < due_idr:
        return system_reason(PROOF_BELOW_DUE, amount=format_rupiah(payment.amount_idr), due=format_rupiah(due_idr))
    return None


def _waiting_refusals(order: Order) -> list[SystemReason | None]:
    """payment_hold_refusal of each payment waiting for the seller (prefetched payments and refunds are used)."""
    ledger = order_ledger(order)
    # What the proof must cover to count: the amount that moves the order's status, as order_follow_payments
    # reads it. A first transfer without its kode unik pays the DP or the total all the same.
    if order.status == OrderStatus.PENDING_PAYMENT:
        due = max(order.first_payment_idr - ledger.held_for_status_idr, 0)
    else:
        due = amount_due_now(order, ledger)
    return [
        payment_hold_refusal(payment, due_idr=due)
        for payment in order.payments.all()
        if payment.status == Payment.Status.PENDING
    ]


def order_still_awaiting(order: Order) -> bool:
    """Whether expiry must leave the order alone: a waiting payment holds it (payment_hold_refusal), or it
    already holds money."""
    if any(refusal is None for refusal in _waiting_refusals(order)):
        return True
    # A partly paid order is not expired: the seller decides, and a cancellation refunds it.
    return order.status == OrderStatus.PENDING_PAYMENT and order_ledger(order).held_idr > 0


@order_expiry_explainer
def orders_expiry_explain(orders: QuerySet) -> dict[int, SystemReason]:
    """Why each of `orders` (about to expire) that a payment was sent for expires all the same: every waiting
    payment's payment_hold_refusal, or else no one confirmed it within PROOF_HOLD_HOURS
    (payments_stale_proofs_release). Three queries, however many orders."""
    sent = Order.objects.filter(
        pk__in=Payment.objects.filter(order__in=orders, status=Payment.Status.PENDING).values("order_id")
    ).prefetch_related("payments", "refunds")
    reasons = {}
    for order in sent:
        refusals = _waiting_refusals(order)
        if refusals and all(refusal is not None for refusal in refusals):
            reasons[order.pk] = refusals[-1]
        else:
            reasons[order.pk] = system_reason(PAYMENT_NOT_CONFIRMED_IN_TIME, hours=settings.PROOF_HOLD_HOURS)
    return reasons


def payment_reject(*, payment_id: int, reason: str, actor=None, now: datetime.datetime) -> Payment:
    reason = reason.strip()
    if not reason:
        raise PaymentNotAccepted(_("Give the buyer a reason for the rejection."))
    with transaction.atomic():
        order, payment = _lock_order_and_payment(payment_id)
        if payment.status == Payment.Status.REJECTED:
            return payment
        if payment.status == Payment.Status.CONFIRMED:
            raise PaymentAlreadyDecided(_("This payment was confirmed; record a refund instead."))
        payment.status = Payment.Status.REJECTED
        payment.rejection_reason = reason
        payment.decided_at = now
        payment.decided_by = actor
        payment.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
        order_payment_decided(order=order, still_awaiting=order_still_awaiting(order), rejected=True, now=now)
        payment_message_queue(payment=payment, order=order, kind="payment_rejected", now=now)
    return payment


def order_cancel(*, order: Order, now: datetime.datetime, actor=None, reason: str = "") -> Order:
    """Cancel an order, give its units back and record a refund of what it holds.

    A buyer cancels an unpaid order any time and a paid one while the PO is
    open; the seller (an actor) may cancel at any stage before shipping.
    """
    with transaction.atomic():
        locked = rows_lock(order_ids=[order.pk])
        campaign, order = locked.campaign, locked.order
        if order.status not in Order.UNSHIPPED_STATUSES:
            raise IllegalOrderTransition(order=order, to_status=OrderStatus.CANCELLED)
        if (
            actor is None
            and order.status != OrderStatus.PENDING_PAYMENT
            and campaign.status_at(now) != Campaign.Status.OPEN
        ):
            raise OrderError(_("The PO has closed and production has started; ask the seller about cancelling."))
        order_end_with_refund(
            order=order, refund_reason=Refund.Reason.ORDER_CANCELLED, reason=reason, actor=actor, by="buyer", now=now
        )
    return order


def order_end_with_refund(
    *, order: Order, refund_reason: str, reason: str, actor, by: str, now: datetime.datetime
) -> None:
    """Cancel an order, record a refund of what it holds and tell the buyer once committed.

    Call with the order's campaign and the order locked (orders.locks.rows_lock): the units go back.
    """
    order_transition(
        order=order,
        to_status=OrderStatus.CANCELLED,
        now=now,
        actor=actor,
        actor_label="" if actor else by,
        reason=reason,
    )
    refund = refund_held(order=order, reason=refund_reason, note=reason, actor=actor, now=now)
    message_queue(
        kind="order_cancelled",
        key=f"order:{order.pk}:cancelled",
        order=order,
        params={"refund_id": refund.pk if refund else None},
        now=now,
    )


KIND_BY_CODE = {"DP": Payment.Kind.DOWN_PAYMENT, "BAL": Payment.Kind.BALANCE, "FULL": Payment.Kind.FULL}


def gateway_checkout_start(*, order: Order, gateway, finish_url: str) -> str:
    """Open a gateway transaction for what the order owes now; returns where to send the buyer."""
    order = Order.objects.prefetch_related("payments", "refunds").get(pk=order.pk)
    order_payable_check(order, timezone.now())
    ledger = order_ledger(order)
    # The gateway knows the order by its id, so no kode unik is added.
    amount = (
        max(order.first_payment_idr - ledger.held_idr, 0)
        if order.status == OrderStatus.PENDING_PAYMENT
        else ledger.due_idr
    )
    if amount <= 0:
        raise PaymentNotAccepted(_("Nothing is due on this order now."))
    checkout = gateway.checkout_start(
        order=order, kind=payment_kind_for(order), amount_idr=amount, finish_url=finish_url
    )
    return checkout.redirect_url


def gateway_notice_apply(*, notice, provider: str, now: datetime.datetime) -> str:
    """Record what a verified gateway notification says, once per provider transaction.

    Returns "recorded", "duplicate" (already known, or older than what is
    recorded), "ignored" (a failure never recorded) or "unknown" (no such order).
    """
    order = Order.objects.filter(number=notice.order_number).first()
    if order is None or notice.kind_code not in KIND_BY_CODE:
        return "unknown"
    with transaction.atomic():
        locked = rows_lock(
            order_ids=[order.pk],
            with_campaigns=False,
            then=[Payment.objects.filter(provider=provider, provider_reference=notice.provider_order_id)],
        )
        order, payment = locked.order, next(iter(locked.then[0]), None)
        if payment is not None:
            if payment.status != Payment.Status.PENDING or not (notice.is_paid or notice.is_final_failure):
                return "duplicate"
            payment.provider_status = notice.state
            payment.decided_at = now
            if notice.is_paid:
                payment.status = Payment.Status.CONFIRMED
            else:
                payment.status = Payment.Status.REJECTED
                payment.rejection_reason = _("The payment gateway reported: %(state)s.") % {"state": notice.state}
            payment.save(update_fields=["status", "provider_status", "decided_at", "rejection_reason"])
            if payment.status == Payment.Status.REJECTED:
                order_payment_decided(order=order, still_awaiting=order_still_awaiting(order), rejected=False, now=now)
        else:
            if not (notice.is_paid or notice.state == "pending"):
                return "ignored"
            payment = Payment.objects.create(
                order=order,
                kind=KIND_BY_CODE[notice.kind_code],
                method=Payment.Method.GATEWAY,
                status=Payment.Status.CONFIRMED if notice.is_paid else Payment.Status.PENDING,
                amount_idr=notice.amount_idr,
                submitted_at=now,
                decided_at=now if notice.is_paid else None,
                provider=provider,
                provider_reference=notice.provider_order_id,
                provider_status=f"{notice.state} {notice.transaction_id}"[:30],
            )
        if payment.status == Payment.Status.PENDING and order.status == OrderStatus.PENDING_PAYMENT:
            order_payment_awaiting(order=order, now=now)
        if payment.status == Payment.Status.CONFIRMED:
            order_follow_payments(order=order, now=now, actor_label=provider)
            order_payment_decided(order=order, still_awaiting=order_still_awaiting(order), rejected=False, now=now)
            payment_message_queue(payment=payment, order=order, kind="payment_received", now=now)
    return "recorded"


def payments_stale_proofs_release(*, now: datetime.datetime) -> int:
    """A proof the seller has not checked keeps an unpaid order alive for PROOF_HOLD_HOURS, no longer.

    Past that, and past its deadline, the order may expire like any unpaid one (the
    proof stays for the seller; confirming it later records a refund). An order that
    already holds confirmed money is left alone: expiring it would strand that money.
    """
    hold_since = now - datetime.timedelta(hours=settings.PROOF_HOLD_HOURS)
    candidates = Order.objects.filter(
        status=OrderStatus.PENDING_PAYMENT, payment_deadline__lte=now, payment_awaiting_since__lte=hold_since
    ).values_list("pk", flat=True)
    released = 0
    for order_id in list(candidates):
        with transaction.atomic():
            order = rows_lock(order_ids=[order_id], with_campaigns=False).order
            if (
                order.status != OrderStatus.PENDING_PAYMENT
                or order.payment_awaiting_since is None
                or order.payment_awaiting_since > hold_since
                or order.payments.filter(status=Payment.Status.CONFIRMED).exists()
            ):
                continue
            order_payment_decided(order=order, still_awaiting=False, rejected=False, now=now)
            released += 1
    return released
