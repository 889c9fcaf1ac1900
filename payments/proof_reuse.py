"""One transfer proof sent for two orders: the same file, or the same screenshot re-saved, resized or
recompressed (a perceptual hash a few bits apart), is flagged on both payments for the seller."""

import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from .models import Payment

# Bits two 16x16 perceptual hashes may differ by and still be one screenshot (re-saved or resized copies
# are 4 or fewer apart; receipts of the same banking app for other transfers 18 or more).
PHASH_SAME_MAX_BITS = 8
# Proofs older than this are not compared: a screenshot reused after half a year is no longer a live fraud.
LOOKBACK_DAYS = 180


def proof_reused_by(*, order_id: int, sha256: str, phash: str, now: datetime.datetime) -> Payment | None:
    """The latest proof of another order that is the same file or the same picture; reads only."""
    if not sha256:
        return None
    others = (
        Payment.objects.filter(submitted_at__gte=now - datetime.timedelta(days=LOOKBACK_DAYS))
        .exclude(order_id=order_id)
        .exclude(proof_sha256="")
        .select_related("order")
        .order_by("-submitted_at", "-pk")
    )
    same_file = others.filter(proof_sha256=sha256).first()
    if same_file is not None or not phash:
        return same_file
    mine = int(phash, 16)
    for pk, other in others.exclude(proof_phash="").values_list("pk", "proof_phash").iterator(chunk_size=5000):
        if len(other) == len(phash) and (mine ^ int(other, 16)).bit_count() <= PHASH_SAME_MAX_BITS:
            return others.get(pk=pk)
    return None


def proof_reuse_flag(*, payment: Payment, other: Payment) -> None:
    """Flag both proofs, each naming the other's order. Call inside the transaction that saved `payment`."""
    payment.proof_flag = Payment.ProofFlag.REUSED
    payment.proof_flag_note = _("The same picture as the proof of %(number)s.") % {"number": other.order.number}
    payment.save(update_fields=["proof_flag", "proof_flag_note"])
    Payment.objects.filter(pk=other.pk).filter(Q(proof_flag="") | Q(proof_flag=Payment.ProofFlag.REUSED)).update(
        proof_flag=Payment.ProofFlag.REUSED,
        proof_flag_note=_("The same picture as the proof of %(number)s.") % {"number": payment.order.number},
    )
