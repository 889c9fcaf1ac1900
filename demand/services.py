"""Cek ombak before a PO opens: buyers ask to be reminded ("Ingatkan saya"), are told once when it opens,
and can stop the messages from a link; their contacts go with the personal-data purge."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignItem
from orders.checkout import phone_normalise
from orders.exceptions import InvalidOrder
from orders.forms import MAX_QUANTITY_PER_LINE
from orders.locks import rows_lock
from orders.models import Message
from orders.outbox import message_build, messages_queue_bulk

from .exceptions import InterestCapReached, InterestInvalid, InterestNotTaken
from .models import Interest, InterestLine

# The messages about an interest; each key is "interest:<pk>:<occasion>", written once.
PO_OPENED = "po_opened"
UNITS_BACK = "units_back"  # to the waitlist (demand.waitlist)
INTEREST_MESSAGE_KINDS = (PO_OPENED, UNITS_BACK)
# Interests told in one transaction by the opening job: each batch commits (and is sent) on its own.
NOTIFY_BATCH = 500


def interest_message_key(interest_id: int, occasion: str) -> str:
    return f"interest:{interest_id}:{occasion}"


def _wanted_clean(campaign: Campaign, wanted: dict[int, int]) -> dict[int, int]:
    """{campaign item id: quantity} of this PO's items on sale, or InterestInvalid."""
    if any(not 0 < quantity <= MAX_QUANTITY_PER_LINE for quantity in wanted.values()):
        raise InterestInvalid(
            _("Give a quantity from 1 to %(most)d for each variant you want.") % {"most": MAX_QUANTITY_PER_LINE}
        )
    on_sale = set(
        CampaignItem.objects.on_sale().filter(campaign=campaign, pk__in=list(wanted)).values_list("pk", flat=True)
    )
    if len(on_sale) != len(wanted):
        raise InterestInvalid(_("A chosen variant is not sold in this PO; choose again."))
    return dict(wanted)


def interest_register(
    *,
    campaign: Campaign,
    phone: str,
    email: str,
    wanted: dict[int, int],
    client_key: str,
    now: datetime.datetime,
    language: str = "id",
) -> tuple[Interest, bool]:
    """Remember that this WhatsApp number wants to be told when the PO opens (and what it expects to buy):
    (the interest, True when new). Once per number and PO: asked again, the e-mail and the variants given
    replace the old ones (left empty, the old ones stay), and stopped messages start again.

    Only a published PO that has not opened takes it (InterestNotTaken otherwise). One client (address)
    may ask for at most INTEREST_PER_CLIENT numbers per PO (InterestCapReached); the number must be an
    Indonesian mobile number, as at checkout (InterestInvalid).
    """
    try:
        phone = phone_normalise(phone)
    except InvalidOrder as error:
        raise InterestInvalid(str(error)) from error
    email = email.strip().lower()
    with transaction.atomic():
        # The campaign's lock makes the cap count and the once-per-number check hold against a second tab.
        # Nothing is ordered while a PO is coming soon, so no checkout waits for it.
        campaign = rows_lock(campaign_ids=[campaign.pk]).campaign
        status = campaign.status_at(now)
        if status != Campaign.Status.COMING_SOON:
            raise InterestNotTaken(campaign=campaign, status=status)
        wanted = _wanted_clean(campaign, wanted)
        interest = Interest.objects.filter(campaign=campaign, kind=Interest.Kind.OPENING, phone=phone).first()
        if interest is None:
            interest_cap_check(campaign=campaign, client_key=client_key)
            interest = interest_create(
                campaign=campaign,
                kind=Interest.Kind.OPENING,
                phone=phone,
                email=email,
                language=language,
                client_key=client_key,
                now=now,
            )
            created = True
        else:
            interest.email = email or interest.email
            interest.language = language
            interest.updated_at = now
            interest.stopped_at = None
            interest.save(update_fields=["email", "language", "updated_at", "stopped_at"])
            created = False
        if wanted:
            interest_lines_replace(interest=interest, wanted=wanted)
    return interest, created


def interest_create(*, campaign: Campaign, kind: str, phone: str, email: str, language: str, client_key: str, now):
    """A new entry on one of the PO's lists (asked before opening, the waitlist), at the end of its queue."""
    return Interest.objects.create(
        campaign=campaign,
        kind=kind,
        phone=phone,
        email=email,
        language=language,
        client_key=client_key,
        created_at=now,
        updated_at=now,
    )


def interest_lines_replace(*, interest: Interest, wanted: dict[int, int]) -> None:
    """The variants this entry wants, {campaign item id: quantity}, in place of those it had."""
    InterestLine.objects.filter(interest=interest).delete()
    InterestLine.objects.bulk_create(
        InterestLine(interest=interest, campaign_item_id=item_id, quantity=quantity)
        for item_id, quantity in sorted(wanted.items())
    )


