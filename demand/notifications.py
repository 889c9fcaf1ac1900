"""Messages to buyers who asked to be reminded, registered with the outbox (orders.outbox)."""

from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignItem
from orders.forms import QUANTITY_PREFIX
from orders.models import Message
from orders.outbox import message_renderer

from .models import Interest
from .services import PO_OPENED, UNITS_BACK


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@message_renderer(PO_OPENED, _("The PO opened (to those who asked to be reminded)"))
def _po_opened(message: Message) -> tuple[str, str]:
    interest = (
        Interest.objects.select_related("campaign", "carried_from")
        .prefetch_related("lines__campaign_item__variant__product", "lines__campaign_item__variant__option_values")
        .filter(pk=message.params.get("interest_id"))
        .first()
    )
    # Written out after the purge deleted the interest (the seller opens an old one): the PO, no stop link.
    campaign = interest.campaign if interest else Campaign.objects.get(pk=message.params["campaign_id"])
    lines = list(interest.lines.all()) if interest else []
    checkout_url = ""
    if lines:
        query = urlencode({f"{QUANTITY_PREFIX}{line.campaign_item_id}": line.quantity for line in lines})
        checkout_url = _absolute(f"{reverse('orders:checkout', args=[campaign.slug])}?{query}")
    with translation.override(message.language):
        context = {
            "campaign": campaign,
            "carried_from": interest.carried_from if interest else None,
            "lines": lines,
            "campaign_url": _absolute(campaign.get_absolute_url()),
            "checkout_url": checkout_url,
            "stop_url": _absolute(reverse("demand:stop", args=[interest.token])) if interest else "",
            "SHOP_NAME": settings.SHOP_NAME,
        }
        subject = " ".join(render_to_string("demand/email/po_opened_subject.txt", context).split())
        body = render_to_string("demand/email/po_opened_body.txt", context)
    return subject, body


@message_renderer(UNITS_BACK, _("Units back on sale (to the waitlist)"))
def _units_back(message: Message) -> tuple[str, str]:
    interest = Interest.objects.filter(pk=message.params.get("interest_id")).first()
    campaign = Campaign.objects.get(pk=message.params["campaign_id"])
    wanted = {int(item_id): quantity for item_id, quantity in message.params.get("items", {}).items()}
    items = (
        CampaignItem.objects.filter(campaign=campaign, pk__in=list(wanted))
        .select_related("variant__product")
        .prefetch_related("variant__option_values")
        .order_by("position", "pk")
    )
    lines = [(item, wanted[item.pk]) for item in items]
    query = urlencode({f"{QUANTITY_PREFIX}{item.pk}": quantity for item, quantity in lines})
    with translation.override(message.language):
        context = {
            "campaign": campaign,
            "lines": lines,
            "campaign_url": _absolute(campaign.get_absolute_url()),
            "checkout_url": _absolute(f"{reverse('orders:checkout', args=[campaign.slug])}?{query}"),
            "stop_url": _absolute(reverse("demand:stop", args=[interest.token])) if interest else "",
            "SHOP_NAME": settings.SHOP_NAME,
        }
        subject = " ".join(render_to_string("demand/email/units_back_subject.txt", context).split())
        body = render_to_string("demand/email/units_back_body.txt", context)
    return subject, body
