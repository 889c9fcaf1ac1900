"""The waitlist of a sold-out PO or variant ("Kabari saya kalau ada"): buyers join in a queue, and when
units come back on sale (an order expired or was cancelled) the first of them in join order are told,
one message each, enough of them for the units that came back. Nothing is held for them: the message's
link takes them to the checkout, first come first served.

Each release is an order's "expired" or "cancelled" event; its Release row is unique per event, so a
release is handled once whatever runs at the same time. A buyer is told once; one who is told and still
wants the variant joins again, at the end of the queue.
"""

import datetime
from collections import defaultdict

from django.db import IntegrityError, connection, transaction
from django.db.models import Min
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignItem
from orders.checkout import phone_normalise
from orders.exceptions import InvalidOrder
from orders.forms import MAX_QUANTITY_PER_LINE
from orders.locks import rows_lock
from orders.models import Order, OrderEvent, OrderLine
from orders.outbox import message_build, messages_queue_bulk

from .exceptions import InterestInvalid, WaitlistNotTaken
from .models import Interest, InterestLine, Release
from .services import UNITS_BACK, interest_cap_check, interest_create, interest_lines_replace, interest_message_key

# Releases handled in one transaction by the job: each batch commits (and is sent) on its own.
RELEASE_BATCH = 200


def _items_left(campaign: Campaign) -> dict[int, int | None]:
    """{campaign item id: units left now (None: no limit)} of the items on sale."""
    items = CampaignItem.objects.on_sale().filter(campaign=campaign).order_by("position", "pk")
    return {item.pk: item.units_left_in(campaign) for item in items}


def waitlist_join(
    *,
    campaign: Campaign,
    phone: str,
    email: str,
    wanted: dict[int, int],
    client_key: str,
    now: datetime.datetime,
    language: str = "id",
) -> tuple[Interest, bool]:
    """Put this WhatsApp number on the waitlist of the sold-out variants it wants ({campaign item id:
    quantity}); with none chosen, of any variant of a PO sold out as a whole. (the entry, True when new).

    Once per number and PO: joined again while waiting, the entry keeps its place and takes the variants
    given; joined again after being told (or after stopping the messages), it goes to the end of the queue.
    Only an open PO takes it, and only for what is sold out now (WaitlistNotTaken); the number is checked
    as at checkout and one client adds at most INTEREST_PER_CLIENT numbers per PO (InterestInvalid,
    InterestCapReached). The campaign is not locked, so no checkout waits for the waitlist.
    """
    try:
        phone = phone_normalise(phone)
    except InvalidOrder as error:
        raise InterestInvalid(str(error)) from error
    email = email.strip().lower()
    if any(not 0 < quantity <= MAX_QUANTITY_PER_LINE for quantity in wanted.values()):
        raise InterestInvalid(
            _("Give a quantity from 1 to %(most)d for each variant you want.") % {"most": MAX_QUANTITY_PER_LINE}
        )
    campaign = Campaign.objects.get(pk=campaign.pk)
    if campaign.status_at(now) != Campaign.Status.OPEN:
        raise WaitlistNotTaken(_("This PO is not open; the waitlist is only for a PO that sold out while open."))
    left = _items_left(campaign)
    if any(item_id not in left for item_id in wanted):
        raise InterestInvalid(_("A chosen variant is not sold in this PO; choose again."))
    if any(left[item_id] != 0 for item_id in wanted):
        raise WaitlistNotTaken(_("A variant you chose is still on sale: order it now."))
    if not wanted and any(units != 0 for units in left.values()):
        raise WaitlistNotTaken(_("Choose the sold-out variant you want to be told about."))
    try:
        with transaction.atomic():
            return _entry_save(campaign, phone, email, wanted, client_key, now, language)
    except IntegrityError:
        # The same number joined from a second tab in the same moment: the other request made the entry.
        with transaction.atomic():
            return _entry_save(campaign, phone, email, wanted, client_key, now, language)


