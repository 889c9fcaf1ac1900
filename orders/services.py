import datetime
import functools
import logging
import random
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.models import Campaign, CampaignItem
from campaigns.postage import NoPostageToProvince, PostageQuote, postage_quote
from catalog.page_cache import pages_changed

from .exceptions import (
    BuyerLimitExceeded,
    CampaignNotOpen,
    IllegalOrderTransition,
    InvalidOrder,
    PostageChanged,
    QuotaExceeded,
)
from .models import Order, OrderEvent, OrderLine
from .outbox import message_build, message_queue, message_written
from .prepared import execute_prepared, rows_insert_prepared
from .selectors import checkout_items

Status = Order.Status
Plan = Order.PaymentPlan
# DEBUG lines with how long each checkout held the campaign lock (bench/flash.py reads them).
lock_logger = logging.getLogger("orders.lock")

# The one table of allowed moves; every move goes through order_transition.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING_PAYMENT: {Status.DP_PAID, Status.PAID, Status.EXPIRED, Status.CANCELLED},
    Status.DP_PAID: {Status.PAID, Status.CANCELLED},
    Status.PAID: {Status.SHIPPED, Status.CANCELLED},
    Status.SHIPPED: {Status.COMPLETED},
    Status.COMPLETED: set(),
    Status.EXPIRED: set(),
    Status.CANCELLED: set(),
}
# Moves that give the order's units back to the quotas.
RELEASES_UNITS = {Status.EXPIRED, Status.CANCELLED}
# The kode unik: 1-999 as buyers know it, 1000-9999 once a price has a thousand unpaid orders.
UNIQUE_CODE_TIERS = ((1, 999), (1000, 9999))
UNIQUE_CODE_MAX = UNIQUE_CODE_TIERS[-1][1]
BUYER = "buyer"
SYSTEM = "system"


@dataclass(frozen=True)
class LineRequest:
    campaign_item_id: int
    quantity: int
    note: str = ""


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


@dataclass(frozen=True)
class Quote:
    """What an order costs and what is paid when, before the kode unik.

    Postage is part of the total; it rides on the first payment, or on the
    balance when the seller sets it after weighing.
    """

    units: int
    goods_idr: int
    down_payment_idr: int | None  # goods DP (plus postage paid with it); None when full payment only
    postage_idr: int = 0
    postage_with_first_payment: bool = True

    @property
    def total_idr(self) -> int:
        return self.goods_idr + self.postage_idr

    @property
    def balance_idr(self) -> int | None:
        return None if self.down_payment_idr is None else self.total_idr - self.down_payment_idr

    @property
    def postage_later_idr(self) -> int:
        return 0 if self.postage_with_first_payment else self.postage_idr

    def first_payment_idr(self, payment_plan: str) -> int:
        if payment_plan == Plan.DOWN_PAYMENT:
            return self.down_payment_idr
        return self.total_idr - self.postage_later_idr


def order_quote(
    *,
    campaign: Campaign,
    prices_and_quantities: list[tuple[int, int]],
    postage: PostageQuote | None = None,
) -> Quote:
    units = sum(quantity for _price, quantity in prices_and_quantities)
    goods = sum(price * quantity for price, quantity in prices_and_quantities)
    postage_idr = postage.amount_idr if postage else 0
    with_first = postage.with_first_payment if postage else True
    down_payment = None
    if campaign.allows_down_payment:
        down_payment = campaign.down_payment_for(total_idr=goods, units=units) + (postage_idr if with_first else 0)
    return Quote(
        units=units,
        goods_idr=goods,
        down_payment_idr=down_payment,
        postage_idr=postage_idr,
        postage_with_first_payment=with_first,
    )


def order_weight_grams(items_and_quantities) -> int:
    return sum(item.variant.unit_weight_grams * quantity for item, quantity in items_and_quantities)


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


def _actor_label(actor) -> str:
    return actor.get_full_name() or actor.get_username()


class SystemReason(str):
    """A reason the shop writes: the text in the current language, with its English msgid and values kept.

    Make one with system_reason(gettext_noop("..."), name=value); the order page shows
    it in the reader's language, whatever language the job that wrote it ran in.
    """

    code: str = ""
    params: dict = {}


def system_reason(msgid: str, **params) -> SystemReason:
    reason = SystemReason(_(msgid) % params if params else _(msgid))
    reason.code, reason.params = msgid, params
    return reason


