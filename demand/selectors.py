"""What the seller reads of the interest in a PO."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from campaigns.models import Campaign, CampaignItem
from orders.models import Order

from .models import Interest


@dataclass(frozen=True)
class VariantInterest:
    item: CampaignItem
    buyers: int
    units: int


@dataclass(frozen=True)
class CampaignInterest:
    buyers: int  # asked and did not stop the messages
    told: int
    stopped: int
    bought: int  # of those who asked, how many have a live order in the PO (by WhatsApp number)
    variants: list[VariantInterest] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(row.units for row in self.variants)


def campaign_interest(*, campaign: Campaign) -> CampaignInterest:
    """The interest in a PO: how many asked, were told and stopped, how many of them bought, and per variant
    the buyers and units wanted (only the variants someone wants), in four queries."""
    interests = Interest.objects.filter(campaign=campaign)
    counts = interests.aggregate(
        buyers=Count("pk", filter=Q(stopped_at__isnull=True)),
        told=Count("pk", filter=Q(notified_at__isnull=False)),
        stopped=Count("pk", filter=Q(stopped_at__isnull=False)),
    )
    bought = (
        Order.objects.filter(campaign=campaign, status__in=Order.LIVE_STATUSES, phone__in=interests.values("phone"))
        .values("phone")
        .distinct()
        .count()
    )
    wanted = Q(interest_lines__interest__stopped_at__isnull=True)
    items = (
        CampaignItem.objects.filter(campaign=campaign, interest_lines__isnull=False)
        .annotate(
            buyers=Count("interest_lines", filter=wanted),
            units=Sum("interest_lines__quantity", filter=wanted, default=0),
        )
        .filter(units__gt=0)
        .select_related("variant__product")
        .prefetch_related("variant__option_values")
        .order_by("position", "pk")
    )
    return CampaignInterest(
        **counts,
        bought=bought,
        variants=[VariantInterest(item=item, buyers=item.buyers, units=item.units) for item in items],
    )
