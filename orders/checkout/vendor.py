"""The checkout's steps that have a PostgreSQL fast path: one function each, of two implementations."""

import functools
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

Step = TypeVar("Step", bound=Callable)


def by_vendor(*, postgresql: Step, orm: Step) -> Step:
    """One function of two implementations with the same arguments and results: `postgresql`, hand-written
    SQL for speed, on PostgreSQL; `orm`, the plain ORM reference that states the rule, on any other database
    (SQLite). The database's vendor is read at the first call and kept."""

    @functools.cache
    def chosen() -> Step:
        return postgresql if connection.vendor == "postgresql" else orm

    def step(*args, **kwargs):
        return chosen()(*args, **kwargs)

    return step