def order_transition(
    *, order: Order, to_status: str, now: datetime.datetime, actor=None, actor_label: str = "", reason: str = ""
) -> OrderEvent:
    """Move a locked order to `to_status`, write its event and give units back if it ends.

    Call inside a transaction with the order locked (select_for_update), so
    the check and the move happen once whatever runs at the same time.
    """
    if to_status not in ALLOWED_TRANSITIONS[order.status]:
        raise IllegalOrderTransition(order=order, to_status=to_status)
    from_status = order.status
    order.status = to_status
    order.save(update_fields=["status"])
    if to_status in RELEASES_UNITS:
        _units_release(order)
    return OrderEvent.objects.create(
        order=order,
        at=now,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_label=actor_label or (_actor_label(actor) if actor else SYSTEM),
        reason=str(reason),
        reason_code=getattr(reason, "code", ""),
        reason_params=getattr(reason, "params", {}),
    )


def _units_release(order: Order) -> None:
    per_item: dict[int, int] = defaultdict(int)
    for campaign_item_id, quantity in order.lines.values_list("campaign_item_id", "quantity"):
        per_item[campaign_item_id] += quantity
    for campaign_item_id in sorted(per_item):
        CampaignItem.objects.filter(pk=campaign_item_id).update(
            units_reserved=F("units_reserved") - per_item[campaign_item_id]
        )
    Campaign.objects.filter(pk=order.campaign_id).update(units_reserved=F("units_reserved") - order.units)


def _closed_message(campaign: Campaign, now: datetime.datetime) -> str:
    if campaign.status_at(now) == Campaign.Status.COMING_SOON:
        return _("This PO has not opened yet; come back when it opens.")
    return _("This PO is closed; orders are no longer taken.")


def _validate_lines(lines: list[LineRequest]) -> dict[int, LineRequest]:
    merged: dict[int, LineRequest] = {}
    for line in lines:
        if line.quantity <= 0:
            continue
        if line.campaign_item_id in merged:
            raise InvalidOrder(_("Each variant appears once in an order."))
        merged[line.campaign_item_id] = line
    if not merged:
        raise InvalidOrder(_("Choose at least one variant and a quantity."))
    return merged


GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def email_key(email: str) -> str:
    """One buyer, one key: lower case, no +tag, and for Gmail no dots (Gmail ignores both)."""
    email = email.strip().lower()
    if "@" not in email:
        return email
    local, domain = email.rsplit("@", 1)
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def _buyer_units_already(*, campaign: Campaign, phone: str, email: str, leaving_out: int | None = None) -> int:
    key = email_key(email) if email else ""
    return (
        Order.objects.filter(campaign=campaign, status__in=Order.LIVE_STATUSES)
        .filter(Q(phone=phone) | (Q(email_key=key) if key else Q(pk__in=[])))
        .exclude(pk=leaving_out)
        .aggregate(units=Sum("units"))["units"]
        or 0
    )


# Codes tried at once before reading every amount taken near this one: at a price with 900 of 999 taken, 32
# random ones are all taken for one order in 30.
UNIQUE_CODE_CANDIDATES = 32


def _unique_code_candidates(tier: int = 0) -> list[int]:
    # Codes only tell transfers apart, they guard nothing: the module's generator is enough (and three times cheaper).
    low, high = UNIQUE_CODE_TIERS[tier]
    return random.sample(range(low, high + 1), UNIQUE_CODE_CANDIDATES)


def _unique_code_free(first_payment_idr: int, candidates: list[int], taken) -> int | None:
    taken = set(taken)
    return next((code for code in candidates if first_payment_idr + code not in taken), None)


def _amounts_taken(first_payment_idr: int, codes: list[int]):
    amounts = [first_payment_idr + code for code in codes]
    return Order.objects.filter(status=Status.PENDING_PAYMENT, first_transfer_idr__in=amounts).values_list(
        "first_transfer_idr", flat=True
    )


def _unique_code_scan(first_payment_idr: int, tier: int) -> int | None:
    """A code of this length no unpaid order at this amount uses, from all those taken; None when none is left.

    For when a few random codes were all taken: a popular PO can have
    thousands of unpaid orders at one price, and the amounts stay distinct
    without turning buyers away at the thousandth. At most one length's
    codes are read (999, or 9,000 once the three-digit ones are all taken).
    """
    low, high = UNIQUE_CODE_TIERS[tier]
    taken = {
        amount - first_payment_idr
        for amount in Order.objects.filter(
            status=Status.PENDING_PAYMENT,
            first_transfer_idr__gte=first_payment_idr + low,
            first_transfer_idr__lte=first_payment_idr + high,
        ).values_list("first_transfer_idr", flat=True)
    }
    size = high - low + 1
    if len(taken) >= size:
        return None
    while True:  # a free code is found in size / free tries on average
        code = low + secrets.randbelow(size)
        if code not in taken:
            return code


