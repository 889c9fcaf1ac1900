import json

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.exceptions import OrderError
from orders.forms import CancelForm
from orders.models import Order

from .exceptions import PaymentError
from .gateways import gateway_get
from .models import Payment
from .selectors import order_get_with_payments
from .services import gateway_checkout_start, gateway_notice_apply, order_cancel


def _buyer_order(token: str) -> Order:
    return order_get_with_payments(token=token)


@require_POST
def order_cancel_view(request, token):
    order = _buyer_order(token)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick “Yes, cancel my order” to cancel; nothing was changed."))
        return redirect(order)
    reason = form.cleaned_data["reason"]
    try:
        order_cancel(order=order, now=timezone.now(), reason=reason)
    except OrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your order is cancelled."))
    return redirect(order)


def _proof_response(payment: Payment):
    if not payment.proof:
        raise Http404
    extension = "pdf" if payment.proof_content_type == "application/pdf" else payment.proof.name.rsplit(".", 1)[-1]
    try:  # FileResponse reads the file's size: a bucket's file is fetched here, inside the try
        response = FileResponse(
            payment.proof.open("rb"),
            content_type=payment.proof_content_type,
            as_attachment=False,
            filename=f"bukti-{payment.order.number}-{payment.pk}.{extension}",
        )
    except FileNotFoundError:
        raise Http404 from None  # gone from the storage (a restore from before it): not a server error
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
def proof_for_buyer(request, token, payment_id):
    """A proof, for the buyer holding the order's link; anyone else gets 404."""
    payment = get_object_or_404(Payment.objects.select_related("order"), pk=payment_id, order__token=token)
    return _proof_response(payment)


@never_cache
@staff_member_required
def proof_for_staff(request, payment_id):
    if not request.user.has_perm("payments.view_payment"):
        return HttpResponseForbidden()
    return _proof_response(get_object_or_404(Payment.objects.select_related("order"), pk=payment_id))


@require_POST
def gateway_start(request, token):
    gateway = gateway_get()
    if gateway is None:
        raise Http404
    order = _buyer_order(token)
    try:
        url = gateway_checkout_start(
            order=order, gateway=gateway, finish_url=request.build_absolute_uri(order.get_absolute_url())
        )
    except PaymentError as error:
        messages.error(request, str(error))
        return redirect(order)
    except OSError:
        messages.error(request, _("The payment gateway did not answer; try again in a moment or pay by bank transfer."))
        return redirect(order)
    return redirect(url)


@csrf_exempt
@require_POST
def midtrans_notification(request):
    """Midtrans' HTTP notification: verified, recorded once, answered 200 even when repeated."""
    gateway = gateway_get()
    if gateway is None:
        raise Http404
    if len(request.body) > 64 * 1024:
        return HttpResponseBadRequest("too large")
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return HttpResponseBadRequest("invalid JSON")
    if not isinstance(payload, dict):
        return HttpResponseBadRequest("invalid payload")
    if not all(isinstance(payload.get(name, ""), str) for name in ("order_id", "transaction_status", "fraud_status")):
        return HttpResponseBadRequest("invalid payload")
    notice = gateway.notice_from(payload)
    if notice is None:
        return HttpResponseForbidden("invalid signature")
    outcome = gateway_notice_apply(notice=notice, provider=gateway.name, now=timezone.now())
    if outcome == "unknown":
        return HttpResponse("unknown order", status=404)
    return HttpResponse(outcome)
