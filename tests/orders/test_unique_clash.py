"""An insert that meets another unpaid order's transfer amount is known by the constraint's name: on
PostgreSQL the error names it, on SQLite its columns are matched to the model's constraint."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from orders.checkout import placing
from orders.checkout.integrity import unique_constraint_broken
from orders.checkout.placing import TRANSFER_AMOUNT_UNIQUE
from orders.models import Order
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db


def _clash(**fields) -> IntegrityError:
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        Order.objects.create(**fields)
    return raised.value


def _copy(order: Order, **changes) -> dict:
    fields = {field.attname: getattr(order, field.attname) for field in Order._meta.concrete_fields}
    return {**fields, "id": None, "number": None, "token": f"another-{order.token}", **changes}


def test_a_clash_on_this_database_is_named_by_its_constraint():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    order = place_order(campaign, [(campaign.items.get(), 1)])
    assert unique_constraint_broken(_clash(**_copy(order)), model=Order) == TRANSFER_AMOUNT_UNIQUE
    assert unique_constraint_broken(_clash(**_copy(order, unique_code=order.unique_code % 999 + 1,
        first_transfer_idr=order.first_payment_idr + order.unique_code % 999 + 1, number=order.number)),
        model=Order) == "order_number_unique"  # fmt: skip
    not_unique = _clash(**_copy(order, status="paid", units=0))  # a check constraint
    assert unique_constraint_broken(not_unique, model=Order) is None
    assert connection.vendor in ("postgresql", "sqlite")


class _Diagnostics:
    def __init__(self, constraint_name):
        self.constraint_name = constraint_name


class _DriverError(Exception):
    """What psycopg raises: its diagnostics name the constraint."""

    def __init__(self, constraint_name):
        super().__init__()
        self.diag = _Diagnostics(constraint_name)


@pytest.mark.parametrize(
    ("constraint_name", "name"),
    [
        (TRANSFER_AMOUNT_UNIQUE, TRANSFER_AMOUNT_UNIQUE),
        ("order_token_unique", "order_token_unique"),
        ("order_units_positive", None),  # a check constraint
        (None, None),  # a foreign key's, deferred to COMMIT, or none named
    ],
)
def test_postgresql_names_the_constraint(constraint_name, name):
    error = IntegrityError("duplicate key value violates unique constraint (any wording)")
    error.__cause__ = _DriverError(constraint_name)
    assert unique_constraint_broken(error, model=Order) == name


@pytest.mark.parametrize(
    ("message", "name"),
    [
        ("UNIQUE constraint failed: orders_order.first_transfer_idr", TRANSFER_AMOUNT_UNIQUE),
        ("UNIQUE constraint failed: orders_order.number", "order_number_unique"),
        ("UNIQUE constraint failed: orders_message.first_transfer_idr", None),  # another table's
        ("UNIQUE constraint failed: orders_order.first_transfer_idr, orders_order.number", None),
        ("NOT NULL constraint failed: orders_order.first_transfer_idr", None),
    ],
)
def test_sqlite_names_the_columns_and_they_are_matched_to_the_models_constraint(message, name):
    assert unique_constraint_broken(IntegrityError(message), model=Order) == name


def test_an_order_that_meets_an_amount_at_its_insert_picks_another_code(monkeypatch):
    """The clash is recognised and the order tried again, on either database."""
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, payment_terms="full_only")
    campaign.items.update(price_idr=150_000)
    small, medium = campaign.items.order_by("position")
    now = timezone.now() + datetime.timedelta(seconds=1)
    first = place_order(campaign, [(small, 1)], plan="full", phone="081200000001", email="a@example.com", now=now)
    real, tries = placing.order_id_and_unique_code, []

    def raced(first_payment_idr, order_id):
        order_id, code = real(first_payment_idr, order_id)
        tries.append(code)
        return (order_id, first.unique_code) if len(tries) == 1 else (order_id, code)

    monkeypatch.setattr(placing, "order_id_and_unique_code", raced)
    second = place_order(campaign, [(medium, 1)], plan="full", phone="081200000002", email="b@example.com", now=now)
    assert len(tries) == 2 and second.unique_code == tries[1] != first.unique_code
    assert second.first_payment_idr == first.first_payment_idr