def order_place(
    *,
    campaign_id: int,
    lines: list[LineRequest],
    buyer: BuyerDetails,
    payment_plan: str,
    terms_accepted: bool,
    language: str = "id",
    expected_postage_idr: int | None = None,
    client_key: str = "",
    now: datetime.datetime,
    campaign: Campaign | None = None,
    items: dict[int, CampaignItem] | None = None,
) -> Order:
    """Place a PO and reserve its units, or raise an OrderError and change nothing.

    `expected_postage_idr` is the postage the buyer was shown; when it no
    longer holds (rates changed, or the page computed none), PostageChanged
    asks the buyer to look again before anything is ordered.

    `campaign` and `items` ({campaign item id: item with variant and product})
    may be what the caller read a moment ago (the checkout view), sparing the
    reads: they only shape the order, and what counts is read again under the lock.

    Everything that does not count units comes before the lock: what the lines
    are, the postage, a free kode unik, the order's number, and the order's rows
    themselves. Then one statement (two on SQLite) takes the campaign's row and its
    items' rows and reserves the units only where they are left, and COMMIT
    follows; any rule broken under the lock rolls the whole order back.
    """
    if not terms_accepted:
        raise InvalidOrder(_("Read and accept the PO terms to order."))
    wanted = _validate_lines(lines)
    phone = phone_normalise(buyer.phone)
    email = buyer.email.strip().lower()
    if payment_plan not in Plan.values:
        raise InvalidOrder(_("Choose how to pay."))

    order_id = None
    for _attempt in range(5):
        if campaign is None or campaign.pk != campaign_id:
            campaign = Campaign.objects.get(pk=campaign_id)
        _check_open_and_plan(campaign, payment_plan, now)
        if items is None or not set(wanted) <= set(items):
            items = checkout_items(campaign=campaign, item_ids=list(wanted))
        catalog = {item_id: items[item_id] for item_id in wanted if item_id in items}
        if set(catalog) != set(wanted):
            raise InvalidOrder(_("A chosen variant is not sold in this PO any more; choose again."))
        weight = order_weight_grams((catalog[item_id], line.quantity) for item_id, line in wanted.items())
        try:
            postage = postage_quote(campaign=campaign, province=buyer.province.strip(), weight_grams=weight)
        except NoPostageToProvince as error:
            raise InvalidOrder(str(error)) from error
        if expected_postage_idr is not None and expected_postage_idr != postage.amount_idr:
            raise PostageChanged(postage_idr=postage.amount_idr)
        quote = order_quote(
            campaign=campaign,
            prices_and_quantities=[(catalog[item_id].price_idr, line.quantity) for item_id, line in wanted.items()],
            postage=postage,
        )
        # The id is kept across tries: an order rolled back leaves no gap in the numbers.
        order_id, code = _order_id_and_unique_code(quote.first_payment_idr(payment_plan), order_id)
        try:
            with transaction.atomic():
                return _order_place_locked(
                    campaign=campaign,
                    wanted=wanted,
                    catalog=catalog,
                    buyer=buyer,
                    phone=phone,
                    email=email,
                    payment_plan=payment_plan,
                    postage=postage,
                    weight_grams=weight,
                    quote=quote,
                    unique_code=code,
                    order_id=order_id,
                    language=language,
                    client_key=client_key,
                    now=now,
                )
        except IntegrityError as error:
            if not _is_transfer_amount_clash(error):
                raise
            # Another unpaid order took this amount at the same moment (any campaign): pick again.
        except _ReadAgain:
            # The seller changed a price or the PO's terms since they were read: read them again.
            campaign, items = None, None
    raise InvalidOrder(_("Too many unpaid orders share this amount right now; please try again in a few minutes."))


class _ReadAgain(Exception):
    """What the order was built from changed before the lock was taken."""


