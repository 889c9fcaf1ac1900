import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from campaigns.models import Campaign, CampaignItem
from campaigns.notices import SOLD_OUT_PARAMETER, SOLD_OUT_PO
from campaigns.postage import postage_quote, postage_table
from catalog.models import shop_profile
from catalog.page_cache import cached_data, page_cached, page_key, page_render, page_store
from preorder_shop.client import client_key, throttle

from .checkout import BuyerDetails, LineRequest, order_place, order_quote, order_weight_grams
from .checkout.quoting import order_balance_idr
from .exceptions import OrderError, QuotaExceeded
from .forms import NOTE_PREFIX, CheckoutForm, OrderLookupForm, quantities_from
from .models import Order
from .selectors import bank_account_list_active, checkout_campaign_and_units, checkout_items, order_get_for_buyer
from .services import order_lookup_send_link


@dataclass
class CheckoutLine:
    item: CampaignItem
    quantity: int
    note: str

    @property
    def line_total_idr(self) -> int:
        return self.item.price_idr * self.quantity


def _line_note_clean(raw: str) -> bool:
    """No control characters (a NUL byte breaks PostgreSQL) and a sane length."""
    return len(raw) <= 200 and all(character.isprintable() for character in raw)


def _line_note(raw: str) -> str:
    return raw.strip()[:200]


def _checkout_lines(
    campaign: Campaign, data, quantities: dict[int, int], units: dict[int, CampaignItem]
) -> list[CheckoutLine]:
    """The lines asked for, with what they show from a few seconds ago and their `units` read just now."""
    ids = sorted(quantities)
    items, fresh = (
        cached_data(
            f"checkout-items:{campaign.pk}:{','.join(map(str, ids))}",
            lambda: checkout_items(campaign=campaign, item_ids=ids),
        )
        if len(ids) <= 20
        else (checkout_items(campaign=campaign, item_ids=ids), True)
    )
    if not fresh:
        for item_id in [item_id for item_id in items if item_id not in units]:
            del items[item_id]
        for item_id, item in items.items():
            item.quota, item.units_reserved = units[item_id].quota, units[item_id].units_reserved
    return [
        CheckoutLine(item=items[item_id], quantity=quantity, note=_line_note(data.get(f"{NOTE_PREFIX}{item_id}", "")))
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


def _refusal(request, campaign: Campaign, lines: list[CheckoutLine], now):
    """Back to the PO's page with why, when these lines cannot be ordered now; None when they can."""
    if campaign.status_at(now) != Campaign.Status.OPEN:
        messages.error(request, _("This PO is not open for orders."))
        return redirect(campaign)
    if not lines:
        messages.error(request, _("Choose at least one variant and a quantity."))
        return redirect(campaign)
    try:
        # Sold out already: the PO's page shows what is left, before a form is filled in for nothing.
        _units_check(campaign, lines)
    except QuotaExceeded as error:
        return _sold_out(campaign, error)
    return None


def _sold_out(campaign: Campaign, error: QuotaExceeded):
    """Back to the PO's page, which says what sold out (campaign_detail's ?habis=): the same page for every
    buyer refused alike, so that in a rush the proxy answers them all, where a message of each buyer's own
    made gunicorn render it for each."""
    return redirect(f"{campaign.get_absolute_url()}?{urlencode({SOLD_OUT_PARAMETER: error.item_id or SOLD_OUT_PO})}")


def _units_check(campaign: Campaign, lines: list[CheckoutLine]) -> None:
    """QuotaExceeded when the lines ask for more than is left now (read fresh; the lock decides at ordering)."""
    for line in lines:
        item = line.item
        left = None if item.quota is None else max(item.quota - item.units_reserved, 0)
        if left is not None and left < line.quantity:
            raise QuotaExceeded(label=str(line.item.variant), units_left=left, item_id=line.item.pk)
    if campaign.units_left is not None and campaign.units_left < sum(line.quantity for line in lines):
        raise QuotaExceeded(label=campaign.title, units_left=campaign.units_left)


@never_cache
@require_http_methods(["GET", "POST"])
@throttle(group="checkout", rate_setting="CHECKOUT_RATE")
def checkout(request, slug):
    now = timezone.now()
    limited = getattr(request, "limited", False)
    key = None
    data = request.POST if request.method == "POST" else request.GET
    # The PO and the units of the lines asked for, read now in one query; the rest may be a few seconds old.
    quantities = quantities_from(data)
    campaign, units = checkout_campaign_and_units(slug=slug, item_ids=quantities)
    if campaign is None:
        raise Http404
    if request.method == "GET" and not limited:
        # The same form for every buyer of these lines this minute (the pay-by time shows minutes).
        key = page_key(request, f"checkout:{slug}:{timezone.localtime(now):%Y%m%d%H%M}")
        cached = page_cached(request, key)
        if cached is not None and units:
            lines = [CheckoutLine(item=item, quantity=quantities[item_id], note="") for item_id, item in units.items()]
            return _refusal(request, campaign, lines, now) or cached
    lines = _checkout_lines(campaign, data, quantities, units)
    refusal = _refusal(request, campaign, lines, now)
    if refusal is not None:
        return refusal
    if any(name.startswith(NOTE_PREFIX) and not _line_note_clean(value) for name, value in data.items() if value):
        # Only a hand-made request gets here: the page's own field allows neither.
        return HttpResponseBadRequest(_("A note may hold letters, digits and punctuation only, up to 200 characters."))
    if request.method == "GET" and not limited:
        return page_store(
            request,
            key,
            lambda csrf_token: page_render(
                request, "orders/checkout.html", _checkout_context(campaign, lines, None, now), csrf_token
            ),
        )

    form = CheckoutForm(request.POST, campaign=campaign) if request.method == "POST" else None
    status = 200
    if limited:
        messages.error(request, _("Too many orders from your connection in a short time; wait a minute and try again."))
        form = CheckoutForm(request.POST, campaign=campaign)
        form.is_valid()
        status = 429
    elif form.is_valid():
        seen = form.cleaned_data.get("postage_seen")
        try:
            order = order_place(
                campaign_id=campaign.pk,
                lines=[LineRequest(line.item.pk, line.quantity, line.note) for line in lines],
                buyer=_buyer_from(form.cleaned_data),
                payment_plan=form.cleaned_data["payment_plan"],
                terms_accepted=form.cleaned_data["terms_accepted"],
                language=translation.get_language(),
                # The buyer must have seen the postage: a page without it (no script) is shown again with it.
                expected_postage_idr=(seen if seen is not None else -1) if _charges_postage(campaign) else None,
                client_key=client_key(request),
                now=now,
                campaign=campaign,
                items={line.item.pk: line.item for line in lines},
            )
        except QuotaExceeded as error:
            return _sold_out(campaign, error)
        except OrderError as error:
            messages.error(request, str(error))
        else:
            return redirect("orders:placed", token=order.token)
    return render(request, "orders/checkout.html", _checkout_context(campaign, lines, form, now), status=status)


def _charges_postage(campaign: Campaign) -> bool:
    return campaign.postage_mode in (Campaign.PostageMode.FLAT_BY_PROVINCE, Campaign.PostageMode.PER_KG_BY_PROVINCE)


def _checkout_context(campaign: Campaign, lines: list[CheckoutLine], form, now) -> dict:
    """What the checkout page shows: the lines, postage and totals, and the form (`None`: a new, empty one)."""
    form = form if form is not None else CheckoutForm(campaign=campaign)
    weight = order_weight_grams((line.item, line.quantity) for line in lines)
    postage_by_province = postage_table(campaign=campaign, weight_grams=weight)
    charges_postage = _charges_postage(campaign)
    time_to_pay = campaign.time_to_pay(line.item for line in lines)
    province = form.data.get("province", "") if form.is_bound else ""
    postage = None
    if not charges_postage or postage_by_province.get(province) is not None:
        postage = postage_quote(campaign=campaign, province=province, weight_grams=weight)
    quote = order_quote(
        campaign=campaign,
        prices_and_quantities=[(line.item.price_idr, line.quantity) for line in lines],
        postage=postage,
    )
    goods_quote = order_quote(
        campaign=campaign, prices_and_quantities=[(line.item.price_idr, line.quantity) for line in lines]
    )
    if postage is not None and form.is_bound:
        # What the buyer sees now is what the next submit orders at.
        form.data = form.data.copy()
        form.data["postage_seen"] = str(postage.amount_idr)
    return {
        "profile": shop_profile(),
        "bank_names": sorted({account.bank_name for account in bank_account_list_active()}),
        "gateway_enabled": bool(settings.MIDTRANS_SERVER_KEY),
        "pay_full_idr": quote.first_payment_idr(Order.PaymentPlan.FULL),
        "postage": postage,
        "charges_postage": charges_postage,
        "weight_grams": weight,
        "postage_data": {
            "by_province": postage_by_province,
            "goods": goods_quote.goods_idr,
            "dp_goods": goods_quote.down_payment_idr,
            "with_first": campaign.postage_timing == Campaign.PostageTiming.WITH_FIRST_PAYMENT,
            "choose_label": _("choose your province below"),
        },
        "campaign": campaign,
        "lines": lines,
        "quote": quote,
        "form": form,
        # A small-quota PO gives less time to pay (campaigns' time_to_pay), as the order will say.
        "pay_by": now + time_to_pay,
        "quick_pay_minutes": (
            int(time_to_pay.total_seconds()) // 60
            if time_to_pay < datetime.timedelta(hours=campaign.unpaid_expiry_hours)
            else None
        ),
    }


def _order_context(order: Order) -> dict:
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "events": list(order.events.all()),
        "updates": list(order.campaign.updates.all()),
        "bank_accounts": bank_account_list_active(),
        "balance_idr": order_balance_idr(order),
    }