def _client_lock(*, campaign_id: int, client_key: str) -> None:
    """Hold this client's joins to this PO one at a time until COMMIT, so its cap counts every entry. Not the
    campaign's row: checkouts would wait for it in a rush. On PostgreSQL a transaction-scoped advisory lock;
    SQLite runs one writer at a time anyway."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [campaign_id, client_key])


def _entry_save(campaign, phone, email, wanted, client_key, now, language) -> tuple[Interest, bool]:
    entry = (
        Interest.objects.select_for_update().filter(campaign=campaign, kind=Interest.Kind.WAITLIST, phone=phone).first()
    )
    created = entry is None
    if created:
        if client_key:
            _client_lock(campaign_id=campaign.pk, client_key=client_key)
        interest_cap_check(campaign=campaign, client_key=client_key)
        entry = interest_create(
            campaign=campaign,
            kind=Interest.Kind.WAITLIST,
            phone=phone,
            email=email,
            language=language,
            client_key=client_key,
            now=now,
        )
    else:
        if entry.notified_at or entry.stopped_at:
            entry.created_at = now  # told (or stopped) already: back in the queue, at its end
        entry.email = email or entry.email
        entry.language = language
        entry.updated_at = now
        entry.notified_at = entry.stopped_at = None
        entry.save(update_fields=["email", "language", "created_at", "updated_at", "notified_at", "stopped_at"])
    interest_lines_replace(interest=entry, wanted=wanted)
    return entry, created


def _waiting(campaign_id: int):
    return Interest.objects.filter(
        campaign_id=campaign_id, kind=Interest.Kind.WAITLIST, notified_at__isnull=True, stopped_at__isnull=True
    )


def waitlists_notify_released(*, now: datetime.datetime) -> int:
    """Handle every release not handled yet in the open POs with buyers waiting: tell the first of them,
    in join order, that units came back (one message each, through the outbox), and mark them told.
    Returns the messages written. Safe to run twice or at the same time (a release is handled once)."""
    waiting_since = dict(
        Interest.objects.filter(
            kind=Interest.Kind.WAITLIST,
            notified_at__isnull=True,
            stopped_at__isnull=True,
            campaign__stage=Campaign.Stage.PUBLISHED,
            campaign__opens_at__lte=now,
            campaign__closes_at__gt=now,
        )
        .values("campaign_id")
        .annotate(since=Min("created_at"))
        .values_list("campaign_id", "since")
    )
    written = 0
    for campaign_id, since in sorted(waiting_since.items()):
        while True:
            event_ids = list(
                OrderEvent.objects.filter(
                    order__campaign_id=campaign_id,
                    to_status__in=Order.CLOSED_UNFILLED_STATUSES,
                    at__gte=since,
                    at__lte=now,
                )
                .exclude(pk__in=Release.objects.filter(campaign_id=campaign_id).values("event_id"))
                .order_by("pk")
                .values_list("pk", flat=True)[:RELEASE_BATCH]
            )
            if not event_ids:
                break
            for event_id in event_ids:
                written += _release_handle(event_id=event_id, campaign_id=campaign_id, now=now)
    return written


def _release_handle(*, event_id: int, campaign_id: int, now: datetime.datetime) -> int:
    event = OrderEvent.objects.get(pk=event_id)
    released: dict[int, int] = defaultdict(int)
    for item_id, quantity in OrderLine.objects.filter(order_id=event.order_id).values_list(
        "campaign_item_id", "quantity"
    ):
        released[item_id] += quantity
    try:
        with transaction.atomic():
            # Written first: a second run handling the same release waits here, then is refused.
            release = Release.objects.create(
                event_id=event_id, campaign_id=campaign_id, units=sum(released.values()), handled_at=now
            )
            campaign = Campaign.objects.get(pk=campaign_id)
            if campaign.status_at(now) != Campaign.Status.OPEN:
                return 0
            left = _items_left(campaign)
            # What came back and is still to be had: a unit bought again meanwhile is nobody's to tell of.
            remaining = {
                item_id: units if left.get(item_id) is None else min(units, left[item_id])
                for item_id, units in released.items()
                if item_id in left
            }
            remaining = {item_id: units for item_id, units in remaining.items() if units > 0}
            told = _tell_in_order(campaign=campaign, release=release, event=event, remaining=remaining, now=now)
            if told:
                Release.objects.filter(pk=release.pk).update(told=told)
            return told
    except IntegrityError:
        return 0  # handled by another run


def _tell_in_order(*, campaign, release, event, remaining: dict[int, int], now) -> int:
    if not remaining:
        return 0
    queue = _waiting(campaign.pk).filter(created_at__lte=event.at).order_by("created_at", "pk")
    (entries,) = rows_lock(with_campaigns=False, then=[queue]).then
    entries = sorted(
        (entry for entry in entries if entry.notified_at is None and entry.stopped_at is None),
        key=lambda entry: (entry.created_at, entry.pk),
    )
    lines = defaultdict(dict)
    for line in InterestLine.objects.filter(interest__in=entries):
        lines[line.interest_id][line.campaign_item_id] = line.quantity
    chosen: list[tuple[Interest, dict[int, int]]] = []
    for entry in entries:
        if not any(remaining.values()):
            break
        wanted = lines.get(entry.pk) or {item_id: 1 for item_id in remaining}  # no variant chosen: any of them
        offer = {item_id: quantity for item_id, quantity in wanted.items() if remaining.get(item_id)}
        if not offer:
            continue
        if entry.pk not in lines:
            item_id = max(offer, key=lambda key: remaining[key])  # any variant: counts one unit, of the most left
            offer = {item_id: 1}
        for item_id, quantity in offer.items():
            remaining[item_id] -= min(quantity, remaining[item_id])
        chosen.append((entry, offer))
    messages_queue_bulk(
        [
            message_build(
                kind=UNITS_BACK,
                key=interest_message_key(entry.pk, f"back:{release.pk}"),
                now=now,
                params={
                    "interest_id": entry.pk,
                    "campaign_id": campaign.pk,
                    "items": {str(item_id): quantity for item_id, quantity in offer.items()},
                },
                to_email=entry.email,
                to_phone=entry.phone,
                language=entry.language,
            )
            for entry, offer in chosen
        ],
        now=now,
    )
    Interest.objects.filter(pk__in=[entry.pk for entry, _offer in chosen]).update(notified_at=now, updated_at=now)
    return len(chosen)
