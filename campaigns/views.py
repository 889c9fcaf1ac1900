from dataclasses import dataclass
from urllib.parse import urlencode

from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from catalog.page_cache import page_get, page_key, page_set

from .models import Campaign
from .selectors import (
    campaign_cover_image,
    campaign_get_for_page,
    campaign_list_coming_soon,
    campaign_list_open,
    campaign_list_recently_closed,
    campaign_lowest_price_idr,
    campaign_offers,
    campaign_units_left,
)


@dataclass
class CampaignCard:
    campaign: Campaign
    status: Campaign.Status
    cover_image: object
    lowest_price_idr: int | None
    units_left: int | None


def _card(campaign: Campaign, now) -> CampaignCard:
    return CampaignCard(
        campaign=campaign,
        status=campaign.status_at(now),
        cover_image=campaign_cover_image(campaign),
        lowest_price_idr=campaign_lowest_price_idr(campaign),
        units_left=campaign_units_left(campaign),
    )


@require_safe
def home(request):
    key = page_key(request, "home")
    page = page_get(key)
    if page is None:
        now = timezone.now()
        context = {
            "open_cards": [_card(campaign, now) for campaign in campaign_list_open(now=now)],
            "coming_cards": [_card(campaign, now) for campaign in campaign_list_coming_soon(now=now)],
            "closed_cards": [_card(campaign, now) for campaign in campaign_list_recently_closed(now=now)],
        }
        page = {"body": render_to_string("campaigns/_home_body.html", context, request=request)}
        page_set(key, page)
    return render(request, "campaigns/home.html", page)


def _share_links(*, url: str, caption: str) -> dict[str, str]:
    return {
        "whatsapp": "https://wa.me/?" + urlencode({"text": f"{caption}\n{url}"}),
        "facebook": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        "x": "https://x.com/intent/post?" + urlencode({"text": caption, "url": url}),
    }


@require_safe
def campaign_detail(request, slug):
    key = page_key(request, f"campaign:{slug}")
    page = page_get(key)
    if page is None:
        now = timezone.now()
        campaign = campaign_get_for_page(slug=slug)
        card = _card(campaign, now)
        url = request.build_absolute_uri(campaign.get_absolute_url())
        caption = render_to_string("campaigns/share_caption.txt", {"card": card}, request=request).strip()
        context = {
            "card": card,
            "campaign": campaign,
            "offers": campaign_offers(campaign=campaign),
            "updates": list(campaign.updates.all()),
            "share_url": url,
            "share_caption": caption,
            "share_links": _share_links(url=url, caption=caption),
            "og_image_url": request.build_absolute_uri(card.cover_image.url) if card.cover_image else "",
        }
        page = {
            "title": campaign.title,
            "description": caption,
            "meta": render_to_string("campaigns/_campaign_meta.html", context, request=request),
            "body": render_to_string("campaigns/_campaign_body.html", context, request=request),
        }
        page_set(key, page)
    return render(request, "campaigns/campaign_detail.html", page)
