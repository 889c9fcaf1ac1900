"""Placing an order: check what the buyer asked for, write the order, and reserve its units under the
campaign's lock, all or nothing."""

import datetime
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import Campaign, CampaignItem
from campaigns.postage import NoPostageToProvince, PostageQuote, postage_quote

from ..exceptions import CampaignNotOpen, InvalidOrder, PostageChanged, QuotaExceeded
from ..models import Order, OrderLine
from ..outbox import message_written
from ..selectors import checkout_items
from .buyer import BuyerDetails, buyer_limit_check, email_key, phone_normalise
from .integrity import unique_constraint_broken
from .order_rows import order_number, order_rows_insert
from .quoting import Quote, order_quote, order_weight_grams
from .reservation import ORDER_TERMS, campaign_closed_message, units_reserve
from .unique_code import order_id_and_unique_code

Plan = Order.PaymentPlan
# DEBUG lines with how long each checkout held the campaign lock (bench/flash.py reads them).
lock_logger = logging.getLogger("orders.lock")
# No two unpaid orders share a transfer amount: an order that meets this one at its insert picks again.
TRANSFER_AMOUNT_UNIQUE = "order_unpaid_transfer_amount_unique"


@dataclass(frozen=True)
class LineRequest:
    campaign_item_id: int
    quantity: int
    note: str = ""


