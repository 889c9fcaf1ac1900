"""Messages to the seller: a transfer proof to check, and each evening a summary per open PO."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils import timezone

from campaigns.models import Campaign
from orders.models import Message, Order
from orders.outbox import message_queue

from .models import Payment

SELLER_GROUP = "Penjual"


def seller_emails() -> str:
    """SELLER_EMAIL, else the e-mails of the active staff in the seller group."""
    if settings.SELLER_EMAIL:
        return settings.SELLER_EMAIL
    users = get_user_model().objects.filter(is_active=True, is_staff=True, groups__name=SELLER_GROUP).exclude(email="")
    return ",".join(sorted(set(users.values_list("email", flat=True))))


def seller_proof_waiting_queue(*, payment: Payment, now: datetime.datetime) -> None:
    """Call in the transaction that recorded the proof: the seller hears of it once."""
    message_queue(
        kind="seller_proof_waiting",
        key=f"payment:{payment.pk}:seller_proof_waiting",
        order=payment.order,
        audience=Message.Audience.SELLER,
        to_email=seller_emails(),
        to_phone="",
        language=settings.LANGUAGE_CODE,
        params={"payment_id": payment.pk},
        now=now,
    )


def payments_waiting_count() -> int:
    """Proofs for the seller to check: those of orders that still take a payment (the payments list's view)."""
    return Payment.objects.filter(status=Payment.Status.PENDING, order__status__in=Order.PAYABLE_STATUSES).count()


def seller_daily_summary_send(*, now: datetime.datetime) -> int:
    """One summary per open PO per day (Jakarta), however often the job runs."""
    day = timezone.localdate(now)
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    open_campaigns = Campaign.objects.filter(stage=Campaign.Stage.PUBLISHED, opens_at__lte=now, closes_at__gt=now)
    written = 0
    recipients = seller_emails()
    for campaign in open_campaigns:
        key = f"campaign:{campaign.pk}:summary:{day.isoformat()}"
        if Message.objects.filter(key=key).exists():
            continue
        message_queue(
            kind="seller_daily_summary",
            key=key,
            audience=Message.Audience.SELLER,
            to_email=recipients,
            to_phone="",
            language=settings.LANGUAGE_CODE,
            params={"campaign_id": campaign.pk, "day": day.isoformat(), "since": start.isoformat()},
            now=now,
        )
        written += 1
    return written


def campaign_day_figures(*, campaign_id: int, since: datetime.datetime) -> dict:
    orders = Order.objects.filter(campaign_id=campaign_id).aggregate(
        orders_today=Count("pk", filter=Q(created_at__gte=since)),
        units_today=Sum("units", filter=Q(created_at__gte=since), default=0),
        orders_live=Count("pk", filter=Q(status__in=Order.LIVE_STATUSES)),
        units_live=Sum("units", filter=Q(status__in=Order.LIVE_STATUSES), default=0),
    )
    money = Payment.objects.filter(order__campaign_id=campaign_id, status=Payment.Status.CONFIRMED).aggregate(
        today=Sum("amount_idr", filter=Q(decided_at__gte=since), default=0), total=Sum("amount_idr", default=0)
    )
    waiting = Payment.objects.filter(order__campaign_id=campaign_id, status=Payment.Status.PENDING).count()
    return {**orders, "money_today_idr": money["today"], "money_total_idr": money["total"], "proofs_waiting": waiting}
