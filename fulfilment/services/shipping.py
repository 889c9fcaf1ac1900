"""Postage after weighing, and shipping with a courier and resi.

Only an order paid in full, postage included, ships. Shipping one order, or a
whole file of them, tells each buyer once; the first parcel out moves the PO
to shipping.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.services import campaign_mark_shipping
from catalog.money import format_rupiah
from orders.couriers import COURIERS, courier_code
from orders.locks import rows_lock
from orders.models import Order
from orders.outbox import message_queue
from orders.services import order_transition
from payments.ledger import order_ledger
from payments.services import order_follow_payments

from ..exceptions import ShippingError, StepRefused

Status = Order.Status
Stage = Campaign.Stage
SHIPPABLE_STAGES = (Stage.IN_PRODUCTION, Stage.SHIPPING)


def order_postage_set(*, order: Order, postage_idr: int, actor, now: datetime.datetime) -> Order:
    """The seller weighed the parcel: the postage becomes final and the balance follows."""
    if not 0 <= postage_idr <= 10_000_000:
        raise ShippingError(_("Give the postage in whole rupiah, between Rp0 and Rp10.000.000."))
    with transaction.atomic():
        order = rows_lock(order_ids=[order.pk], with_campaigns=False, order_related=["campaign"]).order
        if order.status not in Order.UNSHIPPED_STATUSES:
            raise ShippingError(
                _("%(number)s is %(status)s; its postage can no longer change.")
                % {"number": order.number, "status": order.get_status_display().lower()}
            )
        goods = order.goods_total_idr
        if goods + postage_idr < order.first_payment_idr:
            raise ShippingError(_("The postage cannot lower the order below its first payment."))
        if order.status == Status.PAID and postage_idr > order.postage_idr:
            raise ShippingError(
                _("%(number)s is already paid in full; record a lower postage, or refund instead of charging more.")
                % {"number": order.number}
            )
        changed = postage_idr != order.postage_idr or not order.postage_final
        order.postage_idr = postage_idr
        order.total_idr = goods + postage_idr
        order.postage_final = True
        order.save(update_fields=["postage_idr", "total_idr", "postage_final"])
        order = Order.objects.prefetch_related("payments", "refunds").select_related("campaign").get(pk=order.pk)
        order_follow_payments(order=order, now=now, actor=actor)
        if changed:
            message_queue(
                kind="postage_set",
                key=f"order:{order.pk}:postage:{postage_idr}",
                order=order,
                params={"postage_idr": postage_idr},
                now=now,
            )
    return order


def _shippable_or_error(order: Order) -> str:
    """Why this (locked, with payments and refunds) order cannot ship, or ""."""
    if order.status == Status.SHIPPED:
        return _("%(number)s has already shipped.") % {"number": order.number}
    if order.status != Status.PAID:
        return _("%(number)s is not paid in full (%(status)s); it cannot ship.") % {
            "number": order.number,
            "status": order.get_status_display().lower(),
        }
    if not order.postage_final:
        return _("Set the postage of %(number)s first.") % {"number": order.number}
    due = order_ledger(order).due_idr
    if due:
        return _("%(number)s still owes %(amount)s; it cannot ship.") % {
            "number": order.number,
            "amount": format_rupiah(due),
        }
    if order.campaign.stage not in SHIPPABLE_STAGES:
        return _("The PO of %(number)s is not in production (%(stage)s).") % {
            "number": order.number,
            "stage": order.campaign.get_stage_display().lower(),
        }
    return ""


def _clean_shipment(courier: str, tracking_number: str) -> tuple[str, str]:
    code = courier_code(courier)
    if code is None:
        raise ShippingError(
            _("Unknown courier %(courier)s; use one of: %(known)s.")
            % {"courier": courier.strip() or "-", "known": ", ".join(name for name, _url in COURIERS.values())}
        )
    resi = "".join(tracking_number.split())
    if not 6 <= len(resi) <= 40 or not resi.isalnum():
        raise ShippingError(_("A tracking number (resi) has 6 to 40 letters and digits."))
    return code, resi


def _ship_locked(*, order: Order, code: str, resi: str, actor, now: datetime.datetime) -> None:
    """Ship an order whose campaign and itself are locked (in that order: rows_lock)."""
    order.courier, order.tracking_number, order.shipped_at = code, resi, now
    order.save(update_fields=["courier", "tracking_number", "shipped_at"])
    order_transition(order=order, to_status=Status.SHIPPED, now=now, actor=actor, reason=f"{order.courier_name} {resi}")
    # The first parcel out moves the PO to shipping (read again: an earlier row may have moved it).
    campaign = Campaign.objects.get(pk=order.campaign_id)
    if campaign.stage == Stage.IN_PRODUCTION:
        campaign_mark_shipping(campaign=campaign, now=now)
    message_queue(kind="order_shipped", key=f"order:{order.pk}:shipped", order=order, now=now)


def shipments_lock(order_numbers: list[str]) -> None:
    """Lock every order of a shipping file, and their campaigns first, in one go (before its rows ship
    one by one), so that the file's order of rows never becomes a lock order."""
    numbers = [number.strip().upper() for number in order_numbers]
    rows_lock(orders=Order.objects.filter(number__in=numbers))


