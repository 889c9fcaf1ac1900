import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from campaigns.models import Campaign, CampaignItem

from .exceptions import OrderError
from .forms import NOTE_PREFIX, CheckoutForm, OrderLookupForm, quantities_from
from .models import Order
from .selectors import bank_account_list_active, checkout_items, order_get_for_buyer
from .services import (
    BuyerDetails,
    LineRequest,
    order_lookup_send_link,
    order_place,
    order_quote,
)


@dataclass
class CheckoutLine:
    item: CampaignItem
    quantity: int
    note: str

    @property
    def line_total_idr(self) -> int:
        return self.item.price_idr * self.quantity


def _checkout_lines(campaign: Campaign, data) -> list[CheckoutLine]:
    quantities = quantities_from(data)
    items = checkout_items(campaign=campaign, item_ids=list(quantities))
    return [
        CheckoutLine(item=items[item_id], quantity=quantity, note=data.get(f"{NOTE_PREFIX}{item_id}", "")[:200])
        for item_id, quantity in quantities.items()
        if item_id in items
    ]


def _buyer_from(cleaned: dict) -> BuyerDetails:
    return BuyerDetails(
        name=cleaned["buyer_name"],
        phone=cleaned["phone"],
        email=cleaned["email"],
        province=cleaned["province"],
        city=cleaned["city"],
        district=cleaned["district"],
        postal_code=cleaned["postal_code"],
        street=cleaned["street"],
        note=cleaned["note"],
    )


@never_cache
@require_http_methods(["GET", "POST"])
def checkout(request, slug):
    campaign = get_object_or_404(Campaign.objects.exclude(stage=Campaign.Stage.DRAFT), slug=slug)
    now = timezone.now()
    data = request.POST if request.method == "POST" else request.GET
    lines = _checkout_lines(campaign, data)
    if campaign.status_at(now) != Campaign.Status.OPEN:
        messages.error(request, _("This PO is not open for orders."))
        return redirect(campaign)
    if not lines:
        messages.error(request, _("Choose at least one variant and a quantity."))
        return redirect(campaign)

    form = CheckoutForm(request.POST if request.method == "POST" else None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            order = order_place(
                campaign_id=campaign.pk,
                lines=[LineRequest(line.item.pk, line.quantity, line.note) for line in lines],
                buyer=_buyer_from(form.cleaned_data),
                payment_plan=form.cleaned_data["payment_plan"],
                terms_accepted=form.cleaned_data["terms_accepted"],
                language=translation.get_language(),
                now=now,
            )
        except OrderError as error:
            messages.error(request, str(error))
        else:
            return redirect("orders:placed", token=order.token)

    quote = order_quote(
        campaign=campaign, prices_and_quantities=[(line.item.price_idr, line.quantity) for line in lines]
    )
    context = {
        "campaign": campaign,
        "lines": lines,
        "quote": quote,
        "form": form,
        "pay_by": now + datetime.timedelta(hours=campaign.unpaid_expiry_hours),
    }
    return render(request, "orders/checkout.html", context)


def _order_context(order: Order) -> dict:
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "events": list(order.events.all()),
        "updates": list(order.campaign.updates.all()),
        "bank_accounts": bank_account_list_active(),
    }


@never_cache
def order_placed(request, token):
    order = order_get_for_buyer(token=token)
    return render(request, "orders/order_placed.html", _order_context(order))


@never_cache
@require_http_methods(["GET", "POST"])
def order_lookup(request):
    form = OrderLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        order_lookup_send_link(number=form.cleaned_data["number"], contact=form.cleaned_data["contact"])
        messages.success(
            request,
            _("If the number and contact match an order, its link is on its way to the order's e-mail."),
        )
        return redirect("orders:lookup")
    return render(request, "orders/order_lookup.html", {"form": form})