@never_cache
def order_placed(request, token):
    order = order_get_for_buyer(token=token)
    return render(request, "orders/order_placed.html", _order_context(order))


@never_cache
@require_http_methods(["GET", "POST"])
@throttle(group="lookup", rate_setting="LOOKUP_RATE")
def order_lookup(request):
    form = OrderLookupForm(request.POST or None)
    if getattr(request, "limited", False):
        messages.error(request, _("Too many tries in a short time; wait a minute and try again."))
        return render(request, "orders/order_lookup.html", {"form": OrderLookupForm()}, status=429)
    if request.method == "POST" and form.is_valid():
        order_lookup_send_link(number=form.cleaned_data["number"], contact=form.cleaned_data["contact"])
        # Said alike whether or not an order matched, so nobody learns which orders exist or how to reach them.
        messages.success(
            request,
            _(
                "If the number and contact match an order, we send its link: to the order's e-mail, or, for an "
                "order without an e-mail, the seller sends it to its WhatsApp number."
            ),
        )
        return redirect("orders:lookup")
    shop_whatsapp = settings.SHOP_WHATSAPP.lstrip("+")
    text = _("Hello %(shop)s, I lost the link to my order.") % {"shop": settings.SHOP_NAME}
    return render(
        request,
        "orders/order_lookup.html",
        {
            "form": form,
            "shop_whatsapp_url": f"https://wa.me/{shop_whatsapp}?{urlencode({'text': text})}" if shop_whatsapp else "",
        },
    )