def _check_open_and_plan(campaign: Campaign, payment_plan: str, now: datetime.datetime) -> None:
    if campaign.status_at(now) != Campaign.Status.OPEN:
        raise CampaignNotOpen(_closed_message(campaign, now))
    if payment_plan == Plan.DOWN_PAYMENT and not campaign.allows_down_payment:
        raise InvalidOrder(_("This PO takes full payment only."))
    if payment_plan == Plan.FULL and campaign.payment_terms == Campaign.PaymentTerms.DP_REQUIRED:
        raise InvalidOrder(_("This PO takes a DP first; the balance follows later."))


def _order_id_and_unique_code(first_payment_idr: int, order_id: int | None) -> tuple[int | None, int]:
    """The order's id and a kode unik no unpaid order at this amount uses, in one round trip on PostgreSQL
    but when the amount is crowded.

    The id comes from PostgreSQL's sequence (None on SQLite, where the insert
    numbers the order), read with the code, so that the insert is the
    transaction's first statement. A few random three-digit codes are tried;
    when they are all taken, a free one from all those taken; when every
    three-digit code is taken, a few four-digit ones, and only then all the
    four-digit ones. Once the three-digit codes at an amount were all found
    taken, this process tries four-digit ones with the first few for
    UNIQUE_CODE_FULL_SECONDS and skips reading the 999.
    """
    three_digit, four_digit = _unique_code_candidates(tier=0), _unique_code_candidates(tier=1)
    scan_three_digit = not _three_digit_codes_full(first_payment_idr)
    candidates = three_digit if scan_three_digit else three_digit + four_digit
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                ORDER_ID_AND_UNIQUE_CODE_SQL,
                {
                    "order_id": order_id,
                    "table": Order._meta.db_table,
                    "base": first_payment_idr,
                    "status": Status.PENDING_PAYMENT,
                    "candidates": candidates,
                },
            )
            order_id, code = cursor.fetchone()
    else:
        code = _unique_code_free(first_payment_idr, candidates, _amounts_taken(first_payment_idr, candidates))
    if code is None:
        code = _unique_code_crowded(first_payment_idr, scan_three_digit, four_digit if scan_three_digit else [])
    if code is None:
        raise InvalidOrder(_("Too many unpaid orders share this amount right now; please try again in a few minutes."))
    if code > UNIQUE_CODE_TIERS[0][1] and scan_three_digit:
        _three_digit_codes_full_until[first_payment_idr] = time.monotonic() + UNIQUE_CODE_FULL_SECONDS
    return order_id, code


# How long a process takes the three-digit codes at an amount for all taken, once it found them so: meanwhile
# its orders at that amount skip reading the 999 and get a four-digit code, unless a random three-digit one is free.
UNIQUE_CODE_FULL_SECONDS = 30
_three_digit_codes_full_until: dict[int, float] = {}


def _three_digit_codes_full(first_payment_idr: int) -> bool:
    until = _three_digit_codes_full_until.get(first_payment_idr)
    if until is None:
        return False
    if until > time.monotonic():
        return True
    _three_digit_codes_full_until.pop(first_payment_idr, None)
    return False


# The first of a few codes (random) that no unpaid order at this amount uses, each looked up in the unpaid
# amounts' unique index by a subquery of its own: the planner cannot turn that into a scan of every unpaid
# order, whatever its statistics say.
def _first_free_of(codes: str) -> str:
    return (
        f"(SELECT code FROM unnest(%({codes})s::integer[]) AS tried(code)"
        " WHERE (SELECT true FROM orders_order WHERE status = %(status)s AND first_transfer_idr = %(base)s + code)"
        " IS NULL LIMIT 1)"
    )


ORDER_ID_AND_UNIQUE_CODE_SQL = """SELECT
  COALESCE(%(order_id)s, nextval(pg_get_serial_sequence(%(table)s, 'id'))),
  """ + _first_free_of("candidates")

# For a crowded amount, one statement that stops at the first step giving a code (COALESCE evaluates only
# what it needs): a free three-digit code, from those taken (at most 999 read in the index; skipped when
# known to be all taken); a few four-digit codes (none when tried already); a free four-digit code, from
# those taken.
UNIQUE_CODE_CROWDED_SQL = (
    """SELECT COALESCE(
    (SELECT code FROM generate_series(%(low0)s, %(high0)s) AS free(code)
     WHERE %(scan_three_digit)s
       AND NOT EXISTS (SELECT 1 FROM orders_order WHERE status = %(status)s
                       AND first_transfer_idr BETWEEN %(base)s + %(low0)s AND %(base)s + %(high0)s
                       AND first_transfer_idr = %(base)s + code)
     ORDER BY random() LIMIT 1),
    """
    + _first_free_of("four_digit")
    + """,
    (SELECT code FROM generate_series(%(low1)s, %(high1)s) AS free(code)
     WHERE NOT EXISTS (SELECT 1 FROM orders_order WHERE status = %(status)s
                       AND first_transfer_idr BETWEEN %(base)s + %(low1)s AND %(base)s + %(high1)s
                       AND first_transfer_idr = %(base)s + code)
     ORDER BY random() LIMIT 1))
"""
)


