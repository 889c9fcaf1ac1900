import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.models import Campaign
from campaigns.services import ALLOWED_STAGE_MOVES, campaign_stage_move
from orders.exceptions import IllegalOrderTransition, OrderError
from orders.models import Order, OrderLine
from orders.outbox import message_queue
from orders.services import order_payment_awaiting, order_payment_decided, order_transition, system_reason

from .exceptions import PaymentAlreadyDecided, PaymentNotAccepted
from .models import Payment, Refund, Reminder
from .proofs import proof_clean

logger = logging.getLogger(__name__)
OrderStatus = Order.Status
PAYABLE = (OrderStatus.PENDING_PAYMENT, OrderStatus.DP_PAID)
PAID_STATUSES = (OrderStatus.DP_PAID, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
# A first payment is taken until production starts; the balance until the goods ship.
FIRST_PAYMENT_STAGES = (Campaign.Stage.PUBLISHED, Campaign.Stage.TALLYING)
BALANCE_STAGES = (
    Campaign.Stage.PUBLISHED,
    Campaign.Stage.TALLYING,
    Campaign.Stage.IN_PRODUCTION,
    Campaign.Stage.SHIPPING,
)


@dataclass(frozen=True)
class OrderLedger:
    """An order's money, all of it following from its payments and refunds."""

    total_idr: int
    first_payment_idr: int
    unique_code: int
    paid_idr: int  # confirmed payments
    awaiting_idr: int  # sent by the buyer, not yet confirmed
    refunded_idr: int  # refunds sent
    refund_due_idr: int  # refunds recorded, not yet sent
    goodwill_idr: int = 0  # refunds the seller chose to give on a live order

    @property
    def held_idr(self) -> int:
        """What the shop keeps for this order."""
        return self.paid_idr - self.refunded_idr - self.refund_due_idr

    @property
    def due_idr(self) -> int:
        return max(self.total_idr - self.held_idr, 0)

    @property
    def held_for_status_idr(self) -> int:
        """What counts towards the order's status: a goodwill refund does not undo a payment."""
        return self.held_idr + self.goodwill_idr

    @property
    def overpaid_idr(self) -> int:
        # The kode unik rides on the first transfer; only more than that is an over-payment.
        return max(self.held_idr - self.total_idr - self.unique_code, 0)


def order_ledger(order: Order) -> OrderLedger:
    """Uses prefetched payments and refunds when the caller loaded them."""
    payments = list(order.payments.all())
    refunds = list(order.refunds.all())
    return OrderLedger(
        total_idr=order.total_idr,
        first_payment_idr=order.first_payment_idr,
        unique_code=order.unique_code,
        paid_idr=sum(payment.amount_idr for payment in payments if payment.status == Payment.Status.CONFIRMED),
        awaiting_idr=sum(payment.amount_idr for payment in payments if payment.status == Payment.Status.PENDING),
        refunded_idr=sum(refund.amount_idr for refund in refunds if refund.status == Refund.Status.SENT),
        refund_due_idr=sum(refund.amount_idr for refund in refunds if refund.status == Refund.Status.DUE),
        goodwill_idr=sum(refund.amount_idr for refund in refunds if refund.reason == Refund.Reason.SELLER_DECISION),
    )


def ledger_disagreement(order: Order, ledger: OrderLedger) -> str:
    """Why the order's status does not fit its money, or "" when it does."""
    held = ledger.held_for_status_idr
    if ledger.held_idr < 0:
        return _("more refunded than paid")
    if order.status == OrderStatus.PENDING_PAYMENT and held >= order.first_payment_idr:
        return _("paid enough for its next step but still waiting for payment")
    if order.status == OrderStatus.DP_PAID and not order.first_payment_idr <= held < order.total_idr:
        return _("marked DP paid, but holds %(held)d of %(total)d") % {"held": held, "total": order.total_idr}
    if order.status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED) and held < order.total_idr:
        return _("marked paid in full, but holds %(held)d of %(total)d") % {"held": held, "total": order.total_idr}
    if order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED) and ledger.held_idr != 0:
        return _("ended, but keeps %(held)d that is neither refunded nor due back") % {"held": ledger.held_idr}
    return ""


def _kind_for(order: Order) -> str:
    if order.status == OrderStatus.DP_PAID:
        return Payment.Kind.BALANCE
    if order.payment_plan == Order.PaymentPlan.DOWN_PAYMENT:
        return Payment.Kind.DOWN_PAYMENT
    return Payment.Kind.FULL


