"""The kode unik search on PostgreSQL: unique_code/orm.py's rule in fewer statements, each looking amounts
up in the unpaid amounts' unique index. tests/orders/test_checkout_parity.py holds the two to the same
results."""

from django.db import connection

from ...models import Order
from ...prepared import rows_named
from .common import UNIQUE_CODE_TIERS


# The first of a few codes (random) that no unpaid order at this amount uses, each looked up in the unpaid
# amounts' unique index by a subquery of its own: the planner cannot turn that into a scan of every unpaid
# order, whatever its statistics say.
def _first_free_of(codes: str) -> str:
    return (
        f"(SELECT code FROM unnest(%({codes})s::integer[]) AS tried(code)"
        " WHERE (SELECT true FROM orders_order WHERE status = %(status)s AND first_transfer_idr = %(base)s + code)"
        " IS NULL LIMIT 1)"
    )


ORDER_ID_AND_FIRST_FREE_SQL = (
    """SELECT
  COALESCE(%(order_id)s, nextval(pg_get_serial_sequence(%(table)s, 'id'))) AS order_id,
  """
    + _first_free_of("candidates")
    + " AS code"
)

# For a crowded amount, one statement that stops at the first step giving a code (COALESCE evaluates only
# what it needs): a free three-digit code, from those taken (at most 999 read in the index; skipped when
# known to be all taken); a few four-digit codes (none when tried already); a free four-digit code, from
# those taken.
CROWDED_SQL = (
    """SELECT COALESCE(
    (SELECT code FROM generate_series(%(low0)s, %(high0)s) AS free(code)
     WHERE %(scan_three_digit)s
       AND NOT EXISTS (SELECT 1 FROM orders_order WHERE status = %(status)s
                       AND first_transfer_idr BETWEEN %(base)s + %(low0)s AND %(base)s + %(high0)s
                       AND first_transfer_idr = %(base)s + code)
     ORDER BY random() LIMIT 1),
    """
    + _first_free_of("four_digit")
    + """,
    (SELECT code FROM generate_series(%(low1)s, %(high1)s) AS free(code)
     WHERE NOT EXISTS (SELECT 1 FROM orders_order WHERE status = %(status)s
                       AND first_transfer_idr BETWEEN %(base)s + %(low1)s AND %(base)s + %(high1)s
                       AND first_transfer_idr = %(base)s + code)
     ORDER BY random() LIMIT 1)) AS code
"""
)


def first_free(*, first_payment_idr: int, candidates: list[int], order_id: int | None) -> tuple[int | None, int | None]:
    """As unique_code/orm.py's first_free, with the order's id from the sequence (unless `order_id` is
    given), in one statement, so that the order's insert can be its transaction's first."""
    with connection.cursor() as cursor:
        cursor.execute(
            ORDER_ID_AND_FIRST_FREE_SQL,
            {
                "order_id": order_id,
                "table": Order._meta.db_table,
                "base": first_payment_idr,
                "status": Order.Status.PENDING_PAYMENT,
                "candidates": candidates,
            },
        )
        (row,) = rows_named(cursor)
    return row["order_id"], row["code"]


def crowded(*, first_payment_idr: int, scan_three_digit: bool, four_digit: list[int]) -> int | None:
    """As unique_code/orm.py's crowded, in one statement."""
    (low0, high0), (low1, high1) = UNIQUE_CODE_TIERS
    with connection.cursor() as cursor:
        cursor.execute(
            CROWDED_SQL,
            {
                "base": first_payment_idr,
                "status": Order.Status.PENDING_PAYMENT,
                "scan_three_digit": scan_three_digit,
                "four_digit": four_digit,
                "low0": low0,
                "high0": high0,
                "low1": low1,
                "high1": high1,
            },
        )
        (row,) = rows_named(cursor)
    return row["code"]