def _unique_code_crowded(first_payment_idr: int, scan_three_digit: bool, four_digit: list[int]) -> int | None:
    """For when the first few codes were all taken: a free three-digit code while any is left (unless
    `scan_three_digit` is false), then a four-digit one (`four_digit` first, before all those taken are
    read); None when every code is taken."""
    if connection.vendor == "postgresql":
        (low0, high0), (low1, high1) = UNIQUE_CODE_TIERS
        with connection.cursor() as cursor:
            cursor.execute(
                UNIQUE_CODE_CROWDED_SQL,
                {
                    "base": first_payment_idr,
                    "status": Status.PENDING_PAYMENT,
                    "scan_three_digit": scan_three_digit,
                    "four_digit": four_digit,
                    "low0": low0,
                    "high0": high0,
                    "low1": low1,
                    "high1": high1,
                },
            )
            return cursor.fetchone()[0]
    code = _unique_code_scan(first_payment_idr, tier=0) if scan_three_digit else None
    if code is None and four_digit:
        code = _unique_code_free(first_payment_idr, four_digit, _amounts_taken(first_payment_idr, four_digit))
    if code is None:
        code = _unique_code_scan(first_payment_idr, tier=1)
    return code


def _is_transfer_amount_clash(error: IntegrityError) -> bool:
    text = str(error)
    return "order_unpaid_transfer_amount_unique" in text or "orders_order.first_transfer_idr" in text


def _order_number(order_id: int, now: datetime.datetime) -> str:
    return f"PO-{timezone.localtime(now):%y%m}-{order_id:05d}"


# The campaign's terms an order is built from: a change to any of them before the lock means reading again.
ORDER_TERMS = (
    "payment_terms",
    "dp_kind",
    "dp_percent",
    "dp_fixed_per_unit_idr",
    "balance_due_date",
    "unpaid_expiry_hours",
    "postage_mode",
    "postage_timing",
    "per_buyer_limit",
)


