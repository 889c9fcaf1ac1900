from django.utils.translation import gettext as _


class InterestError(Exception):
    """A rule of "Ingatkan saya" was broken; the message is fit to show the buyer."""


class InterestNotTaken(InterestError):
    """The PO does not take reminders now: it is open (order instead), or it has closed."""

    def __init__(self, *, campaign, status):
        self.campaign, self.status = campaign, status
        if status == campaign.Status.OPEN:
            message = _("This PO is open: order now.")
        elif status == campaign.Status.DRAFT:
            message = _("This PO is not published.")
        else:
            message = _("This PO has closed; reminders are no longer taken.")
        super().__init__(message)


class InterestInvalid(InterestError):
    """What was asked cannot be kept: a number that is not a WhatsApp number, a variant not sold here."""


class InterestCapReached(InterestError):
    def __init__(self, *, cap: int):
        self.cap = cap
        super().__init__(
            _("This connection already asked for reminders for %(cap)d numbers in this PO; no more can be added.")
            % {"cap": cap}
        )


class WaitlistNotTaken(InterestError):
    """The waitlist is for what is sold out in an open PO: the PO is not open, or the variant is on sale."""
