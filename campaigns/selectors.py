import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, IntegerField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Greatest
from django.shortcuts import get_object_or_404

from catalog.models import OptionValue, Product, ProductImage

from .models import Campaign, CampaignItem, CampaignUpdate

Stage = Campaign.Stage
RECENTLY_CLOSED_DAYS = 30


def _items_on_sale() -> QuerySet[CampaignItem]:
    """Items buyers see: a variant or product the seller switched off is not sold."""
    return CampaignItem.objects.on_sale().select_related("variant__product").order_by("position", "pk")


def campaign_list_open(*, now: datetime.datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(stage=Stage.PUBLISHED, opens_at__lte=now, closes_at__gt=now).order_by("closes_at")


def campaign_list_coming_soon(*, now: datetime.datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(stage=Stage.PUBLISHED, opens_at__gt=now).order_by("opens_at")


def campaign_list_recently_closed(*, now: datetime.datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(
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


@dataclass
class ProductOffer:
    """One product of a campaign with the items (variants) it sells."""

    product: Product
    items: list[CampaignItem] = field(default_factory=list)

    @property
    def images(self) -> list[ProductImage]:
        return list(self.product.images.all())

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
    """A campaign buyers may see (not a draft), with its updates; items come per product (campaign_offers_for)."""
    return get_object_or_404(
        Campaign.objects.exclude(stage=Stage.DRAFT).prefetch_related(
            Prefetch("updates", queryset=CampaignUpdate.objects.order_by("-posted_at", "-pk")),
        ),
        slug=slug,
    )


@dataclass(frozen=True)
class CardFacts:
    lowest_price_idr: int | None
    units_left: int | None
    cover_image: object  # a FieldFile, or None


def campaign_card_facts(*, campaigns: list[Campaign]) -> dict[int, CardFacts]:
    """Lowest price, units left and cover picture per campaign, by aggregation: two queries
    however many items the campaigns have."""
    if not campaigns:
        return {}
    on_sale = CampaignItem.objects.on_sale_condition("items__")
    limited = on_sale & Q(items__quota__isnull=False)
    # The first picture of the first product on sale.
    first_image = (
        CampaignItem.objects.on_sale()
        .filter(campaign=OuterRef("pk"), variant__product__images__isnull=False)
        .order_by("position", "variant__product__images__position", "variant__product__images__pk")
    )
    rows = (
        Campaign.objects.filter(pk__in=[campaign.pk for campaign in campaigns])
        .annotate(
            lowest=Min("items__price_idr", filter=on_sale),
            item_count=Count("items", filter=on_sale),
            unlimited=Count("items", filter=on_sale & Q(items__quota__isnull=True)),
            limited_left=Sum(
                Greatest(F("items__quota") - F("items__units_reserved"), 0), filter=limited, output_field=IntegerField()
            ),
            image_name=Subquery(first_image.values("variant__product__images__image")[:1]),
            image_widths=Subquery(first_image.values("variant__product__images__rendition_widths")[:1]),
        )
        .values("pk", "lowest", "item_count", "unlimited", "limited_left", "image_name", "image_widths")
    )
    by_pk = {campaign.pk: campaign for campaign in campaigns}
    facts = {}
    for row in rows:
        campaign = by_pk[row["pk"]]
        items_left = None if row["unlimited"] or not row["item_count"] else (row["limited_left"] or 0)
        if campaign.units_left is not None:
            left = campaign.units_left if items_left is None else min(campaign.units_left, items_left)
        else:
            left = items_left
        if campaign.image:
            cover = campaign.image
        elif row["image_name"]:
            cover = ProductImage(image=row["image_name"], rendition_widths=row["image_widths"] or []).image
        else:
            cover = None
        facts[campaign.pk] = CardFacts(lowest_price_idr=row["lowest"], units_left=left, cover_image=cover)
    return facts


@dataclass(frozen=True)
class ProductSummary:
    product_id: int
    name: str
    variants: int
    lowest_price_idr: int


def campaign_product_summaries(*, campaign: Campaign) -> list[ProductSummary]:
    """The campaign's products in item order, with how many variants each sells: one query."""
    rows = (
        _items_on_sale()
        .filter(campaign=campaign)
        .values("variant__product_id", "variant__product__name")
        .annotate(variants=Count("pk"), lowest=Min("price_idr"), first=Min("position"))
        .order_by("first", "variant__product_id")
    )
    return [
        ProductSummary(
            product_id=row["variant__product_id"],
            name=row["variant__product__name"],
            variants=row["variants"],
            lowest_price_idr=row["lowest"],
        )
        for row in rows
    ]


def campaign_item_on_sale(*, campaign: Campaign, item_id: int) -> CampaignItem | None:
    """One of the campaign's items buyers see, with its variant's name and options; None if not one."""
    return _items_on_sale().filter(campaign=campaign, pk=item_id).prefetch_related("variant__option_values").first()


def campaign_offers_for(*, campaign: Campaign, product_ids: list[int]) -> list[ProductOffer]:
    """The offers of some of the campaign's products, with what their pickers show."""
    items = (
        _items_on_sale()
        .filter(campaign=campaign, variant__product_id__in=product_ids)
        .prefetch_related(
            Prefetch(
                "variant__option_values",
                queryset=OptionValue.objects.select_related("option_type").order_by(
                    "option_type__position", "option_type_id", "position", "pk"
                ),
            ),
            Prefetch("variant__product__images", queryset=ProductImage.objects.order_by("position", "pk")),
        )
    )
    offers: dict[int, ProductOffer] = {}
    for item in items:
        item.campaign = campaign  # units_left reads the campaign's quota: no query per item
        offers.setdefault(item.variant.product_id, ProductOffer(product=item.variant.product)).items.append(item)
    return [offers[product_id] for product_id in product_ids if product_id in offers]
