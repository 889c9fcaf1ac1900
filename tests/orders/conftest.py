import pytest

from preorder_shop.celery import app


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in the test's own process, as soon as they are sent."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
