import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from payments.admin import PaymentAdmin
from payments.models import Payment, Refund
from payments.services import order_cancel, payment_submit
from tests.factories import place_order
from tests.payments.conftest import png_upload, submit_transfer

pytestmark = pytest.mark.django_db


def _submitted(campaign, count):
    payments = []
    for index in range(count):
        order = place_order(
            campaign,
            [(campaign.items.first(), 1)],
            plan="dp",
            email=f"b{index}@example.com",
            phone=f"08120000{index:04d}",
        )
        payments.append(
            payment_submit(
                order=order,
                amount_idr=order.first_transfer_idr,
                paid_on=timezone.localdate(),
                from_bank="BCA",
                from_account_name=f"Pembeli {index}",
                proof_file=png_upload(),
                now=timezone.now(),
            )
        )
    return payments


def test_pending_confirmations_are_listed_first_with_their_proof(seller_client, campaign):
    payments = _submitted(campaign, 3)
    Payment.objects.filter(pk=payments[2].pk).update(status=Payment.Status.CONFIRMED)
    response = seller_client.get(reverse("admin:payments_payment_changelist"))
    assert {payment.pk for payment in response.context["cl"].result_list} == {payments[0].pk, payments[1].pk}
    html = response.content.decode()
    assert reverse("payments:proof_staff", args=[payments[0].pk]) in html
    assert seller_client.get(reverse("admin:payments_payment_change", args=[payments[0].pk])).status_code == 200


def test_the_seller_confirms_in_bulk(seller_client, campaign):
    payments = _submitted(campaign, 3)
    seller_client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "confirm_payments", "_selected_action": [payment.pk for payment in payments]},
    )
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.DP_PAID}
    assert set(Payment.objects.values_list("decided_by__username", flat=True)) == {"penjual"}


def test_the_seller_rejects_with_a_reason_the_buyer_sees(seller_client, campaign, client):
    payment = _submitted(campaign, 1)[0]
    changelist = reverse("admin:payments_payment_changelist")
    seller_client.post(changelist, {"action": "reject_payments", "reason": "", "_selected_action": [payment.pk]})
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING  # no reason, nothing done

    seller_client.post(
        changelist, {"action": "reject_payments", "reason": "Bukti buram", "_selected_action": [payment.pk]}
    )
    payment.refresh_from_db()
    assert (payment.status, payment.rejection_reason) == (Payment.Status.REJECTED, "Bukti buram")
    assert "Bukti buram" in client.get(payment.order.get_absolute_url()).content.decode()


def test_the_seller_marks_a_refund_sent_with_its_reference(seller_client, campaign):
    payment = _submitted(campaign, 1)[0]
    seller_client.post(
        reverse("admin:payments_payment_changelist"), {"action": "confirm_payments", "_selected_action": [payment.pk]}
    )
    order_cancel(order=payment.order, now=timezone.now(), reason="Tidak jadi")
    refund = Refund.objects.get()
    changelist = reverse("admin:payments_refund_changelist")
    seller_client.post(
        changelist, {"action": "mark_sent", "method": "", "reference": "", "_selected_action": [refund.pk]}
    )
    refund.refresh_from_db()
    assert refund.status == Refund.Status.DUE
    seller_client.post(
        changelist,
        {"action": "mark_sent", "method": "Transfer BCA", "reference": "BCA-0098812", "_selected_action": [refund.pk]},
    )
    refund.refresh_from_db()
    assert (refund.status, refund.reference, refund.sent_by.username) == (Refund.Status.SENT, "BCA-0098812", "penjual")


def test_the_seller_records_a_refund_within_what_the_order_holds_and_its_reason(seller_client, campaign):
    payment = _submitted(campaign, 1)[0]
    seller_client.post(
        reverse("admin:payments_payment_changelist"), {"action": "confirm_payments", "_selected_action": [payment.pk]}
    )
    add = reverse("admin:payments_refund_add")
    too_much = seller_client.post(
        add, {"order": payment.order_id, "amount_idr": "999999999", "reason": "overpayment", "note": ""}
    )
    assert too_much.status_code == 200 and not Refund.objects.exists()
    not_overpaid = seller_client.post(
        add, {"order": payment.order_id, "amount_idr": "5000", "reason": "overpayment", "note": ""}
    )
    assert not_overpaid.status_code == 200 and not Refund.objects.exists()
    goodwill = seller_client.post(
        add,
        {
            "order": payment.order_id,
            "amount_idr": "5000",
            "reason": "seller_decision",
            "note": "Maaf, produksi terlambat",
        },
    )
    assert goodwill.status_code == 302
    refund = Refund.objects.get()
    assert (refund.created_by.username, refund.payment_id) == ("penjual", payment.pk)
    out = io.StringIO()
    call_command("ledger_check", stdout=out)  # a goodwill refund leaves the order's status right
    assert "Every order agrees" in out.getvalue()


def test_the_order_admin_shows_money_payments_and_refunds(seller_client, campaign):
    payment = _submitted(campaign, 1)[0]
    html = seller_client.get(reverse("admin:orders_order_change", args=[payment.order_id])).content.decode()
    assert 'id="payments-group"' in html and 'id="refunds-group"' in html
    assert reverse("payments:proof_staff", args=[payment.pk]) in html


def test_the_payment_list_puts_the_proof_the_amount_due_now_and_the_status_first(seller_client, campaign):
    assert PaymentAdmin.list_display == ["preview", "amount_against_due", "state", "order_column"]
    order = place_order(campaign, [(campaign.items.first(), 1)])
    submit_transfer(order, order.first_transfer_idr)
    html = seller_client.get(reverse("admin:payments_payment_changelist")).content.decode()
    assert "max-width:120px" in html  # a proof one can read, not a stamp (a click opens it whole)
