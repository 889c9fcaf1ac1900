from django.utils.translation import gettext as _

from campaigns.notices import units_left_text
from catalog.money import format_rupiah


class OrderError(Exception):
    """An order rule was broken; the message is fit to show the buyer or seller."""


class CampaignNotOpen(OrderError):
    pass


class QuotaExceeded(OrderError):
    """Fewer units left than asked for: of the campaign item `item_id`, or of the whole PO (None)."""

    def __init__(self, *, label: str, units_left: int, item_id: int | None = None):
        self.units_left, self.item_id = units_left, item_id
        super().__init__(units_left_text(label=label, units_left=units_left))


class BuyerLimitExceeded(OrderError):
    def __init__(self, *, limit: int, already: int):
        self.limit = limit
        self.already = already
        super().__init__(
            _(
                "This PO allows %(limit)d units per buyer, and %(already)d are already ordered with this phone number or e-mail."
            )
            % {"limit": limit, "already": already}
        )


class InvalidOrder(OrderError):
    pass


class IllegalOrderTransition(OrderError):
    def __init__(self, *, order, to_status):
        self.order = order
        self.to_status = to_status
        super().__init__(
            _("Order %(number)s cannot go from %(from)s to %(to)s.")
            % {"number": order.number, "from": order.get_status_display(), "to": order.Status(to_status).label}
        )


class PostageChanged(OrderError):
    """The postage differs from what the buyer saw: show it and ask again, ordering nothing."""

    def __init__(self, *, postage_idr: int):
        self.postage_idr = postage_idr
        super().__init__(
            _("The postage to your province is %(amount)s; check the total below and place the order again.")
            % {"amount": format_rupiah(postage_idr)}
        )
