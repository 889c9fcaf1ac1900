"""The buyer's order page, and the forms on it that move the order on: paying, answering a delay,
confirming receipt. It is drawn here, on the top floor, because it shows every floor's part of the
order: its lines and events (orders), its money (payments), delays and shipping (fulfilment).
Cancelling and the proofs are payments' views."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from orders.checkout.quoting import order_balance_idr
from orders.forms import CancelForm
from orders.models import Order
from orders.selectors import bank_account_list_active
from payments.exceptions import PaymentError, ProofRejected
from payments.forms import PaymentSubmitForm
from payments.gateways import gateway_get
from payments.ledger import amount_due_now, order_ledger
from payments.models import Payment
from payments.selectors import order_get_with_payments
from payments.services import payment_submit

from .exceptions import FulfilmentError
from .models import DelayResponse
from .selectors import order_latest_delay, order_open_delay
from .services import order_delay_respond, order_receipt_confirm


def _order_page(request, order: Order, *, payment_form=None, status=200):
    ledger = order_ledger(order)
    payments = list(order.payments.all())
    updates = list(order.campaign.updates.all())
    delay = order_latest_delay(order, updates)
    delay_answer = DelayResponse.objects.filter(order=order, update=delay).first() if delay else None
    context = {
        # Shown while the buyer may answer, and afterwards with the answer given.
        "open_delay": delay if delay_answer or order_open_delay(order, updates) else None,
        "delay_answer": delay_answer,
        "order": order,
        "lines": list(order.lines.all()),
        "events": list(order.events.all()),
        "updates": updates,
        "payments": payments,
        "refunds": list(order.refunds.all()),
        "ledger": ledger,
        "due_now": amount_due_now(order, ledger),
        "balance_idr": order_balance_idr(order),
        "bank_accounts": bank_account_list_active(),
        "payment_form": payment_form or PaymentSubmitForm(),
        "cancel_form": CancelForm(),
        "gateway_enabled": gateway_get() is not None,
        # A transfer the buyer told the seller about, not checked yet: the page (and its status badge) says
        # it is with the seller instead of asking for the payment again.
        "proof_waiting": next(
            (
                payment
                for payment in payments
                if payment.status == Payment.Status.PENDING and payment.method == Payment.Method.BANK_TRANSFER
            ),
            None,
        ),
        "can_pay": order.status in Order.PAYABLE_STATUSES,
    }
    return render(request, "fulfilment/order_detail.html", context, status=status)


def _buyer_order(token: str) -> Order:
    return order_get_with_payments(token=token)


@never_cache
def order_page(request, token):
    return _order_page(request, _buyer_order(token))


@never_cache
@require_POST
def payment_submit_view(request, token):
    order = _buyer_order(token)
    form = PaymentSubmitForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            payment_submit(
                order=order,
                amount_idr=form.cleaned_data["amount_idr"],
                paid_on=form.cleaned_data["paid_on"],
                from_bank=form.cleaned_data["from_bank"],
                from_account_name=form.cleaned_data["from_account_name"],
                proof_file=form.cleaned_data["proof"],
                replace_waiting=request.POST.get("replace", "").isdigit(),
                now=timezone.now(),
            )
        except ProofRejected as error:
            form.add_error("proof", str(error))
        except PaymentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you! The seller will check your payment and confirm it."))
            return redirect(order)
    return _order_page(request, _buyer_order(token), payment_form=form)


@require_POST
def delay_respond_view(request, token):
    order = _buyer_order(token)
    try:
        update_id = int(request.POST.get("update", ""))
    except ValueError:
        return HttpResponseBadRequest()
    try:
        response = order_delay_respond(
            order=order, update_id=update_id, choice=request.POST.get("choice", ""), now=timezone.now()
        )
    except FulfilmentError as error:
        messages.error(request, str(error))
    else:
        if response.choice == DelayResponse.Choice.CANCEL:
            messages.success(request, _("Your order is cancelled; everything you paid will be refunded."))
        else:
            messages.success(request, _("Thank you: your order is kept for the new date."))
    return redirect(order)


@require_POST
def receipt_confirm_view(request, token):
    order = _buyer_order(token)
    try:
        order_receipt_confirm(order=order, now=timezone.now())
    except FulfilmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you for confirming; enjoy your order!"))
    return redirect(order)
