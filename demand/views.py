"""The buyer's side of "Ingatkan saya": the form on a coming PO's page posts here, and the stop link."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from campaigns.models import Campaign, CampaignItem
from orders.forms import quantities_from
from preorder_shop.client import client_key, throttle

from .exceptions import InterestError
from .forms import InterestForm, WaitlistForm
from .models import Interest
from .services import interest_register, interest_stop
from .waitlist import waitlist_join


def _chosen(campaign: Campaign, quantities: dict[int, int]) -> list[tuple[CampaignItem, int]]:
    """The variants and quantities the buyer chose on the PO's page, to show and post again."""
    if not quantities:
        return []
    items = (
        CampaignItem.objects.filter(campaign=campaign, pk__in=list(quantities)[:200])
        .select_related("variant__product")
        .prefetch_related("variant__option_values")
    )
    return [(item, quantities[item.pk]) for item in items]


def _form_page(request, campaign: Campaign, form: InterestForm, quantities: dict[int, int], status: int = 200):
    """The form again, with what the buyer typed and why it was refused (the PO's page is cached for all)."""
    context = {"campaign": campaign, "form": form, "chosen": _chosen(campaign, quantities)}
    return render(request, "demand/interest_form.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@throttle(group="interest", rate_setting="INTEREST_RATE")
def interest_register_view(request, slug):
    campaign = get_object_or_404(Campaign.objects.exclude(stage=Campaign.Stage.DRAFT), slug=slug)
    if request.method == "GET":
        return redirect(f"{campaign.get_absolute_url()}#ingatkan")
    quantities = quantities_from(request.POST)
    form = InterestForm(request.POST)
    if getattr(request, "limited", False):
        messages.error(request, _("Too many tries in a short time; wait a minute and try again."))
        return _form_page(request, campaign, form, quantities, status=429)
    if not form.is_valid():
        return _form_page(request, campaign, form, quantities)
    try:
        _interest, created = interest_register(
            campaign=campaign,
            phone=form.cleaned_data["phone"],
            email=form.cleaned_data["email"],
            wanted=quantities,
            client_key=client_key(request),
            language=translation.get_language(),
            now=timezone.now(),
        )
    except InterestError as error:
        messages.error(request, str(error))
        return redirect(campaign)
    if created:
        messages.success(
            request,
            _("Done: you will be told once when this PO opens, by e-mail if you gave one, else on WhatsApp."),
        )
    else:
        messages.success(request, _("Updated: you will be told once when this PO opens."))
    return redirect(campaign)


def _phone_masked(phone: str) -> str:
    """+62812****7890: enough for the buyer to know the number, not enough for anyone else."""
    return f"{phone[:6]}{'*' * max(len(phone) - 10, 0)}{phone[-4:]}" if len(phone) > 10 else phone


@never_cache
@require_http_methods(["GET", "POST"])
def interest_stop_view(request, token):
    """The link in every message: whoever holds it may stop the messages, without logging in."""
    interest = get_object_or_404(Interest.objects.select_related("campaign"), token=token)
    if request.method == "POST":
        interest_stop(interest=interest, now=timezone.now())
        messages.success(request, _("Done: no more messages about this PO go to this number."))
        return redirect("demand:stop", token=token)
    context = {"interest": interest, "campaign": interest.campaign, "phone_masked": _phone_masked(interest.phone)}
    return render(request, "demand/interest_stop.html", context)


def _sold_out_items(campaign: Campaign) -> list[CampaignItem]:
    items = (
        CampaignItem.objects.on_sale()
        .filter(campaign=campaign)
        .select_related("variant__product")
        .prefetch_related("variant__option_values")
        .order_by("position", "pk")
    )
    return [item for item in items if item.units_left_in(campaign) == 0]


@never_cache
@require_http_methods(["GET", "POST"])
@throttle(group="interest", rate_setting="INTEREST_RATE")
def waitlist_join_view(request, slug):
    """ "Kabari saya kalau ada": the waitlist of a sold-out variant (or of a PO sold out as a whole), on a page
    of its own so that the PO's page stays the same for every visitor (and cached) during a rush."""
    campaign = get_object_or_404(Campaign.objects.exclude(stage=Campaign.Stage.DRAFT), slug=slug)
    now = timezone.now()
    sold_out = _sold_out_items(campaign) if campaign.status_at(now) == Campaign.Status.OPEN else []
    whole = bool(sold_out) and not CampaignItem.objects.on_sale().filter(campaign=campaign).count() > len(sold_out)
    if request.method == "GET":
        chosen = request.GET.get("varian", "")
        quantities = {item.pk: 1 for item in sold_out if str(item.pk) == chosen}
        form = WaitlistForm()
    else:
        quantities = quantities_from(request.POST)
        form = WaitlistForm(request.POST)
    rows = [(item, quantities.get(item.pk, "")) for item in sold_out]
    context = {"campaign": campaign, "form": form, "sold_out": rows, "whole": whole}
    if request.method == "GET":
        return render(request, "demand/waitlist_form.html", context)
    if getattr(request, "limited", False):
        messages.error(request, _("Too many tries in a short time; wait a minute and try again."))
        return render(request, "demand/waitlist_form.html", context, status=429)
    if not form.is_valid():
        return render(request, "demand/waitlist_form.html", context)
    try:
        _entry, created = waitlist_join(
            campaign=campaign,
            phone=form.cleaned_data["phone"],
            email=form.cleaned_data["email"],
            wanted=quantities,
            client_key=client_key(request),
            language=translation.get_language(),
            now=now,
        )
    except InterestError as error:
        messages.error(request, str(error))
        return render(request, "demand/waitlist_form.html", context)
    if created:
        messages.success(
            request,
            _(
                "Done: you are on the waitlist. When units come back you are told once, in the order you joined; "
                "then order quickly, nothing is held."
            ),
        )
    else:
        messages.success(request, _("Updated: you keep your place on the waitlist."))
    return redirect(campaign)
