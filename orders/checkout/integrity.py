"""Which unique constraint an insert broke, by the constraint's name rather than by the error's wording."""

from django.db import IntegrityError
from django.db.models import Model, UniqueConstraint

SQLITE_UNIQUE_FAILED = "UNIQUE constraint failed: "


def unique_constraint_broken(error: IntegrityError, *, model: type[Model]) -> str | None:
    """The name of the UniqueConstraint of `model` that `error` reports broken; None for any other error.

    PostgreSQL names the constraint (psycopg's diagnostics), whatever its kind.
    SQLite names only the columns ("UNIQUE constraint failed: orders_order.first_transfer_idr"):
    they are matched to the model's unique constraint on those fields.
    """
    constraints = [constraint for constraint in model._meta.constraints if isinstance(constraint, UniqueConstraint)]
    diagnostics = getattr(error.__cause__, "diag", None)
    if diagnostics is not None:
        names = {constraint.name for constraint in constraints}
        return diagnostics.constraint_name if diagnostics.constraint_name in names else None
    message = str(error)
    if not message.startswith(SQLITE_UNIQUE_FAILED):
        return None
    columns = {name.strip() for name in message.removeprefix(SQLITE_UNIQUE_FAILED).split(",")}
    table = model._meta.db_table
    for constraint in constraints:
        fields = {f"{table}.{model._meta.get_field(name).column}" for name in constraint.fields}
        if fields and fields == columns:
            return constraint.name
    return None