def amount_due_now(order: Order, ledger: OrderLedger) -> int:
    """What the buyer should pay next: the first transfer with its kode unik, then the balance."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        return max(order.first_transfer_idr - ledger.held_idr, 0)
    if order.status == OrderStatus.DP_PAID:
        return ledger.due_idr
    return 0


def _order_follow_payments(*, order: Order, now: datetime.datetime, actor=None, actor_label: str = "") -> None:
    """Move a locked order forward when what it holds covers the next step; never back.

    Money that reaches an order that has already ended goes back to the buyer.
    """
    ledger = order_ledger(order)
    if order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        if ledger.held_idr > 0:
            _refunds_create(
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


def _payment_message(*, payment: Payment, order: Order, kind: str, now: datetime.datetime) -> None:
    message_queue(
        kind=kind, key=f"payment:{payment.pk}:{kind}", order=order, params={"payment_id": payment.pk}, now=now
    )


def _lock_order_and_payment(payment_id: int) -> tuple[Order, Payment]:
    # Lock order first, then payment: the same order everywhere, so no deadlock.
    order_id = Payment.objects.values_list("order_id", flat=True).get(pk=payment_id)
    order = Order.objects.select_for_update().get(pk=order_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    return order, payment


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
        submitted_at=now,
    )
    # The file is written before the lock, and removed again if the payment is not recorded.
    _proof_store(payment, proof.file)
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order.pk)
            _check_payable(order, now)
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
            payment.kind = _kind_for(order)
            payment.save()
            order_payment_awaiting(order=order, now=now)
            from .seller import seller_proof_waiting_queue

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


def _check_payable(order: Order, now: datetime.datetime) -> None:
    if order.status not in PAYABLE:
        raise PaymentNotAccepted(
            _("This order is %(status)s; it takes no payment.") % {"status": order.get_status_display().lower()}
        )
    if order.status == OrderStatus.PENDING_PAYMENT and order.payment_deadline <= now:
        raise PaymentNotAccepted(
            _(
                "The time to pay this order has passed, so it is about to expire. If you have already transferred, contact the seller."
            )
        )
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
        _order_follow_payments(order=order, now=now, actor=actor, actor_label=actor_label)
        order_payment_decided(order=order, still_awaiting=_still_awaiting(order), rejected=False, now=now)
        _payment_message(payment=payment, order=order, kind="payment_received", now=now)
    return payment


def _still_awaiting(order: Order) -> bool:
    """Whether expiry must leave the order alone: a payment waits, or it already holds money."""
    if order.payments.filter(status=Payment.Status.PENDING).exists():
        return True
    # A partly paid order is not expired: the seller decides, and a cancellation refunds it.
    return order.status == OrderStatus.PENDING_PAYMENT and order_ledger(order).held_idr > 0


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
        order_payment_decided(order=order, still_awaiting=_still_awaiting(order), rejected=True, now=now)
        _payment_message(payment=payment, order=order, kind="payment_rejected", now=now)
    return payment


def _refunds_create(
    *, order: Order, amount_idr: int, reason: str, note: str, actor, now: datetime.datetime
) -> list[Refund]:
    """Record `amount_idr` back to the buyer against the confirmed payments it returns, newest first."""
    already = defaultdict(int)
    for refund in order.refunds.all():
        already[refund.payment_id] += refund.amount_idr
    confirmed = [payment for payment in order.payments.all() if payment.status == Payment.Status.CONFIRMED]
    refunds, remaining = [], amount_idr
    for payment in sorted(confirmed, key=lambda payment: (payment.submitted_at, payment.pk), reverse=True):
        share = min(payment.amount_idr - already[payment.pk], remaining)
        if share > 0:
            refunds.append(
                Refund.objects.create(
                    order=order,
                    payment=payment,
                    amount_idr=share,
                    reason=reason,
                    note=note,
                    created_at=now,
                    created_by=actor,
                )
            )
            remaining -= share
        if remaining == 0:
            break
    return refunds


def _refund_held(*, order: Order, reason: str, note: str, actor, now: datetime.datetime) -> Refund | None:
    held = order_ledger(order).held_idr
    if held <= 0:
        return None
    refunds = _refunds_create(order=order, amount_idr=held, reason=reason, note=note, actor=actor, now=now)
    return refunds[0] if refunds else None


def order_cancel(*, order: Order, now: datetime.datetime, actor=None, reason: str = "") -> Order:
    """Cancel an order, give its units back and record a refund of what it holds.

    A buyer cancels an unpaid order any time and a paid one while the PO is
    open; the seller (an actor) may cancel at any stage before shipping.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=order.campaign_id)
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.DP_PAID, OrderStatus.PAID):
            raise IllegalOrderTransition(order=order, to_status=OrderStatus.CANCELLED)
        if (
            actor is None
            and order.status != OrderStatus.PENDING_PAYMENT
            and campaign.status_at(now) != Campaign.Status.OPEN
        ):
            raise OrderError(_("The PO has closed and production has started; ask the seller about cancelling."))
        _order_end_with_refund(
            order=order, refund_reason=Refund.Reason.ORDER_CANCELLED, reason=reason, actor=actor, by="buyer", now=now
        )
    return order


