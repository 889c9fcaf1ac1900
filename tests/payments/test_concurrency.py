import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Order
from payments.ledger import order_ledger
from payments.models import Payment
from payments.services import payment_confirm, payment_submit
from tests.factories import place_order
from tests.helpers import at_once
from tests.payments.conftest import png_upload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"),
]


def test_one_payment_confirmed_from_two_threads_at_once_is_recorded_once(campaign):
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    payment = payment_submit(
        order=order,
        amount_idr=order.first_transfer_idr,
        paid_on=timezone.localdate(),
        from_bank="BCA",
        from_account_name="Siti",
        proof_file=png_upload(),
        now=timezone.now(),
    )
    outcomes = at_once(*[lambda: payment_confirm(payment_id=payment.pk, now=timezone.now())] * 2)
    assert [outcome.error for outcome in outcomes] == [None, None]
    order = Order.objects.prefetch_related("payments", "refunds").get(pk=order.pk)
    assert order.status == Order.Status.DP_PAID
    assert order.events.filter(to_status=Order.Status.DP_PAID).count() == 1
    assert Payment.objects.get().status == Payment.Status.CONFIRMED
    assert order_ledger(order).paid_idr == order.first_transfer_idr
