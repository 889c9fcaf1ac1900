"""What the seller reads of the interest in a PO: asked before it opened (or carried over from the last
batch), and its waitlist once sold out."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from campaigns.models import Campaign, CampaignItem
from orders.models import Order

from .models import Interest

OPENING, WAITLIST = Interest.Kind.OPENING, Interest.Kind.WAITLIST


@dataclass(frozen=True)
class VariantInterest:
    item: CampaignItem
    buyers: int
    units: int  # wanted by those who asked to be reminded (for a next batch: the last batch's unmet demand)
    waitlist_units: int = 0  # wanted by those on the waitlist, not told yet

    @property
    def suggested_quota(self) -> int:
        return self.units + self.waitlist_units


@dataclass(frozen=True)
class CampaignInterest:
    buyers: int  # asked and did not stop the messages
    told: int
    stopped: int
    bought: int  # of those who asked, how many have a live order in the PO (by WhatsApp number)
    waiting: int = 0  # on the waitlist, not told yet
    waitlist_told: int = 0
    carried: int = 0  # of the buyers, carried over from the last batch
    variants: list[VariantInterest] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(row.units for row in self.variants)

    @property
    def waitlist_units(self) -> int:
        return sum(row.waitlist_units for row in self.variants)


def campaign_interest(*, campaign: Campaign) -> CampaignInterest:
    """The interest in a PO: how many asked, were told and stopped, how many of them bought, its waitlist,
    and per variant the buyers and units wanted (only the variants someone wants), in four queries."""
    interests = Interest.objects.filter(campaign=campaign)
    asked = Q(kind=OPENING)
    counts = interests.aggregate(
        buyers=Count("pk", filter=asked & Q(stopped_at__isnull=True)),
        told=Count("pk", filter=asked & Q(notified_at__isnull=False)),
        stopped=Count("pk", filter=Q(stopped_at__isnull=False)),
        carried=Count("pk", filter=asked & Q(carried_from__isnull=False, stopped_at__isnull=True)),
        waiting=Count("pk", filter=Q(kind=WAITLIST, notified_at__isnull=True, stopped_at__isnull=True)),
        waitlist_told=Count("pk", filter=Q(kind=WAITLIST, notified_at__isnull=False)),
    )
    bought = (
        Order.objects.filter(
            campaign=campaign, status__in=Order.LIVE_STATUSES, phone__in=interests.filter(asked).values("phone")
        )
        .values("phone")
        .distinct()
        .count()
    )
    live = Q(interest_lines__interest__stopped_at__isnull=True)
    wanted = live & Q(interest_lines__interest__kind=OPENING)
    waiting = live & Q(interest_lines__interest__kind=WAITLIST, interest_lines__interest__notified_at__isnull=True)
    items = (
        CampaignItem.objects.filter(campaign=campaign, interest_lines__isnull=False)
        .annotate(
            buyers=Count("interest_lines", filter=live),
            units=Sum("interest_lines__quantity", filter=wanted, default=0),
            waitlist_units=Sum("interest_lines__quantity", filter=waiting, default=0),
        )
        .filter(Q(units__gt=0) | Q(waitlist_units__gt=0))
        .select_related("variant__product")
        .prefetch_related("variant__option_values")
        .order_by("position", "pk")
    )
    return CampaignInterest(
        **counts,
        bought=bought,
        variants=[
            VariantInterest(item=item, buyers=item.buyers, units=item.units, waitlist_units=item.waitlist_units)
            for item in items
        ],
    )
