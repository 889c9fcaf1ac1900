"""The worker keeps its database connection from one task to the next, as gunicorn does, and replaces a broken one."""

import pytest
from django.db import connection

from preorder_shop.celery import app
from tests.helpers import live_worker, wait_until

pytestmark = [pytest.mark.live_worker, pytest.mark.django_db(transaction=True)]

SEEN: list[tuple[object, int]] = []  # (the DB-API connection, kept so that no other can take its id; SELECT 1)


@app.task(name="tests.connection_seen")
def connection_seen(break_it: bool = False) -> None:
    """Note which connection the task ran on (and that it works); with `break_it`, close it behind Django's back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        SEEN.append((connection.connection, cursor.fetchone()[0]))
    if break_it:
        connection.connection.close()  # as a database restart leaves it


def _run(*breaks):
    SEEN.clear()
    with live_worker():
        for break_it in breaks:
            connection_seen.delay(break_it)
        wait_until(lambda: len(SEEN) >= len(breaks), interval=0.1, message=f"the worker ran {len(breaks)} tasks")
    assert len(SEEN) == len(breaks)
    return SEEN


def test_tasks_in_a_row_share_one_database_connection():
    seen = _run(False, False, False)
    assert seen[0][0] is seen[1][0] is seen[2][0]  # not a new connection (and backend) per task


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server connection that breaks")
def test_a_broken_connection_is_replaced_before_the_next_task():
    seen = _run(False, True, False)
    assert seen[0][0] is seen[1][0] and seen[2][0] is not seen[1][0]
    assert [answer for _, answer in seen] == [1, 1, 1]  # the task after the break ran on a good connection
