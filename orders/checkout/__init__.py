"""The checkout: quoting an order, placing it (buyer, lines, kode unik) and reserving its units.

quoting.py       what an order costs and what is paid when
buyer.py         the buyer's details, phone and e-mail as kept, the per-buyer limit
placing.py       order_place: the checks, the order's rows, the reservation, all or nothing
order_rows.py    writing the order's rows
unique_code/     the kode unik that keeps unpaid orders' amounts apart
reservation/     taking the campaign's lock and reserving units where they are left
integrity.py     which unique constraint an insert broke
vendor.py        one function, two implementations: plain ORM (SQLite), fast SQL (PostgreSQL)
"""

from .buyer import BuyerDetails, email_key, phone_normalise
from .placing import LineRequest, order_place
from .quoting import Quote, order_quote, order_weight_grams
from .unique_code import UNIQUE_CODE_MAX, UNIQUE_CODE_TIERS

__all__ = [
    "UNIQUE_CODE_MAX",
    "UNIQUE_CODE_TIERS",
    "BuyerDetails",
    "LineRequest",
    "Quote",
    "email_key",
    "order_place",
    "order_quote",
    "order_weight_grams",
    "phone_normalise",
]