def interest_cap_check(*, campaign: Campaign, client_key: str) -> None:
    """InterestCapReached when this client already put INTEREST_PER_CLIENT numbers on the PO's lists. The caller
    holds what keeps two of its requests from counting at once (the campaign's lock, or the client's)."""
    cap = settings.INTEREST_PER_CLIENT
    if not client_key or not cap:
        return
    if Interest.objects.filter(campaign=campaign, client_key=client_key).count() >= cap:
        raise InterestCapReached(cap=cap)


def interest_stop(*, interest: Interest, now: datetime.datetime) -> bool:
    """The buyer followed the stop link: no later message about this PO to this number, whichever list it is
    on (asked before opening, the waitlist). False when already stopped."""
    stopped = Interest.objects.filter(
        campaign_id=interest.campaign_id, phone=interest.phone, stopped_at__isnull=True
    ).update(stopped_at=now, updated_at=now)
    return bool(stopped)


def _waiting_to_be_told(campaign_id: int):
    return Interest.objects.filter(
        campaign_id=campaign_id, kind=Interest.Kind.OPENING, notified_at__isnull=True, stopped_at__isnull=True
    )


def interests_notify_opened(*, now: datetime.datetime) -> int:
    """Tell everyone who asked, once, that their PO is open: one message each through the outbox (e-mail
    where given, else waiting in the seller's WhatsApp list), and mark them told. Returns the messages written.

    Safe to run twice or at the same time: each batch locks its interests and checks again that they are
    still waiting and not stopped; the message's key is unique besides. The campaign itself is not locked,
    so the checkouts of a PO that just opened never wait for this job.
    """
    campaign_ids = (
        Interest.objects.filter(
            kind=Interest.Kind.OPENING,
            notified_at__isnull=True,
            stopped_at__isnull=True,
            campaign__stage=Campaign.Stage.PUBLISHED,
            campaign__opens_at__lte=now,
            campaign__closes_at__gt=now,
        )
        .order_by("campaign_id")
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    written = 0
    for campaign_id in list(campaign_ids):
        while True:
            ids = list(_waiting_to_be_told(campaign_id).order_by("pk").values_list("pk", flat=True)[:NOTIFY_BATCH])
            if not ids:
                break
            written += _batch_notify(ids, now=now)
    return written


def _batch_notify(ids: list[int], *, now: datetime.datetime) -> int:
    with transaction.atomic():
        (interests,) = rows_lock(with_campaigns=False, then=[Interest.objects.filter(pk__in=ids)]).then
        # Chosen before the lock: another run may have told them, or the buyer stopped meanwhile.
        due = [interest for interest in interests if interest.notified_at is None and interest.stopped_at is None]
        messages_queue_bulk(
            [
                message_build(
                    kind=PO_OPENED,
                    key=interest_message_key(interest.pk, "opened"),
                    now=now,
                    params={"interest_id": interest.pk, "campaign_id": interest.campaign_id},
                    to_email=interest.email,
                    to_phone=interest.phone,
                    language=interest.language,
                )
                for interest in due
            ],
            now=now,
        )
        Interest.objects.filter(pk__in=[interest.pk for interest in due]).update(notified_at=now)
    return len(due)


def interests_delete(*, interest_ids: list[int]) -> int:
    """Forget these buyers' interests: the rows and their variants go, and their messages lose the contacts
    and texts (the rows stay, as an anonymised order's do, for the outbox's history). Returns those deleted."""
    with transaction.atomic():
        _messages_blank(interest_ids)
        _total, per_model = Interest.objects.filter(pk__in=interest_ids).delete()
    return per_model.get(Interest._meta.label, 0)


def _messages_blank(interest_ids) -> None:
    Message.objects.filter(kind__in=INTEREST_MESSAGE_KINDS, params__interest_id__in=list(interest_ids)).update(
        to_email="", to_phone="", subject="", body=""
    )


def interests_personal_data_delete(*, campaigns_closed_before: datetime.datetime) -> int:
    """Delete the interests of the POs whose window closed before then, with their messages' contacts;
    also blank the messages whose interest went with its PO (a campaign deleted). Returns those deleted."""
    deleted = 0
    while True:
        ids = list(
            Interest.objects.filter(campaign__closes_at__lt=campaigns_closed_before)
            .order_by("pk")
            .values_list("pk", flat=True)[:NOTIFY_BATCH]
        )
        if not ids:
            break
        deleted += interests_delete(interest_ids=ids)
    with_contacts = (
        Message.objects.filter(kind__in=INTEREST_MESSAGE_KINDS).exclude(to_email="", to_phone="").values_list("params")
    )
    asked = sorted({params["interest_id"] for (params,) in with_contacts.iterator() if "interest_id" in params})
    for start in range(0, len(asked), NOTIFY_BATCH):
        chunk = asked[start : start + NOTIFY_BATCH]
        _messages_blank(set(chunk) - set(Interest.objects.filter(pk__in=chunk).values_list("pk", flat=True)))
    return deleted
