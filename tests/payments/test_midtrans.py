"""Midtrans Snap, with notification payloads shaped and signed as Midtrans sends them. No network."""

import hashlib
import json

import pytest
from django.urls import reverse

from orders.models import Order
from payments import gateways
from payments.models import Payment
from tests.factories import place_order

pytestmark = pytest.mark.django_db
SERVER_KEY = "SB-Mid-server-TESTKEY123"


@pytest.fixture(autouse=True)
def midtrans(settings):
    settings.MIDTRANS_SERVER_KEY = SERVER_KEY
    settings.MIDTRANS_IS_PRODUCTION = False


def notification(
    order,
    *,
    status="settlement",
    code="200",
    amount=None,
    transaction_id="9aed5972-5b6a-401e-894b-a32c91ed1a3a",
    fraud="accept",
    suffix="DP-7F3A",
    key=SERVER_KEY,
):
    order_id = f"{order.number}-{suffix}"
    gross = f"{amount if amount is not None else order.first_payment_idr}.00"
    return {
        "transaction_time": "2026-11-23 10:15:00",
        "transaction_status": status,
        "transaction_id": transaction_id,
        "status_message": "midtrans payment notification",
        "status_code": code,
        "signature_key": hashlib.sha512(f"{order_id}{code}{gross}{key}".encode()).hexdigest(),
        "payment_type": "bank_transfer",
        "order_id": order_id,
        "merchant_id": "G141532850",
        "gross_amount": gross,
        "fraud_status": fraud,
        "currency": "IDR",
    }


def post(client, payload):
    return client.post(
        reverse("payments:midtrans_notification"), data=json.dumps(payload), content_type="application/json"
    )


def test_a_settlement_pays_the_dp(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    response = post(client, notification(order))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.DP_PAID
    payment = Payment.objects.get()
    assert (payment.method, payment.kind, payment.amount_idr, payment.status) == (
        "gateway",
        "dp",
        order.first_payment_idr,
        "confirmed",
    )


def test_one_notification_replayed_ten_times_pays_once(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payload = notification(order)
    codes = [post(client, payload).status_code for _ in range(10)]
    assert codes == [200] * 10
    assert Payment.objects.count() == 1
    assert order.events.filter(to_status=Order.Status.DP_PAID).count() == 1


@pytest.mark.parametrize("tamper", ["signature", "amount", "status", "key"])
def test_a_wrong_signature_gets_a_4xx_and_changes_nothing(client, campaign, tamper):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payload = notification(order, key="wrong-key" if tamper == "key" else SERVER_KEY)
    if tamper == "signature":
        payload["signature_key"] = "0" * 128
    elif tamper == "amount":
        payload["gross_amount"] = "1.00"
    elif tamper == "status":
        payload["status_code"] = "201"
    response = post(client, payload)
    assert 400 <= response.status_code < 500
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_an_older_state_after_settlement_is_ignored(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    post(client, notification(order, status="settlement"))
    assert post(client, notification(order, status="pending", code="201")).status_code == 200
    assert post(client, notification(order, status="expire", code="202")).status_code == 200
    assert Payment.objects.get().status == Payment.Status.CONFIRMED
    order.refresh_from_db()
    assert order.status == Order.Status.DP_PAID


def test_pending_then_settlement_confirms_the_same_payment(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    post(client, notification(order, status="pending", code="201"))
    assert Payment.objects.get().status == Payment.Status.PENDING
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    post(client, notification(order, status="settlement"))
    assert Payment.objects.get().status == Payment.Status.CONFIRMED


@pytest.mark.parametrize(
    ("status", "fraud"), [("capture", "challenge"), ("capture", "deny"), ("deny", "accept"), ("expire", "accept")]
)
def test_only_settlement_or_an_accepted_capture_counts(client, campaign, status, fraud):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    assert post(client, notification(order, status=status, fraud=fraud)).status_code == 200
    assert not Payment.objects.filter(status=Payment.Status.CONFIRMED).exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_an_accepted_capture_counts(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    post(client, notification(order, status="capture", fraud="accept", suffix="FULL-0001", amount=order.total_idr))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_the_balance_by_gateway_pays_in_full(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    post(client, notification(order))
    post(
        client,
        notification(
            order,
            suffix="BAL-1A2B",
            amount=order.total_idr - order.first_payment_idr,
            transaction_id="second-transaction",
        ),
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_unknown_orders_and_bad_json_are_refused(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    order.number = "PO-0000-99999"
    assert post(client, notification(order)).status_code == 404
    response = client.post(
        reverse("payments:midtrans_notification"), data="bukan json", content_type="application/json"
    )
    assert response.status_code == 400


def test_starting_a_gateway_payment_redirects_to_snap(client, campaign, monkeypatch):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    sent = {}

    def fake_post(url, body, server_key):
        sent.update(url=url, body=body, key=server_key)
        return {"token": "abc", "redirect_url": "https://app.sandbox.midtrans.com/snap/v2/vtweb/abc"}

    monkeypatch.setattr(gateways, "_post_json", fake_post)
    response = client.post(reverse("payments:gateway_start", args=[order.token]))
    assert response.status_code == 302 and response["Location"].startswith("https://app.sandbox.midtrans.com/")
    details = sent["body"]["transaction_details"]
    assert details["order_id"].startswith(f"{order.number}-DP-")
    assert details["gross_amount"] == order.first_payment_idr
    assert sent["body"]["item_details"][0]["price"] == order.first_payment_idr
    assert sent["url"] == gateways.SANDBOX_URL and sent["key"] == SERVER_KEY


def test_without_keys_the_gateway_does_not_show(client, campaign, settings):
    settings.MIDTRANS_SERVER_KEY = ""
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    html = client.get(order.get_absolute_url()).content.decode()
    assert reverse("payments:gateway_start", args=[order.token]) not in html
    assert post(client, notification(order)).status_code == 404


def test_a_signed_settlement_replayed_with_other_transaction_ids_pays_once(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    for number in range(3):
        payload = notification(order)
        payload["transaction_id"] = f"forged-{number}"  # not covered by the signature
        assert post(client, payload).status_code == 200
    assert Payment.objects.count() == 1


def test_a_signed_pending_notice_relabelled_as_settlement_does_not_pay(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payload = notification(order, status="pending", code="201")
    payload["transaction_status"] = "settlement"  # not covered by the signature
    assert post(client, payload).status_code == 200
    assert not Payment.objects.filter(status=Payment.Status.CONFIRMED).exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
