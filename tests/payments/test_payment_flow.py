import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from fulfilment.services import campaign_close_due
from orders.exceptions import OrderError
from orders.models import Order
from orders.services import order_expire_overdue
from payments.exceptions import PaymentAlreadyDecided, PaymentNotAccepted
from payments.ledger import order_ledger
from payments.models import Payment, Refund, Reminder
from payments.refunds import refund_mark_sent
from payments.reminders import balance_reminders_send
from payments.services import order_cancel, payment_confirm, payment_reject
from tests.factories import messages_sent_so_far, place_order
from tests.payments.conftest import order_fresh, png_upload, submit_transfer

pytestmark = pytest.mark.django_db
Status = Order.Status


def test_dp_then_balance_end_to_end(client, campaign, eager_tasks, django_capture_on_commit_callbacks):
    small, medium = campaign.items.order_by("position")
    order = place_order(campaign, [(small, 2), (medium, 1)], plan="dp")  # 600.000, DP 300.000
    messages_sent_so_far()
    assert order.status == Status.PENDING_PAYMENT

    dp = submit_transfer(order, order.first_transfer_idr)
    assert dp.kind == Payment.Kind.DOWN_PAYMENT and dp.status == Payment.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment_id=dp.pk, now=timezone.now())
    order = order_fresh(order)
    assert order.status == Status.DP_PAID
    ledger = order_ledger(order)
    assert ledger.paid_idr == 300_000 + order.unique_code
    assert ledger.due_idr == 300_000  # the kode unik is paid, but pays no part of the balance

    html = client.get(order.get_absolute_url()).content.decode()
    assert f"Rp{ledger.due_idr:,}".replace(",", ".") in html
    assert order.balance_due_date.strftime("%Y") in html

    balance = submit_transfer(order, ledger.due_idr)
    assert balance.kind == Payment.Kind.BALANCE
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment_id=balance.pk, now=timezone.now())
    order = order_fresh(order)
    assert order.status == Status.PAID
    assert order_ledger(order).due_idr == 0
    assert [event.to_status for event in order.events.all()] == ["pending_payment", "dp_paid", "paid"]
    assert sum(order.number in message.subject for message in mail.outbox) == 2  # one "payment received" for each