def order_ship(*, order: Order, courier: str, tracking_number: str, actor, now: datetime.datetime) -> Order:
    code, resi = _clean_shipment(courier, tracking_number)
    with transaction.atomic():
        order = rows_lock(
            order_ids=[order.pk], order_related=["campaign"], order_prefetch=["payments", "refunds"]
        ).order
        reason = _shippable_or_error(order)
        if reason:
            raise ShippingError(reason)
        _ship_locked(order=order, code=code, resi=resi, actor=actor, now=now)
    return order


@dataclass(frozen=True)
class ShipmentRow:
    line: int  # the row's number in the file, as the seller sees it
    order_number: str
    courier: str
    tracking_number: str


@dataclass
class ShipmentCheck:
    row: ShipmentRow
    error: str = ""
    order: Order | None = None
    courier_code: str = ""
    resi: str = ""


def shipments_check(rows: list[ShipmentRow]) -> list[ShipmentCheck]:
    """Each row with what is wrong with it, without changing anything (the preview)."""
    numbers = [row.order_number.strip().upper() for row in rows]
    orders = {
        order.number: order
        for order in Order.objects.select_related("campaign")
        .prefetch_related("payments", "refunds")
        .filter(number__in=numbers)
    }
    return _checks(rows, orders)


def _checks(rows: list[ShipmentRow], orders: dict[str, Order]) -> list[ShipmentCheck]:
    seen_numbers: dict[str, int] = {}
    seen_resi: dict[str, int] = {}
    checks = []
    for row in rows:
        check = ShipmentCheck(row=row)
        number = row.order_number.strip().upper()
        try:
            check.courier_code, check.resi = _clean_shipment(row.courier, row.tracking_number)
        except ShippingError as error:
            check.error = str(error)
        order = orders.get(number)
        if not check.error and order is None:
            check.error = _("No order %(number)s.") % {"number": number or "-"}
        if not check.error and number in seen_numbers:
            check.error = _("%(number)s is also on row %(line)d.") % {"number": number, "line": seen_numbers[number]}
        if not check.error and check.resi in seen_resi:
            check.error = _("This resi is also on row %(line)d.") % {"line": seen_resi[check.resi]}
        if not check.error:
            check.error = _shippable_or_error(order)
        seen_numbers.setdefault(number, row.line)
        if check.resi:
            seen_resi.setdefault(check.resi, row.line)
        check.order = order
        checks.append(check)
    return checks


def campaign_shipping_start(*, campaign: Campaign, now: datetime.datetime) -> Campaign:
    """The seller says parcels are going out (the first one shipped says so by itself)."""
    with transaction.atomic():
        campaign = rows_lock(campaign_ids=[campaign.pk]).campaign
        if campaign.stage != Stage.IN_PRODUCTION:
            raise StepRefused(
                _("%(campaign)s is %(stage)s; only a PO in production starts shipping.")
                % {"campaign": campaign.title, "stage": campaign.get_stage_display().lower()}
            )
        return campaign_mark_shipping(campaign=campaign, now=now)
