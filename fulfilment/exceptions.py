class FulfilmentError(Exception):
    """A rule of a PO after its window was broken; the message is fit to show the seller or the buyer."""


class StepRefused(FulfilmentError):
    """A PO cannot take this step now (production, shipping, completing, cancelling); the message says why."""


class ShippingError(FulfilmentError):
    """A shipping rule was broken; the message says which, for the seller."""


class DelayAnswerRefused(FulfilmentError):
    """The buyer's answer to a delay cannot be taken."""
