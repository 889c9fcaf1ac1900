class PaymentError(Exception):
    """A payment rule was broken; the message is fit to show the buyer or seller."""


class ProofRejected(PaymentError):
    pass


class PaymentAlreadyDecided(PaymentError):
    pass


class PaymentNotAccepted(PaymentError):
    pass
