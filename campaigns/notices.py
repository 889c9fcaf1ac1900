"""What a PO's page says to every buyer the checkout sent back alike: which variant (or the PO) sold out.

The checkout sends a buyer refused for want of units to the PO's page with
?habis=<campaign item id> (or ?habis=po), not with a message of their own: the
page is then the same for everyone sent back for the same reason, so the page
cache and the proxy in front keep it, and a rush of refused buyers does not
make gunicorn render the PO's page once for each of them.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import Campaign
from .selectors import campaign_item_on_sale

SOLD_OUT_PARAMETER = "habis"
SOLD_OUT_PO = "po"


def units_left_text(*, label: str, units_left: int) -> str:
    """What a refusal for want of units says: that `label` has just sold out, or how many are left."""
    if units_left:
        return _("Only %(left)d left of %(item)s; lower the quantity and order again.") % {
            "left": units_left,
            "item": label,
        }
    return _("%(item)s has just sold out.") % {"item": label}


@dataclass(frozen=True)
class Notice:
    """Shown where the visitor's messages go (templates/_messages.html), but the same for every visitor."""

    text: str
    tags: str = "error"

    def __str__(self) -> str:
        return self.text


def sold_out_notice(*, campaign: Campaign, raw: str) -> Notice | None:
    """The notice for ?habis=`raw`: one of this PO's variants on sale (its campaign item id) or the whole PO
    ("po"), with the units left as they are now; None for anything else, or when nothing is counted."""
    if raw == SOLD_OUT_PO:
        left, label = campaign.units_left, campaign.title
    elif raw.isascii() and raw.isdigit() and len(raw) <= 18:
        item = campaign_item_on_sale(campaign=campaign, item_id=int(raw))
        if item is None:
            return None
        left, label = item.units_left_in(campaign), str(item.variant)
    else:
        return None
    if left is None:  # no quota (any more): nothing to say
        return None
    return Notice(units_left_text(label=label, units_left=left))