def _order_place_locked(
    *,
    campaign,
    wanted,
    catalog,
    buyer,
    phone,
    email,
    payment_plan,
    postage,
    weight_grams,
    quote,
    unique_code,
    order_id,
    language,
    client_key,
    now,
) -> Order:
    """Write the order, then reserve its units under the campaign's lock; inside the caller's transaction.

    The rows go in first: inserting them takes no lock another checkout waits
    for (a foreign key only shares the campaign's key). The lock is taken by
    the campaign's UPDATE and held to COMMIT: on PostgreSQL it covers one
    statement (the items' UPDATE is in it), on SQLite two.
    """
    first_payment = quote.first_payment_idr(payment_plan)
    units = sum(line.quantity for line in wanted.values())
    order = Order(
        id=order_id,
        number=_order_number(order_id, now) if order_id else None,
        campaign=campaign,
        payment_plan=payment_plan,
        buyer_name=buyer.name.strip(),
        phone=phone,
        email=email,
        email_key=email_key(email) if email else "",
        client_key=client_key,
        province=buyer.province.strip(),
        city=buyer.city.strip(),
        district=buyer.district.strip(),
        postal_code=buyer.postal_code.strip(),
        street=buyer.street.strip(),
        note=buyer.note.strip(),
        units=units,
        total_idr=quote.total_idr,
        postage_idr=postage.amount_idr,
        postage_final=not postage.is_estimate,
        weight_grams=weight_grams,
        first_payment_idr=first_payment,
        unique_code=unique_code,
        first_transfer_idr=first_payment + unique_code,
        payment_deadline=now + datetime.timedelta(hours=campaign.unpaid_expiry_hours),
        balance_due_date=campaign.balance_due_date if first_payment < quote.total_idr else None,
        terms_accepted_at=now,
        language=language,
        created_at=now,
    )
    lines = [
        OrderLine(
            order=order,
            campaign_item_id=item_id,
            variant_id=catalog[item_id].variant_id,
            product_name=catalog[item_id].variant.product.name,
            variant_label=catalog[item_id].variant.label,
            sku=catalog[item_id].variant.sku,
            unit_price_idr=catalog[item_id].price_idr,
            quantity=line.quantity,
            line_total_idr=catalog[item_id].price_idr * line.quantity,
            note=line.note.strip()[:200],
        )
        for item_id, line in wanted.items()
    ]
    postgresql = connection.vendor == "postgresql"
    if not postgresql:  # SQLite: the insert numbers the order
        order.save(force_insert=True)
        order.number = _order_number(order.pk, now)
        Order.objects.filter(pk=order.pk).update(number=order.number)
        for line in lines:
            line.order = order
    event = OrderEvent(order=order, at=now, from_status="", to_status=order.status, actor_label=BUYER)
    message = message_build(kind="order_placed", key=f"order:{order.pk}:placed", order=order, now=now)
    if postgresql:
        # The order, its lines, its first event and its message in one round trip.
        rows_insert_prepared("order_insert", [([order], True), (lines, False), ([event], False), ([message], False)])
    else:
        OrderLine.objects.bulk_create(lines)
        event.save(force_insert=True)
        message.save(force_insert=True)
    clock = {}
    # Registered before the message's nudge, so it runs first after COMMIT: the time the lock was held.
    if lock_logger.isEnabledFor(logging.DEBUG):
        transaction.on_commit(
            lambda: lock_logger.debug(
                "order %s: campaign lock held %.2f ms (waited %.2f ms for it)",
                order.number,
                (time.time() - clock["locked"]) * 1000,
                (clock["locked"] - clock["asked"]) * 1000,
            )
        )
    message_written(message)

    clock["asked"] = time.time()
    terms, prices, clock["locked"] = _units_reserve(campaign=campaign, units=units, wanted=wanted, now=now)
    if any(terms[name] != getattr(campaign, name) for name in ORDER_TERMS):
        raise _ReadAgain
    if len(prices) != len(wanted):
        _items_refused(campaign=campaign, wanted=wanted, prices=prices, catalog=catalog)
    if any(prices[item_id] != catalog[item_id].price_idr for item_id in wanted):
        raise _ReadAgain
    if client_key and settings.UNPAID_ORDERS_PER_CLIENT:
        unpaid = (
            Order.objects.filter(campaign=campaign, client_key=client_key, status=Status.PENDING_PAYMENT)
            .exclude(pk=order.pk)
            .count()
        )
        if unpaid >= settings.UNPAID_ORDERS_PER_CLIENT:
            raise InvalidOrder(
                _("You already have %(count)d unpaid orders in this PO: pay or cancel one before ordering again.")
                % {"count": unpaid}
            )
    if campaign.per_buyer_limit is not None:
        already = _buyer_units_already(campaign=campaign, phone=phone, email=email, leaving_out=order.pk)
        if already + units > campaign.per_buyer_limit:
            raise BuyerLimitExceeded(limit=campaign.per_buyer_limit, already=already)
    return order


