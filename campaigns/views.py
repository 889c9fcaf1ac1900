from dataclasses import dataclass
from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from catalog.page_cache import page_key, page_render, whole_page

from .models import Campaign
from .notices import SOLD_OUT_PARAMETER, sold_out_notice
from .selectors import (
    campaign_card_facts,
    campaign_get_for_page,
    campaign_list_coming_soon,
    campaign_list_open,
    campaign_list_recently_closed,
    campaign_offers_for,
    campaign_product_summaries,
)


@dataclass
class CampaignCard:
    campaign: Campaign
    status: Campaign.Status
    cover_image: object
    lowest_price_idr: int | None
    units_left: int | None


def _cards(campaigns, now) -> list[CampaignCard]:
    """Cards from aggregates: the work does not grow with how many items a campaign sells."""
    campaigns = list(campaigns)
    facts = campaign_card_facts(campaigns=campaigns)
    return [
        CampaignCard(
            campaign=campaign,
            status=campaign.status_at(now),
            cover_image=facts[campaign.pk].cover_image,
            lowest_price_idr=facts[campaign.pk].lowest_price_idr,
            units_left=facts[campaign.pk].units_left,
        )
        for campaign in campaigns
    ]


# Variants drawn on the first view of a campaign page; larger POs show their other products folded.
VARIANTS_ON_FIRST_VIEW = 150


@require_safe
def home(request):
    def render_page(csrf_token):
        now = timezone.now()
        context = {
            "open_cards": _cards(campaign_list_open(now=now), now),
            "coming_cards": _cards(campaign_list_coming_soon(now=now), now),
            "closed_cards": _cards(campaign_list_recently_closed(now=now), now),
        }
        page = {"body": render_to_string("campaigns/_home_body.html", context, request=request)}
        return page_render(request, "campaigns/home.html", page, csrf_token)

    return whole_page(request, page_key(request, "home"), render_page)


def _share_links(*, url: str, caption: str) -> dict[str, str]:
    return {
        "whatsapp": "https://wa.me/?" + urlencode({"text": f"{caption}\n{url}"}),
        "facebook": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        "x": "https://x.com/intent/post?" + urlencode({"text": caption, "url": url}),
    }


def _expanded_products(summaries, wanted: int | None) -> list[int]:
    """Products drawn in full: the first ones up to VARIANTS_ON_FIRST_VIEW variants (at least one), and the one asked for."""
    expanded, drawn = [], 0
    for summary in summaries:
        if expanded and drawn + summary.variants > VARIANTS_ON_FIRST_VIEW:
            break
        expanded.append(summary.product_id)
        drawn += summary.variants
    if wanted is not None and wanted not in expanded and any(s.product_id == wanted for s in summaries):
        expanded.append(wanted)
    return expanded


@require_safe
def campaign_detail(request, slug):
    raw = request.GET.get("produk", "")
    wanted = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
    sold_out = request.GET.get(SOLD_OUT_PARAMETER, "")

    def render_page(csrf_token):
        now = timezone.now()
        campaign = campaign_get_for_page(slug=slug)
        (card,) = _cards([campaign], now)
        summaries = campaign_product_summaries(campaign=campaign)
        expanded = _expanded_products(summaries, wanted)
        url = request.build_absolute_uri(campaign.get_absolute_url())
        caption = render_to_string("campaigns/share_caption.txt", {"card": card}, request=request).strip()
        context = {
            "card": card,
            "campaign": campaign,
            "offers": campaign_offers_for(campaign=campaign, product_ids=expanded),
            "folded": [summary for summary in summaries if summary.product_id not in expanded],
            "updates": list(campaign.updates.all()),
            "share_url": url,
            "share_caption": caption,
            "share_links": _share_links(url=url, caption=caption),
            "og_image_url": request.build_absolute_uri(card.cover_image.url) if card.cover_image else "",
        }
        notice = sold_out_notice(campaign=campaign, raw=sold_out) if sold_out else None
        # A coming PO's page has a form ("Ingatkan saya"): cached, it holds the stand-in token that each
        # visitor's answer replaces with their own (catalog.page_cache), so it is no longer one for a proxy.
        body_context = context if csrf_token is None else {**context, "csrf_token": csrf_token}
        page = {
            "notices": [notice] if notice else [],
            "title": campaign.title,
            "description": caption,
            "meta": render_to_string("campaigns/_campaign_meta.html", context, request=request),
            "body": render_to_string("campaigns/_campaign_body.html", body_context, request=request),
        }
        return page_render(request, "campaigns/campaign_detail.html", page, csrf_token)

    return whole_page(request, page_key(request, f"campaign:{slug}"), render_page)
