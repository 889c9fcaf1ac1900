"""What the packing list and the labels say about a parcel: where it goes, how, and what goes in."""

from collections.abc import Iterable, Iterator, Sequence

from django.utils.translation import gettext as _

from campaigns.models import Campaign
from orders.couriers import courier_name
from orders.models import Order, OrderLine

# Orders read per query (with their lines, payments and refunds prefetched per chunk).
CHUNK_SIZE = 2000


def _one_line(text: str) -> str:
    """A street typed on several lines, as one line of a spreadsheet cell."""
    return ", ".join(" ".join(part.split()) for part in text.splitlines() if part.strip())


def address_lines(order: Order) -> tuple[str, ...]:
    """As written on a parcel: the street (as typed), district and city, province and postal code."""
    street = [" ".join(part.split()) for part in order.street.splitlines() if part.strip()]
    area = ", ".join(part for part in (order.district, order.city) if part)
    region = " ".join(part for part in (order.province, order.postal_code) if part)
    return tuple(part for part in (*street, area, region) if part)


def order_address(order: Order) -> str:
    """The whole address on one line: street, district, city, province, postal code."""
    parts = [_one_line(order.street), order.district, order.city, order.province, order.postal_code]
    return ", ".join(part for part in parts if part)


def order_courier(order: Order) -> str:
    """ "JNE, resi JX123", "JNE", "resi JX123", or "" when neither is known yet."""
    courier = courier_name(order.courier) if order.courier else ""
    resi = order.tracking_number.strip()
    if courier and resi:
        return _("%(courier)s, resi %(resi)s") % {"courier": courier, "resi": resi}
    if resi:
        return _("resi %(resi)s") % {"resi": resi}
    return courier


def line_contents(line: OrderLine) -> str:
    """ "2x Kemeja Batik (M / Sogan)" """
    if line.variant_label:
        return f"{line.quantity}x {line.product_name} ({line.variant_label})"
    return f"{line.quantity}x {line.product_name}"


def produced_orders(*, campaign: Campaign, statuses: Iterable[str], prefetch: Sequence[str]) -> Iterator[Order]:
    """The campaign's orders in order-number order, a chunk at a time with their relations prefetched."""
    orders = Order.objects.filter(campaign=campaign, status__in=list(statuses)).order_by("number", "pk")
    return orders.prefetch_related(*prefetch).iterator(chunk_size=CHUNK_SIZE)
