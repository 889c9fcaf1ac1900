"""What an order costs and what is paid when: for the checkout page and for placing the order."""

from dataclasses import dataclass

from campaigns.models import Campaign
from campaigns.postage import PostageQuote

from ..models import Order


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
        if self.down_payment_idr is None:
            return None
        return balance_left_idr(total_idr=self.total_idr, paid_towards_total_idr=self.down_payment_idr)

    @property
    def postage_later_idr(self) -> int:
        return 0 if self.postage_with_first_payment else self.postage_idr

    def first_payment_idr(self, payment_plan: str) -> int:
        if payment_plan == Order.PaymentPlan.DOWN_PAYMENT:
            return self.down_payment_idr
        return self.total_idr - self.postage_later_idr


def balance_left_idr(*, total_idr: int, paid_towards_total_idr: int) -> int:
    """The balance (pelunasan): what is left of the total after what was paid towards it.

    The one rule behind every balance the buyer reads: the checkout's quote (after the DP), the order's pages
    (after its first payment) and the ledger (after what the order holds, payments/ledger.py). The kode unik
    is not a payment towards the total: it is a surcharge on the first transfer that lets the seller tell it
    apart, drawn only when the order is placed. So the balance promised before ordering is the one asked for
    after the DP, and the ledger still records every rupiah transferred.
    """
    return max(total_idr - paid_towards_total_idr, 0)


def order_balance_idr(order: Order) -> int:
    """The balance an order plans for once its first payment is in (Order.balance_idr)."""
    return order.balance_idr


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
