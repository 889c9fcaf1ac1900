"""Statements the checkout runs, prepared once per PostgreSQL connection.

Planning them cost PostgreSQL about as much as running them, and some run
while other buyers wait for the lock. A prepared statement lives as long as its
session whatever the transactions around it do (PREPARE is not rolled back; one
that fails prepares nothing), so each connection prepares each statement once:
a new connection (Django's reconnect, another thread) starts with none.
"""

import weakref

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import AutoField, BigAutoField, Model, SmallAutoField

_prepared: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()


def execute_prepared(cursor, name: str, argument_types: list[str], sql: str, params: list) -> None:
    """Run `sql` (parameters $1, $2... of `argument_types`) with `params`, as the statement `name`
    this connection prepared, preparing it first if it has not."""
    raw = connection.connection
    names = _prepared.setdefault(raw, set())
    if name not in names:
        cursor.execute(f"PREPARE {name}({', '.join(argument_types)}) AS {sql}")
        names.add(name)
    # Each argument cast to its type: a list of NULLs or of JSON texts is not coerced by itself.
    arguments = ", ".join(f"%s::{argument_type}" for argument_type in argument_types)
    cursor.execute(f"EXECUTE {name}({arguments})", params)


def _insert_fields(model: type[Model], with_pk: bool) -> list:
    """The columns an insert of `model` writes, as Django's own insert does: every concrete field, the
    primary key only when it is given (else the sequence numbers the row)."""
    return [
        field
        for field in model._meta.local_concrete_fields
        if with_pk or not (field.primary_key and isinstance(field, AutoField | BigAutoField | SmallAutoField))
    ]


def rows_insert_prepared(name: str, groups: list[tuple[list[Model], bool]]) -> None:
    """Insert every group's rows (instances of one model each; True: with their primary keys) in one
    prepared statement, one round trip: each group's columns go as arrays, so that the statement has one
    shape for any number of rows. Values are prepared as Model.save() prepares them; no signals are sent.

    `name` stands for one list of (model, with primary keys) in this order. PostgreSQL only. Foreign keys
    are checked at COMMIT (Django makes them deferrable), so a row may name another of the same statement.
    """
    db = connections[DEFAULT_DB_ALIAS]
    shape = tuple((type(rows[0]), with_pk) for rows, with_pk in groups)
    statement = _insert_statements.get((name, shape))
    if statement is None:
        statement = _insert_statements[(name, shape)] = _insert_statement(db, shape)
    fields_per_group, argument_types, sql = statement
    params = [
        [field.get_db_prep_save(field.pre_save(row, True), db) for row in rows]
        for (rows, _with_pk), fields in zip(groups, fields_per_group, strict=True)
        for field in fields
    ]
    with db.cursor() as cursor:
        execute_prepared(cursor, name, argument_types, sql, params)
    for rows, _with_pk in groups:
        for row in rows:
            row._state.adding, row._state.db = False, db.alias


# (name, shape) -> (the fields of each group, the argument types, the statement): built once per process.
_insert_statements: dict[tuple, tuple[list[list], list[str], str]] = {}


def _insert_statement(db, shape) -> tuple[list[list], list[str], str]:
    fields_per_group, argument_types, parts = [], [], []
    for index, (model, with_pk) in enumerate(shape):
        fields = _insert_fields(model, with_pk)
        fields_per_group.append(fields)
        arrays = []
        for field in fields:
            argument_types.append(f"{field.db_type(db)}[]")
            arrays.append(f"${len(argument_types)}")
        columns = ", ".join(db.ops.quote_name(field.column) for field in fields)
        insert = (
            f"INSERT INTO {db.ops.quote_name(model._meta.db_table)} ({columns})"  # noqa: S608 - model names
            f" SELECT * FROM unnest({', '.join(arrays)})"
        )
        parts.append(insert if index == len(shape) - 1 else f"rows_{index} AS ({insert})")
    sql = f"WITH {', '.join(parts[:-1])} {parts[-1]}" if len(parts) > 1 else parts[0]
    return fields_per_group, argument_types, sql


def rows_named(cursor) -> list[dict]:
    """The rows the cursor's statement gave, each as {column name: value}, so that code reads them by name."""
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def model_from_row(model: type[Model], row: dict) -> Model:
    """An instance of `model` from its concrete fields' values in `row` ({column name: value}, as rows_named
    gives them), converted as the ORM converts them (JSON, and SQLite's dates)."""
    db = connections[DEFAULT_DB_ALIAS]
    fields = model._meta.concrete_fields
    converters = _converters.get(model)
    if converters is None:
        converters = _converters[model] = []
        for index, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            functions = [*db.ops.get_db_converters(column), *field.get_db_converters(db)]
            if functions:
                converters.append((index, column, functions))
    values = [row[field.column] for field in fields]
    for index, column, functions in converters:
        for function in functions:
            values[index] = function(values[index], column, db)
    return model.from_db(db.alias, [field.attname for field in fields], values)


# model -> [(index, column, converters)] for the fields whose values the ORM converts; built once per process.
_converters: dict[type[Model], list] = {}
