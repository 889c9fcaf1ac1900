"""Money never stays on an ended order, units are never held for ever, and
the goal is decided on what buyers really paid."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from campaigns.exceptions import CampaignStageMoveNotAllowed
from campaigns.models import Campaign
from campaigns.services import campaign_mark_cancelled
from fulfilment.exceptions import StepRefused
from fulfilment.services import campaign_cancel, campaign_close_due
from orders.models import Order
from orders.services import order_expire_overdue
from payments.exceptions import PaymentNotAccepted
from payments.gateways import GatewayNotice
from payments.ledger import ledger_disagreement, order_ledger
from payments.models import Payment, Refund
from payments.proofs import proof_clean
from payments.services import gateway_notice_apply, order_cancel, payment_confirm
from tests.factories import CampaignFactory, place_order
from tests.payments.conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db
Status = Order.Status


def _notice(order, state, *, code_suffix="DP-AAAA", paid=None, amount=None):
    return GatewayNotice(
        provider_order_id=f"{order.number}-{code_suffix}",
        order_number=order.number,
        kind_code=code_suffix.split("-")[0],
        transaction_id="t-1",
        amount_idr=amount or order.first_payment_idr,
        is_paid=state == "settlement" if paid is None else paid,
        is_final_failure=state in {"expire", "deny", "cancel", "failure"},
        state=state,
    )


def test_a_payment_confirmed_after_the_buyer_cancelled_becomes_a_refund(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payment = submit_transfer(order, order.first_transfer_idr)
    order_cancel(order=order, now=timezone.now())
    payment_confirm(payment_id=payment.pk, now=timezone.now())

    order = order_fresh(order)
    assert order.status == Status.CANCELLED
    refund = order.refunds.get()
    assert (refund.reason, refund.amount_idr, refund.payment_id) == (
        Refund.Reason.ORDER_ENDED,
        payment.amount_idr,
        payment.pk,
    )
    assert ledger_disagreement(order, order_ledger(order)) == ""


def test_a_partly_paid_order_does_not_expire(campaign):
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", now=now - datetime.timedelta(hours=20))
    payment_confirm(payment_id=submit_transfer(order, 10_000, now=now).pk, now=now)
    assert order_expire_overdue(now=now + datetime.timedelta(days=2)) == 0
    order = order_fresh(order)
    assert order.status == Status.PENDING_PAYMENT and order_ledger(order).paid_idr == 10_000


def test_payments_are_not_taken_after_the_deadline(campaign):
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", now=now - datetime.timedelta(hours=25))
    with pytest.raises(PaymentNotAccepted):
        submit_transfer(order, order.first_transfer_idr, now=now)
    assert order_expire_overdue(now=now) == 1


def test_a_second_transfer_waits_until_the_first_is_decided(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    submit_transfer(order, order.first_transfer_idr)
    with pytest.raises(PaymentNotAccepted):
        submit_transfer(order, order.first_transfer_idr)
    assert Payment.objects.count() == 1
    with pytest.raises(IntegrityError):
        Payment.objects.create(order=order, kind="dp", amount_idr=1, submitted_at=timezone.now())


def test_a_refused_submission_leaves_no_file_behind(campaign, settings):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    submit_transfer(order, order.first_transfer_idr)
    with pytest.raises(PaymentNotAccepted):
        submit_transfer(order, order.first_transfer_idr)
    files = list((settings.PRIVATE_MEDIA_ROOT / "proofs").rglob("*.*"))
    assert len(files) == 1


def test_a_pending_gateway_payment_keeps_the_order_until_it_settles_or_fails(campaign):
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", now=now - datetime.timedelta(hours=20))
    gateway_notice_apply(notice=_notice(order, "pending"), provider="midtrans", now=now)
    assert order_expire_overdue(now=now + datetime.timedelta(hours=6)) == 0

    gateway_notice_apply(notice=_notice(order, "expire"), provider="midtrans", now=now + datetime.timedelta(hours=7))
    assert order_expire_overdue(now=now + datetime.timedelta(hours=8)) == 1


def test_a_gateway_settlement_on_an_expired_order_is_refunded(campaign):
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", now=now - datetime.timedelta(hours=25))
    order_expire_overdue(now=now)
    gateway_notice_apply(notice=_notice(order, "settlement"), provider="midtrans", now=now)
    order = order_fresh(order)
    assert order.status == Status.EXPIRED
    assert order.refunds.get().amount_idr == order.first_payment_idr
    assert ledger_disagreement(order, order_ledger(order)) == ""


def test_the_goal_is_decided_only_after_every_sent_payment_is_checked(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(minimum_goal_units=1, goal_missed_policy="refund")
    order = place_order(campaign, [(campaign.items.first(), 2)], plan="dp")
    payment = submit_transfer(order, order.first_transfer_idr)
    after_close = campaign.closes_at + datetime.timedelta(minutes=1)

    assert campaign_close_due(now=after_close) == 0  # waits for the seller
    payment_confirm(payment_id=payment.pk, now=after_close)
    assert campaign_close_due(now=after_close) == 1
    campaign.refresh_from_db()
    assert campaign.stage == Campaign.Stage.TALLYING  # goal met with the confirmed units
    assert order_fresh(order).status == Status.DP_PAID


def test_the_seller_cancelling_a_po_refunds_everyone(campaign, admin_user):
    paid = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", email="a@example.com", phone="081111111111")
    payment_confirm(payment_id=submit_transfer(paid, paid.first_transfer_idr).pk, now=timezone.now())
    unpaid = place_order(
        campaign, [(campaign.items.first(), 2)], plan="dp", email="b@example.com", phone="082222222222"
    )
    with pytest.raises(StepRefused):
        campaign_cancel(campaign=campaign, reason=" ", actor=admin_user, now=timezone.now())

    campaign_cancel(campaign=campaign, reason="Penjahit sakit, PO dibatalkan.", actor=admin_user, now=timezone.now())

    campaign.refresh_from_db()
    assert campaign.stage == Campaign.Stage.CANCELLED and campaign.units_reserved == 0
    assert order_fresh(paid).status == order_fresh(unpaid).status == Status.CANCELLED
    assert order_fresh(paid).refunds.get().amount_idr == paid.first_transfer_idr
    assert order_fresh(paid).events.last().actor == admin_user


def test_the_seller_cancels_a_po_from_admin_with_a_reason(campaign, admin_client):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    changelist = reverse("admin:campaigns_campaign_changelist")
    admin_client.post(changelist, {"action": "cancel", "reason": "", "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.stage == Campaign.Stage.PUBLISHED
    admin_client.post(
        changelist, {"action": "cancel", "reason": "Kain tidak tersedia", "_selected_action": [campaign.pk]}
    )
    campaign.refresh_from_db()
    assert campaign.stage == Campaign.Stage.CANCELLED
    assert order_fresh(order).refunds.get().note == "Kain tidak tersedia"


def test_a_campaign_with_orders_is_not_marked_cancelled_without_refunds():
    campaign = CampaignFactory(units_reserved=2)
    with (
        translation.override("en"),
        pytest.raises(CampaignStageMoveNotAllowed, match="cancel it with refunds"),
        transaction.atomic(),
    ):
        campaign_mark_cancelled(campaign=campaign, now=timezone.now())
    assert Campaign.objects.get(pk=campaign.pk).stage == Campaign.Stage.PUBLISHED


def test_an_android_mpo_photo_is_accepted():
    buffer = io.BytesIO()
    # Two frames, as phones write them: Pillow then reads it back as MPO, not plain JPEG.
    Image.new("RGB", (64, 48), "#aa3300").save(
        buffer, format="MPO", save_all=True, append_images=[Image.new("RGB", (64, 48))]
    )
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    clean = proof_clean(SimpleUploadedFile("IMG_20261123.jpg", buffer.getvalue(), content_type="image/jpeg"))
    assert clean.content_type == "image/jpeg"
