"""Statements the checkout runs under the campaign's lock, prepared once per PostgreSQL connection.

Planning them cost PostgreSQL about as much as running them, and they run
while other buyers wait for the lock. A prepared statement lives as long as its
session whatever the transactions around it do (PREPARE is not rolled back; one
that fails prepares nothing), so each connection prepares each statement once:
a new connection (Django's reconnect, another thread) starts with none.
"""

import weakref

from django.db import connection

_prepared: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()


def execute_prepared(cursor, name: str, argument_types: list[str], sql: str, params: list) -> None:
    """Run `sql` (parameters $1, $2... of `argument_types`) with `params`, as the statement `name`
    this connection prepared, preparing it first if it has not."""
    raw = connection.connection
    names = _prepared.setdefault(raw, set())
    if name not in names:
        cursor.execute(f"PREPARE {name}({', '.join(argument_types)}) AS {sql}")
        names.add(name)
    cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
