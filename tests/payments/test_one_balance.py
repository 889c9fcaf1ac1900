"""One balance (pelunasan) from the checkout to the last reminder. The kode unik is a surcharge on the first
transfer that tells it apart, not a payment towards the total: the balance promised before ordering (when no
code is drawn yet) is the one asked for after the DP, and the ledger still counts every rupiah transferred."""

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignItem
from orders.checkout.quoting import order_balance_idr
from orders.models import BankAccount, Order
from orders.outbox import messages_deliver_due
from payments.ledger import amount_due_now, ledger_disagreement, order_ledger, orders_with_amount_due_now
from payments.models import Payment
from payments.refunds import refund_record
from payments.reminders import balance_reminders_send
from payments.services import order_cancel, payment_confirm
from tests.factories import campaign_with_products, checkout_form, messages_sent_so_far, place_order

from .conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db
Status = Order.Status


def rupiah(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


def shown(html: str, attribute: str) -> str:
    found = re.search(rf"{attribute}[^>]*>([^<]+)<", html)
    assert found, f"no {attribute} on the page"
    return found.group(1).strip()


@pytest.fixture
def campaign():
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Batik Sekar")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=537_500, quota=20)
    return campaign


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


def test_the_checkout_the_thank_you_page_the_order_page_and_every_reminder_say_one_balance(client, campaign, settings):
    settings.BALANCE_REMINDER_DAYS = 3
    item = campaign.items.order_by("position").first()
    url = reverse("orders:checkout", args=[campaign.slug])
    checkout = client.get(url, {f"qty-{item.pk}": 2})
    balance = checkout.context["quote"].balance_idr
    assert balance == 537_500
    assert shown(checkout.content.decode(), "data-pay-balance") == rupiah(balance)

    response = client.post(url, checkout_form([(item, 2)]))
    order = Order.objects.get()
    assert order.unique_code > 0
    thank_you = client.get(response.url).content.decode()
    assert shown(thank_you, "data-balance-later").count(rupiah(balance)) == 1
    assert shown(client.get(order.get_absolute_url()).content.decode(), "data-pay-later") == rupiah(balance)

    messages_sent_so_far()
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    after_dp = client.get(order.get_absolute_url()).content.decode()
    assert shown(after_dp, "data-due") == rupiah(balance)
    assert shown(after_dp, "data-balance-amount") == rupiah(balance)
    ledger = order_ledger(order_fresh(order))
    assert ledger.paid_idr == order.first_transfer_idr  # what was transferred, the kode unik with it
    assert ledger.due_idr == balance

    due = order.balance_due_date
    for day in (due - datetime.timedelta(days=3), due - datetime.timedelta(days=1), due + datetime.timedelta(days=1)):
        assert balance_reminders_send(now=_at(day)) == 1
    messages_deliver_due(now=timezone.now())
    bodies = [message.body for message in mail.outbox if order.number in message.subject]
    assert len(bodies) == 4  # the DP received, then the three reminders
    amounts = {amount for body in bodies for amount in re.findall(r"Rp[\d.]+", body)}
    assert rupiah(balance) in amounts
    assert rupiah(balance - order.unique_code) not in amounts
    assert all(rupiah(balance) in body for body in bodies)


@pytest.mark.parametrize("with_code", [True, False], ids=["kode-unik-transferred", "kode-unik-left-out"])
def test_the_balance_after_the_dp_does_not_depend_on_the_kode_unik(campaign, with_code):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")  # total 537.500, DP 268.750
    first = order.first_transfer_idr if with_code else order.first_payment_idr
    payment_confirm(payment_id=submit_transfer(order, first).pk, now=timezone.now())
    order = order_fresh(order)
    ledger = order_ledger(order)
    assert order.status == Status.DP_PAID
    assert ledger.paid_idr == first
    assert ledger.unique_code_paid_idr == (order.unique_code if with_code else 0)
    assert ledger.due_idr == order_balance_idr(order) == 268_750
    assert amount_due_now(order, ledger) == 268_750

    payment_confirm(payment_id=submit_transfer(order, ledger.due_idr).pk, now=timezone.now())
    order = order_fresh(order)
    ledger = order_ledger(order)
    assert order.status == Status.PAID
    assert (ledger.due_idr, ledger.overpaid_idr) == (0, 0)
    assert ledger.paid_idr == order.total_idr + (order.unique_code if with_code else 0)
    assert ledger_disagreement(order, ledger) == ""


def test_a_balance_short_by_the_kode_unik_still_owes_it(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    short = order_balance_idr(order) - order.unique_code
    payment_confirm(payment_id=submit_transfer(order_fresh(order), short).pk, now=timezone.now())
    order = order_fresh(order)
    ledger = order_ledger(order)
    assert order.status == Status.DP_PAID
    assert ledger.due_idr == order.unique_code
    assert ledger_disagreement(order, ledger) == ""


def test_a_full_payment_with_its_kode_unik_is_paid_in_full_and_not_overpaid(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    order = order_fresh(order)
    ledger = order_ledger(order)
    assert order.status == Status.PAID
    assert (ledger.paid_idr, ledger.due_idr, ledger.overpaid_idr) == (order.total_idr + order.unique_code, 0, 0)


def test_more_than_the_first_transfer_is_overpaid_by_all_above_the_total_and_the_kode_unik(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr + 5_000).pk, now=timezone.now())
    ledger = order_ledger(order_fresh(order))
    assert (ledger.unique_code_paid_idr, ledger.overpaid_idr) == (order.unique_code, 5_000)


def test_the_database_reads_what_each_order_owes_now_as_the_ledger_does(campaign):
    """orders_with_amount_due_now (SQL, for a bank statement's many orders) against amount_due_now (Python)."""
    item = campaign.items.first()
    orders = {}

    def order(name, plan="dp"):
        orders[name] = place_order(campaign, [(item, 1)], plan=plan, phone=f"0812000{len(orders):05d}", email="")
        return orders[name]

    def pay(placed, amount):
        payment_confirm(payment_id=submit_transfer(order_fresh(placed), amount).pk, now=timezone.now())

    order("unpaid")
    pay(order("part of the dp"), 100_000)
    pay(order("dp with the code"), orders["dp with the code"].first_transfer_idr)
    pay(order("dp without the code"), orders["dp without the code"].first_payment_idr)
    dp_and_part = order("dp and part of the balance")
    pay(dp_and_part, dp_and_part.first_transfer_idr)
    pay(dp_and_part, 50_000)
    pay(order("paid in full", plan="full"), orders["paid in full"].first_transfer_idr)
    waiting = order("a proof waiting")
    submit_transfer(waiting, waiting.first_transfer_idr)
    cancelled = order("cancelled and refunded")
    pay(cancelled, cancelled.first_transfer_idr)
    order_cancel(order=order_fresh(cancelled), now=timezone.now())
    goodwill = order("dp and a goodwill refund")
    pay(goodwill, goodwill.first_transfer_idr)
    refund_record(
        order=goodwill, amount_idr=10_000, reason="seller_decision", note="Maaf telat", actor=None, now=timezone.now()
    )

    with CaptureQueriesContext(connection) as queries:
        from_database = dict(
            orders_with_amount_due_now(Order.objects.filter(pk__in=[o.pk for o in orders.values()])).values_list(
                "pk", "due_now_idr"
            )
        )
    assert len(queries) == 1
    from_ledger = {}
    for placed in orders.values():
        fresh = order_fresh(placed)
        from_ledger[fresh.pk] = amount_due_now(fresh, order_ledger(fresh))
    assert from_database == from_ledger
    by_name = {name: from_ledger[placed.pk] for name, placed in orders.items()}
    assert by_name["dp with the code"] == by_name["dp without the code"] == 268_750
    assert by_name["dp and part of the balance"] == 218_750
    assert by_name["paid in full"] == by_name["cancelled and refunded"] == 0
    assert by_name["unpaid"] == orders["unpaid"].first_transfer_idr
    assert Payment.objects.filter(status=Payment.Status.PENDING).count() == 1


def test_an_order_placed_while_the_code_counted_as_paid_keeps_the_balance_its_buyer_was_told(campaign):
    item = campaign.items.order_by("position").first()
    order = place_order(campaign, [(item, 2)], plan="dp")
    Order.objects.filter(pk=order.pk).update(code_counts_as_paid=True)  # as the migration marks earlier orders
    order = order_fresh(order)
    told = order.total_idr - order.first_transfer_idr  # the balance these buyers were told
    assert order.balance_idr == order_balance_idr(order) == told

    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    order = order_fresh(order)
    assert order.status == Status.DP_PAID
    assert order_ledger(order).due_idr == amount_due_now(order, order_ledger(order)) == told
    assert orders_with_amount_due_now(Order.objects.filter(pk=order.pk)).get().due_now_idr == told

    payment_confirm(payment_id=submit_transfer(order, told).pk, now=timezone.now())
    order = order_fresh(order)
    assert order.status == Status.PAID and not ledger_disagreement(order, order_ledger(order))
