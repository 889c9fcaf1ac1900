"""Payment gateways. One interface, one real implementation: Midtrans Snap.

Off unless MIDTRANS_SERVER_KEY is set. Nothing here talks to the network in
tests: the HTTP call is one small function that tests replace.
"""

import base64
import hashlib
import hmac
import json
import secrets
import urllib.request
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.conf import settings

SANDBOX_URL = "https://app.sandbox.midtrans.com/snap/v1/transactions"
PRODUCTION_URL = "https://app.midtrans.com/snap/v1/transactions"
KIND_CODES = {"dp": "DP", "balance": "BAL", "full": "FULL"}


@dataclass(frozen=True)
class GatewayCheckout:
    provider_order_id: str
    redirect_url: str


@dataclass(frozen=True)
class GatewayNotice:
    """A verified notification, reduced to what the shop acts on."""

    provider_order_id: str  # signed, and new for every attempt: the key a payment is recorded under
    order_number: str
    kind_code: str
    transaction_id: str  # not signed: kept for the seller, never trusted
    amount_idr: int
    is_paid: bool
    is_final_failure: bool
    state: str


class PaymentGateway(Protocol):
    name: str

    def checkout_start(self, *, order, kind: str, amount_idr: int, finish_url: str) -> GatewayCheckout: ...

    def notice_from(self, payload: dict) -> GatewayNotice | None: ...


def _post_json(url: str, body: dict, server_key: str) -> dict:
    auth = base64.b64encode(f"{server_key}:".encode()).decode()
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Basic {auth}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 (a fixed https URL)
        return json.loads(response.read())


class MidtransSnap:
    name = "midtrans"
    PAID_STATES = {"settlement"}
    FAILED_STATES = {"deny", "cancel", "expire", "failure"}

    def __init__(self, *, server_key: str, is_production: bool):
        self.server_key = server_key
        self.url = PRODUCTION_URL if is_production else SANDBOX_URL

    def checkout_start(self, *, order, kind: str, amount_idr: int, finish_url: str) -> GatewayCheckout:
        # PO-2611-00042-DP-7F3A: readable, and new on every attempt as Midtrans wants.
        provider_order_id = f"{order.number}-{KIND_CODES[kind]}-{secrets.token_hex(2).upper()}"
        body = {
            "transaction_details": {"order_id": provider_order_id, "gross_amount": amount_idr},
            "customer_details": {"first_name": order.buyer_name, "email": order.email, "phone": order.phone},
            "item_details": [
                {
                    "id": f"{order.number}-{KIND_CODES[kind]}",
                    "price": amount_idr,
                    "quantity": 1,
                    "name": f"{order.number} {KIND_CODES[kind]}"[:50],
                }
            ],
            "callbacks": {"finish": finish_url},
        }
        answer = _post_json(self.url, body, self.server_key)
        return GatewayCheckout(provider_order_id=provider_order_id, redirect_url=answer["redirect_url"])

    def signature_valid(self, payload: dict) -> bool:
        fields = [payload.get(name) for name in ("order_id", "status_code", "gross_amount", "signature_key")]
        if not all(isinstance(value, str) and value for value in fields):
            return False
        order_id, status_code, gross_amount, signature = fields
        if not signature.isascii() or len(signature) > 256:
            return False  # compare_digest takes ASCII only; a SHA-512 in hex is 128 characters
        expected = hashlib.sha512(f"{order_id}{status_code}{gross_amount}{self.server_key}".encode()).hexdigest()
        return hmac.compare_digest(expected, signature.lower())

    def notice_from(self, payload: dict) -> GatewayNotice | None:
        """A notice from a payload whose signature holds, else None."""
        if not self.signature_valid(payload):
            return None
        parts = payload["order_id"].split("-")
        try:
            amount = Decimal(payload["gross_amount"])
        except InvalidOperation:
            return None
        if (
            len(parts) < 4
            or not amount.is_finite()
            or amount <= 0
            or amount > MAX_AMOUNT_IDR
            or amount != amount.to_integral_value()
            or not isinstance(payload.get("transaction_id"), str)
            or not payload["transaction_id"]
        ):
            return None
        state = payload.get("transaction_status", "")
        # transaction_status and fraud_status are not signed, status_code is:
        # a paid state must come with the 200 that Midtrans signs for it.
        signed_success = payload["status_code"] == "200"
        paid = signed_success and (
            state in self.PAID_STATES or (state == "capture" and payload.get("fraud_status") == "accept")
        )
        return GatewayNotice(
            provider_order_id=payload["order_id"],
            order_number="-".join(parts[:3]),
            kind_code=parts[3],
            transaction_id=payload["transaction_id"],
            amount_idr=int(amount),
            is_paid=paid,
            is_final_failure=state in self.FAILED_STATES,
            state=state,
        )


# No PO order costs more; a signed notice beyond it is refused, not stored.
MAX_AMOUNT_IDR = 10**12


def gateway_get() -> MidtransSnap | None:
    if not settings.MIDTRANS_SERVER_KEY:
        return None
    return MidtransSnap(server_key=settings.MIDTRANS_SERVER_KEY, is_production=settings.MIDTRANS_IS_PRODUCTION)
