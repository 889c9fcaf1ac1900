"""The next batch in one step: a draft copy of a PO in a new window, carrying over the demand it left
unmet (its waitlist, and those who asked to be reminded but did not order), each told once when the
new batch opens (by the opening job, demand.services.interests_notify_opened)."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.exceptions import CampaignError
from campaigns.models import Campaign
from campaigns.services import campaign_copy_as_draft
from orders.locks import rows_lock
from orders.models import Order

from .models import Interest, InterestLine, NextBatch


def _unmet(campaign: Campaign) -> list[Interest]:
    """The buyers whose want the PO left unmet, oldest first: on its waitlist and not stopped (a waitlisted
    buyer told of units who then ordered is met), or asked to be reminded and never ordered."""
    entries = list(
        Interest.objects.filter(campaign=campaign, stopped_at__isnull=True)
        .prefetch_related("lines__campaign_item")
        .order_by("created_at", "pk")
    )
    ordered: dict[str, list[datetime.datetime]] = {}
    for phone, created_at in Order.objects.filter(
        campaign=campaign, status__in=Order.LIVE_STATUSES, phone__in={entry.phone for entry in entries}
    ).values_list("phone", "created_at"):
        ordered.setdefault(phone, []).append(created_at)
    unmet = []
    for entry in entries:
        orders_at = ordered.get(entry.phone, [])
        if entry.kind == Interest.Kind.OPENING and orders_at:
            continue
        if entry.kind == Interest.Kind.WAITLIST and any(at >= entry.created_at for at in orders_at):
            continue
        unmet.append(entry)
    return unmet


@transaction.atomic
def campaign_next_batch_open(
    *, campaign: Campaign, title: str, opens_at: datetime.datetime, closes_at: datetime.datetime, now
) -> NextBatch:
    """Make the next batch of a PO as a draft (campaigns.services.campaign_copy_as_draft) and carry its
    unmet demand over as "remind me when it opens": one entry per number, with the variants wanted
    (the larger quantity where a number asked twice), their e-mail and language. The seller checks the
    draft, sets the quotas (the campaign's page suggests them) and publishes it."""
    # Once per PO: a second "next batch" of the same one would carry and tell the same buyers again.
    campaign = rows_lock(campaign_ids=[campaign.pk]).campaign
    made = NextBatch.objects.filter(previous=campaign).select_related("campaign").first()
    if made:
        raise CampaignError(
            _("%(title)s already has its next batch, %(next)s: open the batch after it from that one.")
            % {"title": campaign.title, "next": made.campaign.title}
        )
    copy = campaign_copy_as_draft(campaign=campaign, title=title, opens_at=opens_at, closes_at=closes_at)
    items_by_variant = dict(copy.items.values_list("variant_id", "pk"))
    carried: dict[str, dict] = {}
    waitlisted: set[str] = set()
    for entry in _unmet(campaign):
        row = carried.setdefault(
            entry.phone,
            {"email": "", "language": entry.language, "client_key": entry.client_key, "lines": {}},
        )
        row["email"] = row["email"] or entry.email
        if entry.kind == Interest.Kind.WAITLIST:
            waitlisted.add(entry.phone)
        for line in entry.lines.all():
            item_id = items_by_variant.get(line.campaign_item.variant_id)
            if item_id:
                row["lines"][item_id] = max(row["lines"].get(item_id, 0), line.quantity)
    made = Interest.objects.bulk_create(
        Interest(
            campaign=copy,
            kind=Interest.Kind.OPENING,
            phone=phone,
            email=row["email"],
            language=row["language"],
            client_key=row["client_key"],
            carried_from=campaign,
            created_at=now,
            updated_at=now,
        )
        for phone, row in carried.items()
    )
    if not all(interest.pk for interest in made):  # backends that do not return keys from a bulk insert
        made = list(Interest.objects.filter(campaign=copy).order_by("pk"))
    by_phone = {interest.phone: interest for interest in made}
    InterestLine.objects.bulk_create(
        InterestLine(interest=by_phone[phone], campaign_item_id=item_id, quantity=quantity)
        for phone, row in carried.items()
        for item_id, quantity in sorted(row["lines"].items())
    )
    return NextBatch.objects.create(
        campaign=copy,
        previous=campaign,
        waitlist_carried=len(waitlisted),
        interest_carried=len(carried) - len(waitlisted),
        created_at=now,
    )
