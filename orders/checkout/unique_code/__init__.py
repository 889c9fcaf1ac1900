"""The kode unik: a code added to an order's first transfer so that no two unpaid orders share an amount.

A few random three-digit codes are tried; when they are all taken, a free one from all those taken; when
every three-digit code is taken, a few four-digit ones, and only then all the four-digit ones. Each step has
two implementations of one rule (see vendor.py): orm.py, the readable reference, on SQLite;
postgresql.py, fewer statements, on PostgreSQL.
"""

import random
import time

from django.utils.translation import gettext as _

from ...exceptions import InvalidOrder
from ..vendor import by_vendor
from . import orm, postgresql
from .common import UNIQUE_CODE_MAX, UNIQUE_CODE_TIERS

__all__ = ["UNIQUE_CODE_MAX", "UNIQUE_CODE_TIERS", "order_id_and_unique_code"]

# Codes tried at once before reading every amount taken near this one: at a price with 900 of 999 taken, 32
# random ones are all taken for one order in 30.
UNIQUE_CODE_CANDIDATES = 32
# How long a process takes the three-digit codes at an amount for all taken, once it found them so: meanwhile
# its orders at that amount skip reading the 999 and get a four-digit code, unless a random three-digit one is free.
UNIQUE_CODE_FULL_SECONDS = 30
_three_digit_codes_full_until: dict[int, float] = {}

_first_free = by_vendor(postgresql=postgresql.first_free, orm=orm.first_free)
_crowded = by_vendor(postgresql=postgresql.crowded, orm=orm.crowded)


def order_id_and_unique_code(first_payment_idr: int, order_id: int | None) -> tuple[int | None, int]:
    """The order's id and a kode unik no unpaid order at this amount uses, in one round trip on PostgreSQL
    but when the amount is crowded; InvalidOrder when every code is taken.

    The id comes from PostgreSQL's sequence (None on SQLite, where the insert
    numbers the order), read with the code, so that the insert is the
    transaction's first statement. Once the three-digit codes at an amount were
    all found taken, this process tries four-digit ones with the first few for
    UNIQUE_CODE_FULL_SECONDS and skips reading the 999.
    """
    three_digit, four_digit = _candidates(tier=0), _candidates(tier=1)
    scan_three_digit = not _three_digit_codes_full(first_payment_idr)
    candidates = three_digit if scan_three_digit else three_digit + four_digit
    order_id, code = _first_free(first_payment_idr=first_payment_idr, candidates=candidates, order_id=order_id)
    if code is None:
        code = _crowded(
            first_payment_idr=first_payment_idr,
            scan_three_digit=scan_three_digit,
            four_digit=four_digit if scan_three_digit else [],
        )
    if code is None:
        raise InvalidOrder(_("Too many unpaid orders share this amount right now; please try again in a few minutes."))
    if code > UNIQUE_CODE_TIERS[0][1] and scan_three_digit:
        _three_digit_codes_full_until[first_payment_idr] = time.monotonic() + UNIQUE_CODE_FULL_SECONDS
    return order_id, code


def _candidates(tier: int) -> list[int]:
    # Codes only tell transfers apart, they guard nothing: the module's generator is enough (and three times cheaper).
    low, high = UNIQUE_CODE_TIERS[tier]
    return random.sample(range(low, high + 1), UNIQUE_CODE_CANDIDATES)


def _three_digit_codes_full(first_payment_idr: int) -> bool:
    until = _three_digit_codes_full_until.get(first_payment_idr)
    if until is None:
        return False
    if until > time.monotonic():
        return True
    _three_digit_codes_full_until.pop(first_payment_idr, None)
    return False
