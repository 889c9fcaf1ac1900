"""Hostile input gets a clear 4xx and changes nothing: huge bodies and fields, NUL bytes,
ids no database takes, and malformed gateway notices."""

import hashlib
import json

import pytest
from django.urls import reverse

from campaigns.models import CampaignItem
from orders.models import Order
from payments.models import Payment
from tests.factories import campaign_with_products, checkout_form, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    return campaign


def _checkout(client, campaign, **overrides):
    item = campaign.items.order_by("position").first()
    return client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(item, 1)], **overrides))


def test_a_body_of_megabytes_is_refused_before_it_is_read(client, campaign):
    response = _checkout(client, campaign, street="x" * (8 * 1024 * 1024))
    assert response.status_code == 413
    assert not Order.objects.exists()


def test_an_overlong_street_or_note_is_a_form_error(client, campaign):
    response = _checkout(client, campaign, street="Jl. " + "x" * 5000)
    assert response.status_code == 200 and response.context["form"].errors["street"]
    response = _checkout(client, campaign, note="x" * 5000)
    assert response.status_code == 200 and response.context["form"].errors["note"]
    assert not Order.objects.exists()


def test_a_nul_byte_in_a_line_note_or_a_field_is_refused(client, campaign):
    item = campaign.items.order_by("position").first()
    response = _checkout(client, campaign, **{f"note-{item.pk}": "Bordir\x00nama"})
    assert response.status_code == 400
    response = _checkout(client, campaign, street="Jl. Mawar\x00 3")
    assert response.status_code == 200 and response.context["form"].errors["street"]
    assert not Order.objects.exists()


def test_a_nul_byte_or_junk_in_an_order_link_is_a_404(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    assert client.get(f"/pesanan/{order.token[:10]}%00{order.token[10:]}/").status_code == 404
    assert client.get(f"/pesanan/{order.token}/bukti/{'9' * 30}/").status_code == 404


def test_a_quantity_for_an_id_no_database_holds_changes_nothing(client, campaign):
    huge = 10**30
    response = client.post(
        reverse("orders:checkout", args=[campaign.slug]), {**checkout_form([]), f"qty-{huge}": "1", "qty-5": "１"}
    )
    assert response.status_code == 302  # back to the campaign: "choose at least one variant"
    assert not Order.objects.exists()


@pytest.fixture
def midtrans(settings):
    settings.MIDTRANS_SERVER_KEY = "SB-Mid-server-test"
    return settings.MIDTRANS_SERVER_KEY


def _signed(order, *, gross_amount, key, status_code="200"):
    order_id = f"{order.number}-FULL-1"
    signature = hashlib.sha512(f"{order_id}{status_code}{gross_amount}{key}".encode()).hexdigest()
    return {
        "order_id": order_id,
        "status_code": status_code,
        "gross_amount": gross_amount,
        "signature_key": signature,
        "transaction_status": "settlement",
        "transaction_id": "trx-1",
    }


def _notify(client, body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(reverse("payments:midtrans_notification"), data=data, content_type="application/json")


@pytest.mark.parametrize("amount", ["0", "-5000", "Infinity", "NaN", "1e400", "100000.50"])
def test_signed_notices_with_impossible_amounts_are_refused(client, campaign, midtrans, amount):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    response = _notify(client, _signed(order, gross_amount=amount, key=midtrans))
    assert 400 <= response.status_code < 500
    assert not Payment.objects.exists()


def test_deeply_nested_json_and_a_non_ascii_signature_are_refused(client, campaign, midtrans):
    assert _notify(client, "[" * 100_000 + "]" * 100_000).status_code == 400
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    notice = _signed(order, gross_amount=str(order.first_transfer_idr), key=midtrans)
    notice["signature_key"] = "é" * 128
    assert _notify(client, notice).status_code == 403
    notice = _signed(order, gross_amount=str(order.first_transfer_idr), key=midtrans)
    notice["transaction_status"] = {"nested": ["settlement"]}
    assert _notify(client, notice).status_code == 400
    assert not Payment.objects.exists()