def _units_reserve(
    *, campaign: Campaign, units: int, wanted: dict[int, LineRequest], now: datetime.datetime
) -> tuple[dict, dict[int, int], float]:
    """Take the campaign's row lock and reserve `units` on it if it is open and they are left, then each
    line's units on its item where they are left: the campaign's terms as they are now, {item id: price},
    and when the lock was taken (time.time()).

    On PostgreSQL one statement: the items' UPDATE runs only once the campaign's has given its row, so the
    campaign's row is locked first, as on SQLite, where they are two statements. Raises CampaignNotOpen or
    QuotaExceeded (the caller's transaction rolls back) when the campaign's UPDATE changed nothing.
    """
    ids = sorted(wanted)
    quantities = [wanted[item_id].quantity for item_id in ids]
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            execute_prepared(
                cursor,
                "units_reserve",
                ["integer", "bigint", "text", "timestamptz", "bigint[]", "integer[]"],
                _units_reserve_sql(),
                [units, campaign.pk, Campaign.Stage.PUBLISHED, moment, ids, quantities],
            )
            rows = cursor.fetchall()
            if rows:
                locked_at = rows[0][0].timestamp()
                head = rows[0][1 : 3 + len(ORDER_TERMS)]
                items = [row[3 + len(ORDER_TERMS) :] for row in rows if row[3 + len(ORDER_TERMS)] is not None]
        else:
            cursor.execute(
                _campaign_reserve_sql(units="%s", campaign="%s", stage="%s", moment="%s"),
                [units, campaign.pk, Campaign.Stage.PUBLISHED, moment, moment, units],
            )
            head = cursor.fetchone()
            rows = [head] if head is not None else []
            if rows:
                locked_at = time.time()
                per_item = " ".join("WHEN %s THEN %s" for _id in ids)
                pairs = [
                    value for item_id, quantity in zip(ids, quantities, strict=True) for value in (item_id, quantity)
                ]
                cursor.execute(
                    f"UPDATE {CampaignItem._meta.db_table} SET units_reserved = units_reserved"  # noqa: S608
                    f" + CASE id {per_item} END WHERE campaign_id = %s AND id IN ({', '.join(['%s'] * len(ids))})"
                    f" AND (quota IS NULL OR units_reserved + CASE id {per_item} END <= quota)"
                    f" AND variant_id IN ({_ACTIVE_VARIANTS_SQL}) RETURNING id, price_idr, units_reserved, quota",
                    [*pairs, campaign.pk, *ids, *pairs],
                )
                items = cursor.fetchall()
    if not rows:
        current = Campaign.objects.get(pk=campaign.pk)
        if current.status_at(now) != Campaign.Status.OPEN:
            raise CampaignNotOpen(_closed_message(current, now))
        raise QuotaExceeded(label=current.title, units_left=current.units_left or 0)
    reserved, quota, *values = head
    terms = dict(zip(ORDER_TERMS, values, strict=True))
    if isinstance(terms["balance_due_date"], str):  # SQLite without a converter
        terms["balance_due_date"] = datetime.date.fromisoformat(terms["balance_due_date"])
    # Sold out (the PO, or a variant): the pages say so at once.
    if reserved == quota or any(item_reserved == item_quota for _id, _price, item_reserved, item_quota in items):
        transaction.on_commit(pages_changed)
    return terms, {item_id: price for item_id, price, _reserved, _quota in items}, locked_at


def _campaign_reserve_sql(*, units: str, campaign: str, stage: str, moment: str, first: str = "") -> str:
    """The campaign's UPDATE that takes its row lock and reserves `units` if it is open and they are left,
    with these placeholders (each written where it is used): it returns `first`, the units reserved, the
    quota and the order's terms."""
    return (
        f"UPDATE {Campaign._meta.db_table} SET units_reserved = units_reserved + {units}"  # noqa: S608
        f" WHERE id = {campaign} AND stage = {stage} AND opens_at <= {moment} AND closes_at > {moment}"
        f" AND (quota_total IS NULL OR units_reserved + {units} <= quota_total)"
        f" RETURNING {first}units_reserved, quota_total, {', '.join(ORDER_TERMS)}"
    )


# The variants on sale: active, of an active product.
_ACTIVE_VARIANTS_SQL = (
    f"SELECT v.id FROM {CampaignItem.variant.field.related_model._meta.db_table} v"  # noqa: S608 - model names
    f" JOIN {CampaignItem.variant.field.related_model.product.field.related_model._meta.db_table} p"
    " ON p.id = v.product_id WHERE v.is_active AND p.is_active"
)


@functools.cache
def _units_reserve_sql() -> str:
    """PostgreSQL's statement for _units_reserve: the items' UPDATE waits for the campaign's row (its
    EXISTS is evaluated once, before the items are read), and none runs when the campaign's changed
    nothing. One row per item reserved, or one with the items' columns NULL when none was."""
    return (
        "WITH reserved_campaign AS ("
        + _campaign_reserve_sql(units="$1", campaign="$2", stage="$3", moment="$4", first="clock_timestamp(), ")
        + f"), reserved_items AS (UPDATE {CampaignItem._meta.db_table} i"  # noqa: S608 - names from the models
        " SET units_reserved = i.units_reserved + wanted.quantity FROM unnest($5, $6) AS wanted(id, quantity)"
        " WHERE EXISTS (SELECT FROM reserved_campaign) AND i.id = wanted.id AND i.id = ANY($5) AND i.campaign_id = $2"
        " AND (i.quota IS NULL OR i.units_reserved + wanted.quantity <= i.quota)"
        f" AND i.variant_id IN ({_ACTIVE_VARIANTS_SQL}) RETURNING i.id, i.price_idr, i.units_reserved, i.quota)"
        " SELECT c.*, i.* FROM reserved_campaign c LEFT JOIN reserved_items i ON true"
    )


