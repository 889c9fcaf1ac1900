"""Money says the same thing every time: one balance from checkout to the last e-mail, the
plan named with what to pay now and later, a proof that is clearly received, and amounts
typed the way the page prints them."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignItem
from orders.models import BankAccount, Order
from orders.outbox import messages_deliver_due
from payments.forms import PaymentSubmitForm
from payments.ledger import order_ledger
from payments.models import Payment
from payments.services import payment_confirm
from tests.factories import campaign_with_products, checkout_form, place_order

from .conftest import order_fresh, png_upload, submit_transfer

pytestmark = pytest.mark.django_db


def rupiah(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


@pytest.fixture
def campaign():
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Batik Sekar")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=537_500)
    return campaign


def test_the_balance_reads_the_same_from_the_thank_you_page_to_the_page_after_the_dp(
    client, campaign, eager_tasks, django_capture_on_commit_callbacks
):
    small = campaign.items.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("orders:checkout", args=[campaign.slug]), checkout_form([(small, 2)]))
    order = Order.objects.get()
    balance = rupiah(order.balance_idr)
    assert order.balance_idr == 1_075_000 - order.first_payment_idr
    assert balance in client.get(response.url).content.decode()  # the thank-you page
    assert balance in mail.outbox[-1].body  # the "how to pay" e-mail
    assert balance in client.get(order.get_absolute_url()).content.decode()

    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    after = client.get(order.get_absolute_url()).content.decode()
    assert re.search(r"data-due>" + re.escape(balance) + "<", after)
    assert order_ledger(order_fresh(order)).due_idr == order.balance_idr


def test_before_paying_the_order_page_names_the_plan_and_what_to_pay_now_and_later(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 2)], plan="dp")
    html = client.get(order.get_absolute_url()).content.decode()
    assert re.search(r"data-plan>[^<]+<", html)
    assert re.search(r"data-pay-now>" + re.escape(rupiah(order.first_transfer_idr)) + "<", html)
    assert re.search(r"data-pay-later>" + re.escape(rupiah(order.balance_idr)) + "<", html)
    assert "data-due>" not in html  # no "still to pay" with the whole total beside the transfer amount


def test_after_sending_a_proof_the_page_says_it_waits_for_the_seller_and_offers_only_a_correction(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    submit_transfer(order, order.first_transfer_idr - 1000)
    html = client.get(order.get_absolute_url()).content.decode()
    assert "data-proof-waiting" in html
    assert "data-transfer-amount" not in html  # no "transfer exactly" and deadline warning again
    assert "<details>" in html and 'name="replace"' in html

    response = client.post(
        reverse("fulfilment:payment_submit", args=[order.token]),
        {
            "amount_idr": rupiah(order.first_transfer_idr),
            "paid_on": timezone.localdate().isoformat(),
            "from_bank": "BCA",
            "from_account_name": "Siti",
            "proof": png_upload(),
            "replace": "1",
        },
    )
    assert response.status_code == 302
    payments = list(Payment.objects.filter(order=order).order_by("pk"))
    assert [payment.status for payment in payments] == [Payment.Status.REJECTED, Payment.Status.PENDING]
    assert payments[1].amount_idr == order.first_transfer_idr


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("225803", 225_803),
        ("225.803", 225_803),
        ("Rp225.803", 225_803),
        ("Rp 225.803", 225_803),
        ("rp1.225.803", 1_225_803),
        ("225.803,00", 225_803),
    ],
)
def test_the_amount_is_taken_as_the_page_prints_it(typed, amount):
    form = PaymentSubmitForm(
        {
            "amount_idr": typed,
            "paid_on": timezone.localdate().isoformat(),
            "from_bank": "BCA",
            "from_account_name": "S",
        },
        {"proof": png_upload()},
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount_idr"] == amount


@pytest.mark.parametrize("typed", ["225,80", "22.5803", "Rp", "dua ratus", "225.803.1"])
def test_an_amount_that_is_not_whole_rupiah_is_explained(typed):
    form = PaymentSubmitForm(
        {
            "amount_idr": typed,
            "paid_on": timezone.localdate().isoformat(),
            "from_bank": "BCA",
            "from_account_name": "S",
        },
        {"proof": png_upload()},
    )
    assert not form.is_valid() and "amount_idr" in form.errors


def test_a_form_error_comes_into_view_and_says_to_choose_the_file_again(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    response = client.post(
        reverse("fulfilment:payment_submit", args=[order.token]),
        {
            "amount_idr": "225,80",
            "paid_on": timezone.localdate().isoformat(),
            "from_bank": "BCA",
            "from_account_name": "Siti",
            "proof": png_upload(),
        },
    )
    html = response.content.decode()
    assert 'tabindex="-1" data-error-summary' in html  # shop.js moves focus there
    assert 'href="#id_amount_idr"' in html
    assert "data-error-summary" in html and html.count('<a href="#id_') >= 1
    assert not Payment.objects.exists()


def test_every_message_about_an_order_uses_the_same_balance(campaign, django_capture_on_commit_callbacks):
    order = place_order(campaign, [(campaign.items.first(), 2)], plan="dp")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    mail.outbox.clear()
    messages_deliver_due(now=timezone.now())
    bodies = {message.subject: message.body for message in mail.outbox if order.number in message.subject}
    balance = rupiah(order.balance_idr)
    assert len(bodies) == 2, bodies  # how to pay, and the DP received: an e-mail that never came says nothing
    assert [subject for subject, body in bodies.items() if balance not in body] == [], bodies