def _order_end_with_refund(
    *, order: Order, refund_reason: str, reason: str, actor, by: str, now: datetime.datetime
) -> None:
    """Cancel a locked order, record a refund of what it holds and tell the buyer once committed."""
    order_transition(
        order=order,
        to_status=OrderStatus.CANCELLED,
        now=now,
        actor=actor,
        actor_label="" if actor else by,
        reason=reason,
    )
    refund = _refund_held(order=order, reason=refund_reason, note=reason, actor=actor, now=now)
    message_queue(
        kind="order_cancelled",
        key=f"order:{order.pk}:cancelled",
        order=order,
        params={"refund_id": refund.pk if refund else None},
        now=now,
    )


def refund_record(*, order: Order, amount_idr: int, reason: str, note: str, actor, now: datetime.datetime) -> Refund:
    """The seller decides to pay something back (an over-payment, a goodwill refund)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        ledger = order_ledger(order)
        if reason == Refund.Reason.OVERPAYMENT and amount_idr > max(ledger.held_idr - order.total_idr, 0):
            raise PaymentNotAccepted(
                _("This order has no over-payment of that size; record it as the seller's decision instead.")
            )
        if not 0 < amount_idr <= ledger.held_idr:
            raise PaymentNotAccepted(
                _("A refund is between Rp1 and what the order holds (Rp%(held)s).")
                % {"held": f"{ledger.held_idr:,}".replace(",", ".")}
            )
        return _refunds_create(order=order, amount_idr=amount_idr, reason=reason, note=note, actor=actor, now=now)[0]


def refund_mark_sent(*, refund_id: int, method: str, reference: str, actor, now: datetime.datetime) -> Refund:
    if not method.strip() or not reference.strip():
        raise PaymentNotAccepted(_("Give the refund's method and the transfer reference."))
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == Refund.Status.SENT:
            return refund
        refund.status = Refund.Status.SENT
        refund.method = method.strip()
        refund.reference = reference.strip()
        refund.sent_at = now
        refund.sent_by = actor
        refund.save(update_fields=["status", "method", "reference", "sent_at", "sent_by"])
        message_queue(
            kind="refund_sent",
            key=f"refund:{refund.pk}:sent",
            order=Order.objects.get(pk=refund.order_id),
            params={"refund_id": refund.pk},
            now=now,
        )
    return refund


def campaign_paid_units(campaign: Campaign) -> int:
    return (
        OrderLine.objects.filter(order__campaign=campaign, order__status__in=PAID_STATUSES).aggregate(
            units=Sum("quantity")
        )["units"]
        or 0
    )


def campaign_close_due(*, now: datetime.datetime) -> int:
    """Close each published campaign whose window has ended, once.

    One that met its goal (or has none, or goes ahead anyway) moves to
    "closed, tallying". A campaign that missed its minimum goal with the refund policy fails:
    every live order is cancelled, its units freed and what it paid recorded
    as a refund due. Safe to run twice or at the same time.
    """
    due_ids = list(
        Campaign.objects.filter(
            stage=Campaign.Stage.PUBLISHED, closes_at__lte=now, close_processed_at__isnull=True
        ).values_list("pk", flat=True)
    )
    closed = 0
    for campaign_id in due_ids:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
            if (
                campaign.close_processed_at is not None
                or campaign.stage != Campaign.Stage.PUBLISHED
                or campaign.closes_at > now
            ):
                continue
            if (
                campaign.minimum_goal_units
                and Payment.objects.filter(order__campaign=campaign, status=Payment.Status.PENDING).exists()
            ):
                # The goal counts paid units: decide once the seller has checked every payment sent.
                continue
            goal_missed = (
                bool(campaign.minimum_goal_units) and campaign_paid_units(campaign) < campaign.minimum_goal_units
            )
            if goal_missed and campaign.goal_missed_policy == Campaign.GoalMissedPolicy.REFUND:
                _campaign_fail(campaign=campaign, now=now)
            else:
                # The tally follows once no first payment is possible (payments.production).
                campaign_stage_move(campaign=campaign, to_stage=Campaign.Stage.TALLYING, now=now)
            Campaign.objects.filter(pk=campaign.pk).update(close_processed_at=now)
            closed += 1
    return closed


def _campaign_fail(*, campaign: Campaign, now: datetime.datetime) -> None:
    campaign_stage_move(campaign=campaign, to_stage=Campaign.Stage.FAILED, now=now)
    _campaign_orders_end(
        campaign=campaign,
        reason=system_reason(
            gettext_noop("The PO did not reach its minimum goal, so it is cancelled and every payment refunded.")
        ),
        actor=None,
        now=now,
    )


def campaign_cancel(*, campaign: Campaign, reason: str, actor, now: datetime.datetime) -> Campaign:
    """The seller calls a PO off: every live order is cancelled and what it paid refunded."""
    if not reason.strip():
        raise PaymentNotAccepted(_("Give the buyers a reason."))
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
        if Campaign.Stage.CANCELLED not in ALLOWED_STAGE_MOVES[campaign.stage]:
            raise PaymentNotAccepted(_("This PO can no longer be cancelled; cancel single orders instead."))
        _campaign_orders_end(campaign=campaign, reason=reason.strip(), actor=actor, now=now)
        campaign = campaign_stage_move(campaign=campaign, to_stage=Campaign.Stage.CANCELLED, now=now)
    return campaign


def _campaign_orders_end(*, campaign: Campaign, reason: str, actor, now: datetime.datetime) -> None:
    """Cancel every live order of a locked campaign and record refunds of what each paid."""
    live = Order.objects.select_for_update().filter(campaign=campaign, status__in=PAYABLE + (OrderStatus.PAID,))
    for order in live.order_by("pk"):
        _order_end_with_refund(
            order=order, refund_reason=Refund.Reason.CAMPAIGN_FAILED, reason=reason, actor=actor, by="system", now=now
        )


def balance_reminders_send(*, now: datetime.datetime) -> int:
    """Remind DP-paid buyers of the balance a few days before, the day before, and when overdue; each once."""
    today = timezone.localdate(now)
    soon = today + datetime.timedelta(days=settings.BALANCE_REMINDER_DAYS)
    tomorrow = today + datetime.timedelta(days=1)
    kinds = [
        (Reminder.Kind.BALANCE_SOON, {"balance_due_date": soon}),
        (Reminder.Kind.BALANCE_TOMORROW, {"balance_due_date": tomorrow}),
        (Reminder.Kind.BALANCE_OVERDUE, {"balance_due_date__lt": today}),
    ]
    sent = 0
    for kind, due_filter in kinds:
        order_ids = (
            Order.objects.filter(status=OrderStatus.DP_PAID, **due_filter)
            .exclude(reminders__kind=kind)
            .values_list("pk", flat=True)
        )
        for order_id in order_ids:
            with transaction.atomic():
                _reminder, created = Reminder.objects.get_or_create(
                    order_id=order_id, kind=kind, defaults={"sent_at": now}
                )
                if created:
                    message_queue(
                        kind="balance_reminder",
                        key=f"order:{order_id}:reminder:{kind}",
                        order=Order.objects.get(pk=order_id),
                        params={"kind": kind},
                        now=now,
                    )
                    sent += 1
    return sent


KIND_BY_CODE = {"DP": Payment.Kind.DOWN_PAYMENT, "BAL": Payment.Kind.BALANCE, "FULL": Payment.Kind.FULL}


def gateway_checkout_start(*, order: Order, gateway, finish_url: str) -> str:
    """Open a gateway transaction for what the order owes now; returns where to send the buyer."""
    order = Order.objects.prefetch_related("payments", "refunds").get(pk=order.pk)
    _check_payable(order, timezone.now())
    ledger = order_ledger(order)
    # The gateway knows the order by its id, so no kode unik is added.
    amount = (
        max(order.first_payment_idr - ledger.held_idr, 0)
        if order.status == OrderStatus.PENDING_PAYMENT
        else ledger.due_idr
    )
    if amount <= 0:
        raise PaymentNotAccepted(_("Nothing is due on this order now."))
    checkout = gateway.checkout_start(order=order, kind=_kind_for(order), amount_idr=amount, finish_url=finish_url)
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
        order = Order.objects.select_for_update().get(pk=order.pk)
        payment = (
            Payment.objects.select_for_update()
            .filter(provider=provider, provider_reference=notice.provider_order_id)
            .first()
        )
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
                order_payment_decided(order=order, still_awaiting=_still_awaiting(order), rejected=False, now=now)
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
            _order_follow_payments(order=order, now=now, actor_label=provider)
            order_payment_decided(order=order, still_awaiting=_still_awaiting(order), rejected=False, now=now)
            _payment_message(payment=payment, order=order, kind="payment_received", now=now)
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
            order = Order.objects.select_for_update().get(pk=order_id)
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
