import datetime
import re

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.images import image_renditions_make
from catalog.models import Variant
from catalog.page_cache import pages_changed

from .exceptions import CampaignError, CampaignStageMoveNotAllowed
from .models import Campaign, CampaignItem, CampaignUpdate, PostageRate

Stage = Campaign.Stage

# The one table of moves. Each move is made by the service named for its step: campaign_publish and
# campaign_back_to_draft here; closing, failing, production, shipping, completing and cancelling in
# fulfilment.services, which count the orders and then record the move with campaign_mark_*.
ALLOWED_STAGE_MOVES: dict[str, set[str]] = {
    Stage.DRAFT: {Stage.PUBLISHED, Stage.CANCELLED},
    Stage.PUBLISHED: {Stage.DRAFT, Stage.TALLYING, Stage.CANCELLED, Stage.FAILED},
    Stage.TALLYING: {Stage.IN_PRODUCTION, Stage.CANCELLED},
    Stage.IN_PRODUCTION: {Stage.SHIPPING, Stage.CANCELLED},
    Stage.SHIPPING: {Stage.COMPLETED},
    Stage.COMPLETED: set(),
    Stage.CANCELLED: set(),
    Stage.FAILED: set(),
}


def _stage_move(*, campaign: Campaign, to_stage: str, now: datetime.datetime) -> Campaign:
    """The raw stage setter, private to this module: lock the campaign, check the move against the
    table and the clock, and set it. Each step is a named service below."""
    campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
    if to_stage not in ALLOWED_STAGE_MOVES[campaign.stage]:
        raise CampaignStageMoveNotAllowed(campaign=campaign, to_stage=to_stage)
    status = campaign.status_at(now)
    if to_stage in (Stage.TALLYING, Stage.FAILED) and status != Campaign.Status.CLOSED:
        raise CampaignStageMoveNotAllowed(
            campaign=campaign, to_stage=to_stage, reason=_("Only a PO whose window has ended is closed.")
        )
    if to_stage == Stage.CANCELLED and campaign.units_reserved:
        # Orders still hold units (and maybe money): fulfilment's campaign_cancel ends them with refunds first.
        raise CampaignStageMoveNotAllowed(
            campaign=campaign, to_stage=to_stage, reason=_("It has orders: cancel it with refunds for every buyer.")
        )
    campaign.stage = to_stage
    campaign.save(update_fields=["stage"])
    transaction.on_commit(pages_changed)
    return campaign


@transaction.atomic
def campaign_publish(*, campaign: Campaign, now: datetime.datetime) -> Campaign:
    """Publish a draft: it shows as coming soon until it opens, then takes orders until it closes."""
    locked = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
    if locked.stage == Stage.DRAFT and locked.closes_at <= now:
        raise CampaignStageMoveNotAllowed(
            campaign=locked, to_stage=Stage.PUBLISHED, reason=_("Its window has already ended; set new dates first.")
        )
    if locked.stage == Stage.DRAFT and not locked.items.exists():
        raise CampaignStageMoveNotAllowed(
            campaign=locked, to_stage=Stage.PUBLISHED, reason=_("Add at least one item before publishing.")
        )
    return _stage_move(campaign=locked, to_stage=Stage.PUBLISHED, now=now)


@transaction.atomic
def campaign_back_to_draft(*, campaign: Campaign, now: datetime.datetime) -> Campaign:
    """Take a published PO that has not opened yet off the shop again."""
    locked = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
    if locked.stage == Stage.PUBLISHED and locked.status_at(now) != Campaign.Status.COMING_SOON:
        raise CampaignStageMoveNotAllowed(
            campaign=locked,
            to_stage=Stage.DRAFT,
            reason=_("Only a campaign that has not opened yet goes back to draft."),
        )
    return _stage_move(campaign=locked, to_stage=Stage.DRAFT, now=now)


# The steps after the window. Each records one move of the table and nothing else; the rules that
# need the orders (the goal, the tally, refunds, every order ended) are fulfilment's, whose service
# of the same step calls these with the campaign locked. Only fulfilment's services call them
# (tests/test_architecture.py checks).


def campaign_mark_tallying(*, campaign: Campaign, now: datetime.datetime) -> Campaign:
    return _stage_move(campaign=campaign, to_stage=Stage.TALLYING, now=now)


def campaign_mark_failed(*, campaign: Campaign, now: datetime.datetime) -> Campaign:
    return _stage_move(campaign=campaign, to_stage=Stage.FAILED, now=now)


def campaign_mark_in_production(*, campaign: Campaign, now: datetime.datetime) -> Campaign:
    return _stage_move(campaign=campaign, to_stage=Stage.IN_PRODUCTION, now=now)


def campaign_mark_shipping(*, campaign: Campaign, now: datetime.datetime) -> Campaign:
    return _stage_move(campaign=campaign, to_stage=Stage.SHIPPING, now=now)


def campaign_mark_completed(*, campaign: Campaign, now: datetime.datetime) -> Campaign:
    return _stage_move(campaign=campaign, to_stage=Stage.COMPLETED, now=now)


