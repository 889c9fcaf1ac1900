"""The address labels: eight per A4 sheet, printed from the browser, one per parcel still to ship.

A label has a fixed size, so what goes in is counted before it is printed: the
parcel's lines that fit under the address are listed, and the rest is left to
the packing list ("+3 more, see the packing list") rather than cut off at the
label's edge.
"""

from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import Campaign
from orders.models import Order

from .parcels import address_lines, line_contents, order_courier, produced_orders
from .sheets import text_lines

# What fulfilment/templates/fulfilment/address_labels.html prints, in points: a label is 95 x 69 mm less
# 4 mm and 5 mm of padding, and each part's line is its type size times its line height there.
# tests/fulfilment/test_export_labels.py measures the fullest labels in Chromium: nothing may overflow.
LABEL_WIDTH, LABEL_HEIGHT = 239.0, 170.0
GAP = 1.7  # between the parts (0.6 mm)
RULE = 3.7  # the line above the sender's and above the order's part, with its padding
# An average letter of Arial is half its type size wide; counted at 0.6 (0.65 bold), a line holds fewer
# letters than it does, so an estimate errs towards a line too many.
LETTER, BOLD_LETTER = 0.6, 0.65
CONTENTS_POINTS, CONTENTS_LINE = 9.0, 1.25  # the order's part: number, courier, lines, "+N more"
ORDER_NUMBER_LINE = 12.5  # in a monospace type of 10.5 pt


@dataclass(frozen=True)
class Typeset:
    """Type sizes of a label; a long address or name gets smaller type rather than being cut off."""

    css_class: str
    name_points: float
    address_points: float
    phone_points: float
    name_lines: int  # at most
    sender_lines: int  # the sender's line, 8.5 pt (7.5 pt on one line in the tightest)
    sender_points: float


TYPESETS = (
    Typeset("", name_points=13, address_points=10, phone_points=10.5, name_lines=2, sender_lines=2, sender_points=8.5),
    Typeset(
        "compact", name_points=11, address_points=8.5, phone_points=10, name_lines=2, sender_lines=2, sender_points=8.5
    ),
    Typeset(
        "tight", name_points=10, address_points=7.5, phone_points=9, name_lines=2, sender_lines=1, sender_points=7.5
    ),
)


def _lines(text: str, points: float, *, bold: bool = False) -> int:
    letters = LABEL_WIDTH / (points * (BOLD_LETTER if bold else LETTER))
    return text_lines(text, letters + 1)


def _contents_height(text: str, *, bold: bool = False) -> float:
    return _lines(text, CONTENTS_POINTS, bold=bold) * CONTENTS_POINTS * CONTENTS_LINE


@dataclass(frozen=True)
class AddressLabel:
    """One parcel's label: who receives it, where, how it travels and what goes in."""

    order_number: str
    recipient_name: str
    phone: str
    address_lines: tuple[str, ...]
    items: tuple[str, ...]  # ("2x Kemeja Batik (M / Sogan)", "1x Tas Tenun")
    # DP paid only: the balance is collected before this parcel may leave.
    balance_outstanding: bool = False
    courier: str = ""  # "JNE, resi JX123" once known

    @property
    def address(self) -> str:
        return ", ".join(self.address_lines)

    @property
    def contents(self) -> str:
        return ", ".join(self.items)

    def _fixed_height(self, typeset: Typeset) -> float:
        """Everything but the lines: the sender, recipient, phone, address, order number, balance, courier."""
        height = 4 * GAP + 2 * RULE + typeset.sender_lines * typeset.sender_points * 1.2
        name_lines = min(_lines(self.recipient_name, typeset.name_points, bold=True), typeset.name_lines)
        height += name_lines * typeset.name_points * 1.15
        height += typeset.phone_points * 1.2
        height += (
            sum(_lines(line, typeset.address_points) for line in self.address_lines) * typeset.address_points * 1.25
        )
        height += ORDER_NUMBER_LINE
        if self.balance_outstanding:
            height += _contents_height(_("BALANCE NOT PAID YET: do not ship"), bold=True)
        if self.courier:
            height += _contents_height(_("Courier: %(courier)s") % {"courier": self.courier})
        return height

    @cached_property
    def _layout(self) -> tuple[Typeset, int]:
        """The largest type that leaves room for a line (or "+N more"), and how many lines fit."""
        # The same texts as the template's, in the language it is printed in.
        more = _contents_height(
            ngettext("+%(counter)s more, see the packing list", "+%(counter)s more, see the packing list", 99)
            % {"counter": 99},
            bold=True,
        )
        heights = [_contents_height(item) for item in self.items]
        for typeset in TYPESETS:
            room = LABEL_HEIGHT - self._fixed_height(typeset)
            if room >= min(heights[:1] + [more]) or typeset is TYPESETS[-1]:
                break
        if sum(heights) <= room:
            return typeset, len(self.items)
        room -= more
        shown = 0
        for height in heights:
            if height > room:
                break
            room -= height
            shown += 1
        return typeset, shown

    @property
    def typeset(self) -> str:
        """The CSS class of the label's type sizes: "" as designed, "compact" or "tight" for a long address."""
        return self._layout[0].css_class

    @property
    def items_shown(self) -> tuple[str, ...]:
        """The lines that fit on the label; when some do not, room is kept for "+N more"."""
        return self.items[: self._layout[1]]

    @property
    def items_more(self) -> int:
        """How many lines are left to the packing list."""
        return len(self.items) - self._layout[1]


def address_labels(*, campaign: Campaign) -> list[AddressLabel]:
    """A label for every produced order not shipped yet, in order-number order (two queries per 2,000 orders)."""
    return [
        AddressLabel(
            order_number=order.number,
            recipient_name=order.buyer_name,
            phone=order.phone,
            address_lines=address_lines(order),
            items=tuple(line_contents(line) for line in order.lines.all()),
            balance_outstanding=order.status == Order.Status.DP_PAID,
            courier=order_courier(order),
        )
        for order in produced_orders(campaign=campaign, statuses=Order.PACKABLE_STATUSES, prefetch=("lines",))
    ]