def test_a_full_payment_pays_in_full(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    order = order_fresh(order)
    assert order.status == Status.PAID
    assert order_ledger(order).overpaid_idr == 0  # the kode unik is not an over-payment


def test_reject_then_resubmit(campaign, eager_tasks, django_capture_on_commit_callbacks):
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", now=now - datetime.timedelta(hours=23))
    first = submit_transfer(order, 12_345, now=now)
    with pytest.raises(PaymentNotAccepted):
        payment_reject(payment_id=first.pk, reason="  ", now=now)
    with django_capture_on_commit_callbacks(execute=True):
        payment_reject(payment_id=first.pk, reason="Nominal tidak sesuai, mohon cek lagi.", now=now)
    rejected_mail = mail.outbox[-1]
    assert "Nominal tidak sesuai" in rejected_mail.body

    order.refresh_from_db()
    assert order.payment_deadline >= now + datetime.timedelta(hours=23)  # time to send it again
    assert order_expire_overdue(now=now + datetime.timedelta(hours=2)) == 0

    second = submit_transfer(order, order.first_transfer_idr, now=now + datetime.timedelta(hours=1))
    payment_confirm(payment_id=second.pk, now=now + datetime.timedelta(hours=2))
    assert order_fresh(order).status == Status.DP_PAID
    with pytest.raises(PaymentAlreadyDecided):
        payment_confirm(payment_id=first.pk, now=now)


def test_confirming_twice_records_once(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payment = submit_transfer(order, order.first_transfer_idr)
    payment_confirm(payment_id=payment.pk, now=timezone.now())
    payment_confirm(payment_id=payment.pk, now=timezone.now())
    order = order_fresh(order)
    assert order.events.filter(to_status=Status.DP_PAID).count() == 1
    assert order_ledger(order).paid_idr == order.first_transfer_idr


def test_a_payment_waiting_for_the_seller_stops_expiry(campaign):
    now = timezone.now()
    order = place_order(campaign, [(campaign.items.first(), 1)], now=now - datetime.timedelta(hours=20))
    submit_transfer(order, order.first_transfer_idr, now=now)
    assert order_expire_overdue(now=now + datetime.timedelta(days=3)) == 0
    assert order_fresh(order).status == Status.PENDING_PAYMENT


def test_partial_and_over_payments_are_recorded_as_they_are(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")  # total 200.000, DP 100.000
    partial = submit_transfer(order, 50_000)
    payment_confirm(payment_id=partial.pk, now=timezone.now())
    order = order_fresh(order)
    assert order.status == Status.PENDING_PAYMENT
    assert order_ledger(order).paid_idr == 50_000

    over = submit_transfer(order, 400_000)
    payment_confirm(payment_id=over.pk, now=timezone.now())
    order = order_fresh(order)
    assert order.status == Status.PAID
    assert order_ledger(order).overpaid_idr == 450_000 - 200_000 - order.unique_code


def test_an_ended_order_takes_no_payment(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    order_cancel(order=order, now=timezone.now())
    with pytest.raises(PaymentNotAccepted):
        submit_transfer(order, 1000)


def test_a_buyer_cancels_a_paid_order_while_the_po_is_open_and_a_refund_is_due(campaign):
    order = place_order(campaign, [(campaign.items.first(), 2)], plan="dp")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())

    order_cancel(order=order, now=timezone.now(), reason="Tidak jadi")

    order = order_fresh(order)
    assert order.status == Status.CANCELLED
    refund = order.refunds.get()
    assert (refund.amount_idr, refund.status, refund.reason) == (
        order.first_transfer_idr,
        Refund.Status.DUE,
        Refund.Reason.ORDER_CANCELLED,
    )
    campaign.refresh_from_db()
    assert campaign.units_reserved == 0

    refund_mark_sent(refund_id=refund.pk, method="Transfer BCA", reference="TRX-778812", actor=None, now=timezone.now())
    refund_mark_sent(refund_id=refund.pk, method="Transfer BCA", reference="TRX-778812", actor=None, now=timezone.now())
    ledger = order_ledger(order_fresh(order))
    assert (ledger.refunded_idr, ledger.refund_due_idr, ledger.held_idr) == (order.first_transfer_idr, 0, 0)


def test_after_closing_only_the_seller_cancels_a_paid_order(campaign, admin_user):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    after_close = campaign.closes_at + datetime.timedelta(minutes=1)
    with pytest.raises(OrderError):
        order_cancel(order=order, now=after_close)
    order_cancel(order=order, now=after_close, actor=admin_user, reason="Bahan tidak tersedia")
    assert order_fresh(order).refunds.get().amount_idr == order.first_transfer_idr


def _closing(campaign, *, goal, policy):
    Campaign.objects.filter(pk=campaign.pk).update(minimum_goal_units=goal, goal_missed_policy=policy)
    campaign.refresh_from_db()
    paid = place_order(campaign, [(campaign.items.first(), 3)], plan="dp", email="a@example.com", phone="081111111111")
    payment_confirm(payment_id=submit_transfer(paid, paid.first_transfer_idr).pk, now=timezone.now())
    unpaid = place_order(
        campaign, [(campaign.items.first(), 4)], plan="dp", email="b@example.com", phone="082222222222"
    )
    return paid, unpaid, campaign.closes_at + datetime.timedelta(seconds=1)


def test_a_campaign_that_misses_its_goal_fails_and_refunds_everyone(
    campaign, eager_tasks, django_capture_on_commit_callbacks
):
    paid, unpaid, after_close = _closing(campaign, goal=10, policy=Campaign.GoalMissedPolicy.REFUND)

    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_close_due(now=after_close) == 1
    assert campaign_close_due(now=after_close) == 0

    campaign.refresh_from_db()
    assert campaign.stage == Campaign.Stage.FAILED and campaign.close_processed_at == after_close
    assert campaign.units_reserved == 0
    assert order_fresh(paid).status == order_fresh(unpaid).status == Status.CANCELLED
    assert order_fresh(paid).refunds.get().amount_idr == paid.first_transfer_idr
    assert not order_fresh(unpaid).refunds.exists()
    assert any(paid.number in message.subject for message in mail.outbox)


@pytest.mark.parametrize(("goal", "policy"), [(10, "proceed"), (3, "refund")])
def test_a_campaign_that_meets_its_goal_or_goes_ahead_anyway_is_closed_for_tallying(campaign, goal, policy):
    paid, unpaid, after_close = _closing(campaign, goal=goal, policy=policy)
    assert campaign_close_due(now=after_close) == 1
    campaign.refresh_from_db()
    assert campaign.stage == Campaign.Stage.TALLYING and campaign.status_at(after_close) == Campaign.Status.TALLYING
    assert order_fresh(paid).status == Status.DP_PAID


def test_balance_reminders_go_once_each(campaign, eager_tasks, django_capture_on_commit_callbacks, settings):
    settings.BALANCE_REMINDER_DAYS = 3
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    due = order.balance_due_date

    def at(day):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))

    messages_sent_so_far()
    with django_capture_on_commit_callbacks(execute=True):
        assert balance_reminders_send(now=at(due - datetime.timedelta(days=4))) == 0
        assert balance_reminders_send(now=at(due - datetime.timedelta(days=3))) == 1
        assert balance_reminders_send(now=at(due - datetime.timedelta(days=3))) == 0
        assert balance_reminders_send(now=at(due - datetime.timedelta(days=1))) == 1
        assert balance_reminders_send(now=at(due)) == 0
        assert balance_reminders_send(now=at(due + datetime.timedelta(days=1))) == 1
        assert balance_reminders_send(now=at(due + datetime.timedelta(days=2))) == 0
    assert sorted(Reminder.objects.values_list("kind", flat=True)) == [
        "balance_overdue",
        "balance_soon",
        "balance_tomorrow",
    ]
    assert len(mail.outbox) == 3


def test_the_ledger_check_passes_on_agreeing_orders_and_names_the_others(campaign):
    good = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", email="a@example.com", phone="081111111111")
    payment_confirm(payment_id=submit_transfer(good, good.first_transfer_idr).pk, now=timezone.now())
    out = io.StringIO()
    call_command("ledger_check", stdout=out)
    assert "Checked 1 orders" in out.getvalue()

    bad = place_order(campaign, [(campaign.items.first(), 1)], plan="dp", email="b@example.com", phone="082222222222")
    Order.objects.filter(pk=bad.pk).update(status=Status.PAID)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("ledger_check", stdout=out)
    assert bad.number in out.getvalue() and good.number not in out.getvalue()


def test_the_buyer_submits_a_payment_from_the_order_page(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    response = client.post(
        reverse("fulfilment:payment_submit", args=[order.token]),
        {
            "amount_idr": str(order.first_transfer_idr),
            "paid_on": timezone.localdate().isoformat(),
            "from_bank": "BRI",
            "from_account_name": "Siti R",
            "proof": png_upload(),
        },
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING and payment.proof_content_type == "image/png"


def test_a_bad_payment_form_keeps_what_was_typed_and_saves_nothing(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    response = client.post(
        reverse("fulfilment:payment_submit", args=[order.token]),
        {
            "amount_idr": "150000",
            "paid_on": timezone.localdate().isoformat(),
            "from_bank": "BRI",
            "from_account_name": "Siti",
        },
    )
    assert response.status_code == 200
    assert "proof" in response.context["payment_form"].errors
    assert response.context["payment_form"]["from_bank"].value() == "BRI"
    assert not Payment.objects.exists()


def test_the_transfer_date_field_starts_at_today_in_the_format_browsers_read(client, campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    html = client.get(order.get_absolute_url()).content.decode()
    assert f'type="date" name="paid_on" value="{timezone.localdate().isoformat()}"' in html


def test_a_refund_after_dp_and_balance_is_recorded_against_both_payments(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    dp = submit_transfer(order, order.first_transfer_idr)
    payment_confirm(payment_id=dp.pk, now=timezone.now())
    balance = submit_transfer(order, order_ledger(order_fresh(order)).due_idr)
    payment_confirm(payment_id=balance.pk, now=timezone.now())

    order_cancel(order=order, now=timezone.now(), reason="Tidak jadi")

    refunds = {refund.payment_id: refund.amount_idr for refund in order_fresh(order).refunds.all()}
    assert refunds == {dp.pk: dp.amount_idr, balance.pk: balance.amount_idr}
    assert sum(refunds.values()) == order.total_idr + order.unique_code  # everything transferred goes back


def test_the_cancellation_email_states_the_whole_refund(campaign, eager_tasks, django_capture_on_commit_callbacks):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, now=timezone.now())
    assert f"Rp{order.first_transfer_idr:,}".replace(",", ".") in mail.outbox[-1].body