def campaign_mark_cancelled(*, campaign: Campaign, now: datetime.datetime) -> Campaign:
    return _stage_move(campaign=campaign, to_stage=Stage.CANCELLED, now=now)


def campaign_ship_date_check(day: datetime.date | None, *, now: datetime.datetime) -> None:
    """Raise CampaignError for a new ship date already past in the shop's calendar."""
    if day and day < timezone.localdate(now):
        raise CampaignError(_("The new ship date is in the past."))


@transaction.atomic
def campaign_update_post(
    *,
    campaign: Campaign,
    message: str,
    new_estimated_ship_date: datetime.date | None,
    posted_by=None,
    now: datetime.datetime,
) -> CampaignUpdate:
    """Record an update for buyers; a new ship date replaces the campaign's estimate."""
    campaign_ship_date_check(new_estimated_ship_date, now=now)
    campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
    update = CampaignUpdate.objects.create(
        campaign=campaign,
        message=message,
        new_estimated_ship_date=new_estimated_ship_date,
        previous_estimated_ship_date=campaign.estimated_ship_date if new_estimated_ship_date else None,
        posted_at=now,
        posted_by=posted_by,
    )
    if new_estimated_ship_date and new_estimated_ship_date != campaign.estimated_ship_date:
        campaign.estimated_ship_date = new_estimated_ship_date
        campaign.save(update_fields=["estimated_ship_date"])
    transaction.on_commit(pages_changed)
    return update


@transaction.atomic
def campaign_items_add_variants(*, campaign: Campaign, variants: list[Variant]) -> int:
    """Add the variants not yet in the campaign, priced as in the catalog."""
    present = set(campaign.items.values_list("variant_id", flat=True))
    position = campaign.items.count()
    new_items = []
    for variant in variants:
        if variant.pk in present or not variant.is_active:
            continue
        new_items.append(
            CampaignItem(campaign=campaign, variant=variant, price_idr=variant.unit_price_idr, position=position)
        )
        present.add(variant.pk)
        position += 1
    CampaignItem.objects.bulk_create(new_items)
    transaction.on_commit(pages_changed)
    return len(new_items)


# What a copy does not take from the PO it copies: who it is, where it stands, and its counters.
_NOT_COPIED = {
    "id",
    "title",
    "slug",
    "stage",
    "opens_at",
    "closes_at",
    "units_reserved",
    "close_processed_at",
    "created_at",
}
_BATCH_NUMBER = re.compile(r"\b(batch)\s+(\d+)\s*$", re.IGNORECASE)


def campaign_next_batch_title(title: str) -> str:
    """ "PO Kemeja Batch 3" -> "PO Kemeja Batch 4"; a title without a number gets " Batch 2"."""
    match = _BATCH_NUMBER.search(title)
    if match:
        return f"{title[: match.start()]}{match.group(1)} {int(match.group(2)) + 1}"
    return f"{title} Batch 2"[:150]


def _free_slug(title: str) -> str:
    base = slugify(title)[:160] or "po"
    slug, number = base, 2
    while Campaign.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def campaign_copy_as_draft(
    *, campaign: Campaign, title: str, opens_at: datetime.datetime, closes_at: datetime.datetime
) -> Campaign:
    """A draft copy of a PO in a new window: its items (variants, prices, quotas, order), terms and postage
    rates. The ship date and the balance due date move with the window's end; nothing is sold or counted
    yet, and the seller publishes it when ready (CampaignError for a window that ends before it opens)."""
    if closes_at <= opens_at:
        raise CampaignError(_("The new window must close after it opens."))
    shift = timezone.localdate(closes_at) - timezone.localdate(campaign.closes_at)  # days as the shop counts them
    copy = Campaign(
        **{
            field.attname: getattr(campaign, field.attname)
            for field in Campaign._meta.concrete_fields
            if field.name not in _NOT_COPIED
        }
    )
    copy.title = title.strip()[:150] or campaign_next_batch_title(campaign.title)
    copy.slug = _free_slug(copy.title)
    copy.stage = Stage.DRAFT
    copy.opens_at, copy.closes_at = opens_at, closes_at
    copy.estimated_ship_date = campaign.estimated_ship_date + shift
    if campaign.balance_due_date:
        copy.balance_due_date = campaign.balance_due_date + shift
    copy.save()
    CampaignItem.objects.bulk_create(
        CampaignItem(
            campaign=copy,
            variant_id=item.variant_id,
            price_idr=item.price_idr,
            quota=item.quota,
            position=item.position,
        )
        for item in campaign.items.order_by("position", "pk")
    )
    PostageRate.objects.bulk_create(
        PostageRate(campaign=copy, province=rate.province, flat_idr=rate.flat_idr, per_kg_idr=rate.per_kg_idr)
        for rate in campaign.postage_rates.all()
    )
    return copy


def campaign_image_renditions_make(*, campaign: Campaign) -> list[int]:
    widths = image_renditions_make(campaign.image)
    Campaign.objects.filter(pk=campaign.pk).update(image_rendition_widths=widths)
    campaign.image_rendition_widths = widths
    return widths
