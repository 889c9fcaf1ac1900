import datetime
import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404

from campaigns.models import Campaign, CampaignItem, CampaignUpdate

from .models import BankAccount, Message, Order, OrderEvent, OrderLine
from .prepared import execute_prepared, model_from_row, rows_named

Status = Order.Status


def order_queryset_for_buyer() -> QuerySet[Order]:
    return Order.objects.select_related("campaign").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
        Prefetch("events", queryset=OrderEvent.objects.order_by("at", "pk")),
        Prefetch("campaign__updates", queryset=CampaignUpdate.objects.order_by("-posted_at", "-pk")),
    )


def order_get_for_buyer(*, token: str) -> Order:
    """The order behind a private link, with all its page shows; 404 for any other token."""
    return get_object_or_404(order_queryset_for_buyer(), token=token)


def bank_account_list_active() -> list[BankAccount]:
    return list(BankAccount.objects.filter(is_active=True))


def checkout_campaign_and_units(*, slug: str, item_ids) -> tuple[Campaign | None, dict[int, CampaignItem]]:
    """The PO at `slug` unless a draft, every field read now, and its items among `item_ids` with their units
    only (quota, units reserved; the rest is loaded if asked for): one query, checkout's first.
    (None, {}) when there is no such PO."""
    ids = [int(item_id) for item_id in item_ids] or [0]  # no item has id 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            execute_prepared(
                cursor,
                "checkout_campaign",
                _checkout_campaign_types(),
                _checkout_campaign_sql("= ANY($1)", "$2", "$3"),
                [ids, slug, Campaign.Stage.DRAFT],
            )
        else:
            cursor.execute(
                _checkout_campaign_sql(f"IN ({', '.join(['%s'] * len(ids))})", "%s", "%s"),
                [*ids, slug, Campaign.Stage.DRAFT],
            )
        rows = rows_named(cursor)
    if not rows:
        return None, {}
    campaign = model_from_row(Campaign, rows[0])
    items = {}
    for row in rows:
        if row["item_id"] is not None:  # None: no item asked for is this PO's
            item = CampaignItem.from_db(
                connection.alias,
                ["id", "campaign_id", "quota", "units_reserved"],
                [row["item_id"], campaign.pk, row["item_quota"], row["item_units_reserved"]],
            )
            item.campaign = campaign
            items[item.pk] = item
    return campaign, items


@functools.cache
def _checkout_campaign_types() -> list[str]:
    """The prepared query's argument types: the items' ids, the PO's slug and its stage."""
    return ["bigint[]", *(Campaign._meta.get_field(name).db_type(connection) for name in ("slug", "stage"))]


@functools.lru_cache(maxsize=64)
def _checkout_campaign_sql(item_ids: str, slug: str, stage: str) -> str:
    """The checkout's first query (prepared on PostgreSQL) with these placeholders: the PO's every column,
    then its items' id, quota and units reserved (as item_id, item_quota, item_units_reserved)."""
    quote = connection.ops.quote_name
    columns = ", ".join(f"c.{quote(field.column)}" for field in Campaign._meta.concrete_fields)
    item_columns = ", ".join(
        f"i.{quote(name)} AS {quote('item_' + name)}" for name in ("id", "quota", "units_reserved")
    )
    return (
        f"SELECT {columns}, {item_columns}"  # noqa: S608
        f" FROM {quote(Campaign._meta.db_table)} c LEFT JOIN {quote(CampaignItem._meta.db_table)} i"
        f" ON i.{quote('campaign_id')} = c.{quote('id')} AND i.{quote('id')} {item_ids}"
        f" WHERE c.{quote('slug')} = {slug} AND c.{quote('stage')} <> {stage}"
    )


def checkout_items(*, campaign: Campaign, item_ids) -> dict[int, CampaignItem]:
    """The campaign's items on sale among `item_ids`, with what a checkout line shows."""
    return {
        item.pk: item
        for item in CampaignItem.objects.on_sale()
        .filter(campaign=campaign, pk__in=item_ids)
        .select_related("variant__product")
        .prefetch_related("variant__option_values")
    }


@dataclass
class VariantDemand:
    item: CampaignItem
    units_unpaid: int
    units_paid: int

    @property
    def units_left(self) -> int | None:
        return None if self.item.quota is None else self.item.quota - self.item.units_reserved


@dataclass
class DayDemand:
    day: datetime.date
    orders: int
    units: int


def campaign_demand(*, campaign: Campaign) -> tuple[list[VariantDemand], list[DayDemand]]:
    """Units ordered per variant (unpaid and paid) and orders per day, in three queries."""
    per_item = {
        row["campaign_item_id"]: row
        for row in OrderLine.objects.filter(order__campaign=campaign)
        .values("campaign_item_id")
        .annotate(
            unpaid=Sum("quantity", filter=Q(order__status=Status.PENDING_PAYMENT), default=0),
            paid=Sum("quantity", filter=Q(order__status__in=Order.PAID_STATUSES), default=0),
        )
    }
    items = (
        CampaignItem.objects.filter(campaign=campaign)
        .select_related("variant__product")
        .prefetch_related("variant__option_values")
    )
    variants = [
        VariantDemand(
            item=item,
            units_unpaid=per_item.get(item.pk, {}).get("unpaid", 0),
            units_paid=per_item.get(item.pk, {}).get("paid", 0),
        )
        for item in items.order_by("position", "pk")
    ]
    days = [
        DayDemand(day=row["day"], orders=row["orders"], units=row["units"])
        for row in Order.objects.filter(campaign=campaign)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(orders=Count("pk"), units=Sum("units"))
        .order_by("day")
    ]
    return variants, days


def order_list_for_admin(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.select_related("campaign")


def messages_whatsapp_only_waiting() -> QuerySet[Message]:
    """The messages whose buyer gave no e-mail, not yet sent on WhatsApp by the seller: the only way they
    reach their buyer is the seller's WhatsApp, so the admin shows them first and counts them in its header."""
    return Message.objects.filter(Message.WHATSAPP_ONLY_WAITING)
