import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from catalog.models import OptionValue, Product, ProductImage

from .models import Campaign, CampaignItem, CampaignUpdate

Stage = Campaign.Stage
RECENTLY_CLOSED_DAYS = 30


def _items_on_sale() -> QuerySet[CampaignItem]:
    """Items buyers see: a variant or product the seller switched off is not sold."""
    return (
        CampaignItem.objects.filter(variant__is_active=True, variant__product__is_active=True)
        .select_related("variant__product")
        .order_by("position", "pk")
    )


def _with_items(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    items = _items_on_sale()
    images = ProductImage.objects.order_by("position", "pk")
    return queryset.prefetch_related(
        Prefetch("items", queryset=items),
        Prefetch("items__variant__product__images", queryset=images),
    )


def campaign_list_open(*, now: datetime.datetime) -> QuerySet[Campaign]:
    return _with_items(
        Campaign.objects.filter(stage=Stage.PUBLISHED, opens_at__lte=now, closes_at__gt=now).order_by("closes_at")
    )


def campaign_list_coming_soon(*, now: datetime.datetime) -> QuerySet[Campaign]:
    return _with_items(Campaign.objects.filter(stage=Stage.PUBLISHED, opens_at__gt=now).order_by("opens_at"))


def campaign_list_recently_closed(*, now: datetime.datetime) -> QuerySet[Campaign]:
    return _with_items(
        Campaign.objects.filter(
            stage__in=[
                Stage.PUBLISHED,
                Stage.TALLYING,
                Stage.IN_PRODUCTION,
                Stage.SHIPPING,
                Stage.COMPLETED,
                Stage.FAILED,
            ],
            closes_at__lte=now,
            closes_at__gt=now - datetime.timedelta(days=RECENTLY_CLOSED_DAYS),
        ).order_by("-closes_at")
    )


@dataclass
class ProductOffer:
    """One product of a campaign with the items (variants) it sells."""

    product: Product
    items: list[CampaignItem] = field(default_factory=list)

    @property
    def images(self) -> list[ProductImage]:
        return list(self.product.images.all())

    @property
    def lowest_price_idr(self) -> int:
        return min(item.price_idr for item in self.items)

    @property
    def grid(self) -> "VariantGrid | None":
        """For a product with exactly two options: rows of the first, columns of the second."""
        option_sets = [list(item.variant.option_values.all()) for item in self.items]
        if not option_sets or any(len(values) != 2 for values in option_sets):
            return None
        rows, columns, cells = {}, {}, {}
        for item, (row_value, column_value) in zip(self.items, option_sets, strict=True):
            rows.setdefault(row_value.value, (row_value.position, row_value.pk))
            columns.setdefault(column_value.value, (column_value.position, column_value.pk))
            cells[(row_value.value, column_value.value)] = item
        row_names = sorted(rows, key=rows.get)
        column_names = sorted(columns, key=columns.get)
        first = option_sets[0]
        return VariantGrid(
            row_option=first[0].option_type.name,
            column_option=first[1].option_type.name,
            columns=column_names,
            rows=[(row, [cells.get((row, column)) for column in column_names]) for row in row_names],
        )


@dataclass
class VariantGrid:
    row_option: str
    column_option: str
    columns: list[str]
    rows: list[tuple[str, list]]  # (row value, [item or None per column])


def campaign_get_for_page(*, slug: str) -> Campaign:
    """A campaign buyers may see (not a draft), with everything its page shows."""
    items = _items_on_sale()
    return get_object_or_404(
        Campaign.objects.exclude(stage=Stage.DRAFT).prefetch_related(
            Prefetch("items", queryset=items),
            Prefetch(
                "items__variant__option_values",
                queryset=OptionValue.objects.select_related("option_type").order_by(
                    "option_type__position", "option_type_id", "position", "pk"
                ),
            ),
            Prefetch("items__variant__product__images", queryset=ProductImage.objects.order_by("position", "pk")),
            Prefetch("updates", queryset=CampaignUpdate.objects.order_by("-posted_at", "-pk")),
        ),
        slug=slug,
    )


def campaign_offers(*, campaign: Campaign) -> list[ProductOffer]:
    """The campaign's items grouped by product, in item order (uses prefetched items)."""
    offers: dict[int, ProductOffer] = {}
    for item in campaign.items.all():
        product = item.variant.product
        offers.setdefault(product.pk, ProductOffer(product=product)).items.append(item)
    return list(offers.values())


def campaign_cover_image(campaign: Campaign):
    """The campaign's own image, else the first product photo (uses prefetched items)."""
    if campaign.image:
        return campaign.image
    for item in campaign.items.all():
        images = list(item.variant.product.images.all())
        if images:
            return images[0].image
    return None


def campaign_lowest_price_idr(campaign: Campaign) -> int | None:
    prices = [item.price_idr for item in campaign.items.all()]
    return min(prices) if prices else None


def campaign_units_left(campaign: Campaign) -> int | None:
    """Units still to be had across the campaign, or None when nothing limits them."""
    item_lefts = [item.units_left_in(campaign) for item in campaign.items.all()]
    if campaign.units_left is not None:
        return (
            campaign.units_left if None in item_lefts or not item_lefts else min(campaign.units_left, sum(item_lefts))
        )
    if item_lefts and None not in item_lefts:
        return sum(item_lefts)
    return None