class _ReadAgain(Exception):
    """What the order was built from changed before the lock was taken."""


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
    themselves. Then the reservation takes the campaign's row and its items' rows
    and reserves the units only where they are left (one statement on PostgreSQL),
    and COMMIT follows; any rule broken under the lock rolls the whole order back.
    """
    if not terms_accepted:
        raise InvalidOrder(_("Read and accept the PO terms to order."))
    wanted = _lines_validate(lines)
    phone = phone_normalise(buyer.phone)
    email = buyer.email.strip().lower()
    if payment_plan not in Plan.values:
        raise InvalidOrder(_("Choose how to pay."))

    order_id = None
    for _attempt in range(5):
        if campaign is None or campaign.pk != campaign_id:
            campaign = Campaign.objects.get(pk=campaign_id)
        _open_and_plan_check(campaign, payment_plan, now)
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
        order_id, code = order_id_and_unique_code(quote.first_payment_idr(payment_plan), order_id)
        order = _order_build(
            campaign=campaign,
            buyer=buyer,
            phone=phone,
            email=email,
            payment_plan=payment_plan,
            postage=postage,
            weight_grams=weight,
            quote=quote,
            unique_code=code,
            order_id=order_id,
            # A small-quota PO gives less time to pay (campaigns' time_to_pay); the lines' quotas may spare its read.
            time_to_pay=campaign.time_to_pay(catalog.values()),
            language=language,
            client_key=client_key,
            now=now,
        )
        try:
            with transaction.atomic():
                return _order_place_locked(
                    order=order, lines=_lines_build(order, wanted, catalog), catalog=catalog, now=now
                )
        except IntegrityError as error:
            if unique_constraint_broken(error, model=Order) != TRANSFER_AMOUNT_UNIQUE:
                raise
            # Another unpaid order took this amount at the same moment (any campaign): pick again.
        except _ReadAgain:
            # The seller changed a price or the PO's terms since they were read: read them again.
            campaign, items = None, None
    raise InvalidOrder(_("Too many unpaid orders share this amount right now; please try again in a few minutes."))


def _lines_validate(lines: list[LineRequest]) -> dict[int, LineRequest]:
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


def _open_and_plan_check(campaign: Campaign, payment_plan: str, now: datetime.datetime) -> None:
    if campaign.status_at(now) != Campaign.Status.OPEN:
        raise CampaignNotOpen(campaign_closed_message(campaign, now))
    if payment_plan == Plan.DOWN_PAYMENT and not campaign.allows_down_payment:
        raise InvalidOrder(_("This PO takes full payment only."))
    if payment_plan == Plan.FULL and campaign.payment_terms == Campaign.PaymentTerms.DP_REQUIRED:
        raise InvalidOrder(_("This PO takes a DP first; the balance follows later."))


def _order_build(
    *,
    campaign: Campaign,
    buyer: BuyerDetails,
    phone: str,
    email: str,
    payment_plan: str,
    postage: PostageQuote,
    weight_grams: int,
    quote: Quote,
    unique_code: int,
    order_id: int | None,
    time_to_pay: datetime.timedelta,
    language: str,
    client_key: str,
    now: datetime.datetime,
) -> Order:
    """The order as it will be written (not saved); numbered when its id is known."""
    first_payment = quote.first_payment_idr(payment_plan)
    return Order(
        id=order_id,
        number=order_number(order_id, now) if order_id else None,
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
        units=quote.units,
        total_idr=quote.total_idr,
        postage_idr=postage.amount_idr,
        postage_final=not postage.is_estimate,
        weight_grams=weight_grams,
        first_payment_idr=first_payment,
        unique_code=unique_code,
        first_transfer_idr=first_payment + unique_code,
        payment_deadline=now + time_to_pay,
        balance_due_date=campaign.balance_due_date if first_payment < quote.total_idr else None,
        terms_accepted_at=now,
        language=language,
        created_at=now,
    )


def _lines_build(order: Order, wanted: dict[int, LineRequest], catalog: dict[int, CampaignItem]) -> list[OrderLine]:
    return [
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


def _order_place_locked(
    *, order: Order, lines: list[OrderLine], catalog: dict[int, CampaignItem], now: datetime.datetime
) -> Order:
    """Write the order, then reserve its units under the campaign's lock; inside the caller's transaction.

    The rows go in first: inserting them takes no lock another checkout waits
    for (a foreign key only shares the campaign's key). The lock is taken by
    the reservation and held to COMMIT.
    """
    campaign = order.campaign
    message = order_rows_insert(order=order, lines=lines, now=now)
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
    wanted = {line.campaign_item_id: line.quantity for line in lines}
    reserved = units_reserve(campaign_id=campaign.pk, units=order.units, wanted=wanted, now=now)
    clock["locked"] = reserved.locked_at
    if any(reserved.terms[name] != getattr(campaign, name) for name in ORDER_TERMS):
        raise _ReadAgain
    if len(reserved.prices) != len(wanted):
        _items_refused(campaign=campaign, wanted=wanted, prices=reserved.prices, catalog=catalog)
    if any(reserved.prices[item_id] != catalog[item_id].price_idr for item_id in wanted):
        raise _ReadAgain
    if order.client_key and settings.UNPAID_ORDERS_PER_CLIENT:
        unpaid = (
            Order.objects.filter(campaign=campaign, client_key=order.client_key, status=Order.Status.PENDING_PAYMENT)
            .exclude(pk=order.pk)
            .count()
        )
        if unpaid >= settings.UNPAID_ORDERS_PER_CLIENT:
            raise InvalidOrder(
                ngettext(
                    "You already have %(count)d unpaid order in this PO: pay or cancel it before ordering again.",
                    "You already have %(count)d unpaid orders in this PO: pay or cancel one before ordering again.",
                    unpaid,
                )
                % {"count": unpaid}
            )
    buyer_limit_check(campaign=campaign, phone=order.phone, email=order.email, units=order.units, leaving_out=order.pk)
    return order


def _items_refused(
    *, campaign: Campaign, wanted: dict[int, int], prices: dict[int, int], catalog: dict[int, CampaignItem]
) -> None:
    """Why a line's units were not reserved: InvalidOrder (a variant no longer sold), QuotaExceeded, or
    _ReadAgain (its quota lifted a moment ago); the order rolls back."""
    ids = sorted(wanted)
    current = {
        row["pk"]: row
        for row in CampaignItem.objects.on_sale()
        .filter(campaign=campaign, pk__in=ids)
        .values("pk", "quota", "units_reserved")
    }
    if any(item_id not in current for item_id in ids):
        raise InvalidOrder(_("A chosen variant is not sold in this PO any more; choose again."))
    for item_id in ids:
        if item_id not in prices:
            quota, reserved = current[item_id]["quota"], current[item_id]["units_reserved"]
            if quota is None:  # the seller lifted the quota a moment ago
                raise _ReadAgain
            raise QuotaExceeded(
                label=str(catalog[item_id].variant), units_left=max(quota - reserved, 0), item_id=item_id
            )
    raise AssertionError("unreachable")
