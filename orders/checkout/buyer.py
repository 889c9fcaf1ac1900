"""Who orders: the buyer's details, their WhatsApp number and e-mail as the shop keeps them, and the
per-buyer limit counted on both."""

from dataclasses import dataclass

import phonenumbers
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from campaigns.models import Campaign

from ..exceptions import BuyerLimitExceeded, InvalidOrder
from ..models import Order


@dataclass(frozen=True)
class BuyerDetails:
    name: str
    phone: str
    email: str
    province: str
    city: str
    district: str
    postal_code: str
    street: str
    note: str = ""


# Numbers normalised in this process, each also under its normalised form: the checkout form normalises
# what the buyer typed and the service the form's result, and parsing is the dearest part of either.
_PHONES_NORMALISED: dict[str, str] = {}
PHONES_KEPT = 10_000


def phone_normalise(raw: str) -> str:
    """An Indonesian mobile (WhatsApp) number as +62..., or InvalidOrder."""
    known = _PHONES_NORMALISED.get(raw)
    if known is not None:
        return known
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException:
        number = None
    mobile_types = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    if (
        number is None
        or number.country_code != 62
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in mobile_types
    ):
        raise InvalidOrder(_("Give an Indonesian WhatsApp number, for example 0812 3456 7890."))
    normalised = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(_PHONES_NORMALISED) >= PHONES_KEPT:
        _PHONES_NORMALISED.clear()
    _PHONES_NORMALISED[raw] = _PHONES_NORMALISED[normalised] = normalised
    return normalised


GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def email_key(email: str) -> str:
    """One mailbox, one key, for the per-buyer limit: the address in lower case, and at Gmail without dots
    or a +tag, at gmail.com (Gmail delivers s.iti+po@googlemail.com to siti@gmail.com).

    Elsewhere a "+" or a dot may be part of another person's address (the mail server decides), so the
    address is kept whole: two buyers are never counted as one. orders/migrations/0017 keeps a copy.
    """
    email = email.strip().lower()
    if "@" not in email:
        return email
    local, domain = email.rsplit("@", 1)
    if domain in GMAIL_DOMAINS:
        local, domain = local.split("+", 1)[0].replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def buyer_limit_check(*, campaign: Campaign, phone: str, email: str, units: int, leaving_out: int) -> None:
    """BuyerLimitExceeded when the buyer (the same phone, or the same e-mail by its key) would hold more
    than the campaign's per-buyer limit in live orders with `units` more; `leaving_out` is the order being
    placed. Call under the campaign's lock, so that two tabs of one buyer count each other."""
    if campaign.per_buyer_limit is None:
        return
    key = email_key(email) if email else ""
    already = (
        Order.objects.filter(campaign=campaign, status__in=Order.LIVE_STATUSES)
        .filter(Q(phone=phone) | (Q(email_key=key) if key else Q(pk__in=[])))
        .exclude(pk=leaving_out)
        .aggregate(units=Sum("units"))["units"]
        or 0
    )
    if already + units > campaign.per_buyer_limit:
        raise BuyerLimitExceeded(limit=campaign.per_buyer_limit, already=already)