def _items_refused(
    *, campaign: Campaign, wanted: dict[int, LineRequest], prices: dict[int, int], catalog: dict
) -> None:
    """Why a line's units were not reserved: InvalidOrder (a variant no longer sold), QuotaExceeded, or
    _ReadAgain (its quota lifted a moment ago); the order rolls back."""
    ids = sorted(wanted)
    current = {
        row[0]: row
        for row in CampaignItem.objects.filter(
            campaign=campaign, pk__in=ids, variant__is_active=True, variant__product__is_active=True
        ).values_list("pk", "quota", "units_reserved")
    }
    for item_id in ids:
        if item_id not in current:
            raise InvalidOrder(_("A chosen variant is not sold in this PO any more; choose again."))
    for item_id in ids:
        if item_id not in prices:
            _pk, quota, reserved = current[item_id]
            if quota is None:  # the seller lifted the quota a moment ago
                raise _ReadAgain
            raise QuotaExceeded(
                label=str(catalog[item_id].variant), units_left=max(quota - reserved, 0), item_id=item_id
            )
    raise AssertionError("unreachable")


def order_expire_overdue(*, now: datetime.datetime) -> int:
    """Expire every unpaid order past its deadline; safe to run twice or at once."""
    due = list(
        Order.objects.filter(
            status=Status.PENDING_PAYMENT, payment_deadline__lte=now, payment_awaiting_since__isnull=True
        ).values_list("pk", "campaign_id")
    )
    expired = 0
    for order_id, campaign_id in due:
        with transaction.atomic():
            Campaign.objects.select_for_update(no_key=True).filter(pk=campaign_id).first()
            order = Order.objects.select_for_update().get(pk=order_id)
            if (
                order.status != Status.PENDING_PAYMENT
                or order.payment_deadline > now
                or order.payment_awaiting_since is not None
            ):
                continue
            order_transition(
                order=order,
                to_status=Status.EXPIRED,
                now=now,
                actor_label=SYSTEM,
                reason=system_reason(gettext_noop("Not paid by the deadline.")),
            )
            message_queue(kind="order_expired", key=f"order:{order.pk}:expired", order=order, now=now)
            expired += 1
    return expired


def order_lookup_send_link(*, number: str, contact: str, now: datetime.datetime | None = None) -> None:
    """Send the order's private link to its e-mail when number and phone or e-mail match.

    Says nothing either way, so nobody learns which orders exist.
    """
    # Numbers are written in capitals (PO-2612-00042): the unique index finds one however it was typed.
    order = Order.objects.filter(number=number.strip().upper()).first()
    if order is None:
        return
    contact = contact.strip()
    matches = bool(order.email) and contact.lower() == order.email
    if not matches:
        try:
            matches = phone_normalise(contact) == order.phone
        except InvalidOrder:
            matches = False
    if matches:
        now = now or timezone.now()
        # Each request sends the link again: the key holds the moment it was asked for.
        message_queue(kind="order_link", key=f"order:{order.pk}:link:{now.isoformat()}", order=order, now=now)


REJECTED_PAYMENT_GRACE = datetime.timedelta(hours=24)


def order_payment_awaiting(*, order: Order, now: datetime.datetime) -> None:
    """A payment was sent in time and waits for the seller: the order must not expire meanwhile.

    Call with the order locked.
    """
    if order.payment_awaiting_since is None:
        order.payment_awaiting_since = now
        order.save(update_fields=["payment_awaiting_since"])


def order_payment_decided(*, order: Order, still_awaiting: bool, rejected: bool, now: datetime.datetime) -> None:
    """The seller decided on a payment. Call with the order locked.

    After a rejection the buyer gets at least REJECTED_PAYMENT_GRACE to send
    a correct payment before the order can expire.
    """
    fields = []
    if not still_awaiting and order.payment_awaiting_since is not None:
        order.payment_awaiting_since = None
        fields.append("payment_awaiting_since")
    if rejected and order.status == Status.PENDING_PAYMENT and order.payment_deadline < now + REJECTED_PAYMENT_GRACE:
        order.payment_deadline = now + REJECTED_PAYMENT_GRACE
        fields.append("payment_deadline")
    if fields:
        order.save(update_fields=fields)
