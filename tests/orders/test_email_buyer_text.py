"""Anyone may type anyone's e-mail address at checkout: until a payment for the order is confirmed, the
shop's e-mails carry none of the words typed with it (name, address, notes) and send the reader to the
order's page instead; once one is, they read as before."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignItem
from orders.forms import NOTE_PREFIX
from orders.models import Message, Order
from orders.outbox import message_render, messages_deliver_due
from orders.services import order_expire_overdue
from payments.models import Payment
from payments.services import order_cancel, payment_confirm
from tests.factories import campaign_with_products, checkout_form, place_order
from tests.payments.conftest import submit_transfer

pytestmark = pytest.mark.django_db

NAME = "Bu Sari, klik hadiah-gratis.example"
NOTE = "Sablon: TRANSFER KE 999 SEKARANG"
LINE_NOTE = "Bordir: hubungi 0899-0000-000"
CITY = "Kota Penipu Jauh"


@pytest.fixture
def campaign(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=150_000, quota=10)
    return campaign


@pytest.fixture
def order(client, campaign):
    """An order placed through the checkout, in English, by someone who typed a stranger's address."""
    item = campaign.items.get()
    form = checkout_form(
        [(item, 1)],
        buyer_name=NAME,
        note=NOTE,
        city=CITY,
        email="orang.lain@example.com",
        **{f"{NOTE_PREFIX}{item.pk}": LINE_NOTE},
    )
    client.cookies["django_language"] = "en"
    assert client.post(reverse("orders:checkout", args=[campaign.slug]), form).status_code == 302
    order = Order.objects.get()
    assert (order.buyer_name, order.note, order.lines.get().note) == (NAME, NOTE, LINE_NOTE)  # kept for the page
    return order


def _sent() -> list:
    mail.outbox.clear()
    messages_deliver_due(now=timezone.now())
    return list(mail.outbox)


def _typed(text: str) -> list[str]:
    return [words for words in (NAME, NOTE, LINE_NOTE, CITY) if words in text]


def _render(kind: str, order: Order, **params) -> str:
    subject, body = message_render(Message(kind=kind, order=order, language="en", params=params))
    return f"{subject}\n{body}"


def test_the_how_to_pay_email_to_an_unconfirmed_address_quotes_nothing_the_buyer_typed(order):
    (sent,) = _sent()
    assert sent.to == ["orang.lain@example.com"]
    assert _typed(sent.subject + sent.body) == []
    assert sent.body.startswith("Hello,\n")
    assert "Your name, delivery address and notes are on your order page" in sent.body
    assert order.get_absolute_url() in sent.body  # where the buyer reads them, behind the private link
    assert "Transfer exactly" in sent.body  # the rest as before


def test_once_a_payment_is_confirmed_the_emails_read_as_before(order):
    _sent()
    payment = submit_transfer(order, order.first_transfer_idr)
    payment_confirm(payment_id=payment.pk, now=timezone.now())
    (received,) = [sent for sent in _sent() if sent.to == [order.email]]
    assert received.body.startswith(f"Hello {NAME},\n")
    order.refresh_from_db()
    assert order.status == Order.Status.DP_PAID
    placed = _render("order_placed", order)
    assert _typed(placed) == [NAME, LINE_NOTE]  # the how-to-pay text quotes the name and the line's note
    assert "e-mails leave them out" not in placed


def test_a_payment_the_seller_rejects_confirms_nothing(order):
    payment = submit_transfer(order, 1_000)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REJECTED, rejection_reason="Nominal salah")
    assert _typed(_render("payment_rejected", order, payment_id=payment.pk)) == []
    assert _typed(_render("order_link", order)) == []


def test_an_order_cancelled_after_its_payment_stays_confirmed(order):
    payment = submit_transfer(order, order.first_transfer_idr)
    payment_confirm(payment_id=payment.pk, now=timezone.now())
    order_cancel(order=Order.objects.get(pk=order.pk), now=timezone.now())
    cancelled = Order.objects.get(pk=order.pk)
    assert cancelled.status == Order.Status.CANCELLED
    assert _typed(_render("order_cancelled", cancelled)) == [NAME]


def test_an_order_cancelled_or_expired_unpaid_never_was_confirmed(campaign):
    item = campaign.items.get()
    cancelled = place_order(campaign, [(item, 1)], name=NAME, note=NOTE, phone="081299000001")
    order_cancel(order=cancelled, now=timezone.now())
    assert _typed(_render("order_cancelled", Order.objects.get(pk=cancelled.pk))) == []
    unpaid = place_order(campaign, [(item, 1)], name=NAME, note=NOTE, phone="081299000002")
    assert order_expire_overdue(now=unpaid.payment_deadline + datetime.timedelta(minutes=1)) == 1
    expired = Order.objects.get(pk=unpaid.pk)
    assert expired.status == Order.Status.EXPIRED
    assert _typed(_render("order_expired", expired)) == []
