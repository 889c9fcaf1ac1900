"""The one Celery app of the shop: tasks are found in every installed app."""

import os

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preorder_shop.settings")

app = Celery("preorder_shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connections_checked(task=None, **kwargs) -> None:
    """Around each task, as around each web request: a connection that broke, or is past CONN_MAX_AGE, is closed.

    With CELERY_DB_REUSE_MAX set, Celery keeps the connection between tasks
    instead of closing it every time; this keeps it only while it is good. A
    task run eagerly (inside its caller) leaves the caller's connection alone.
    """
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
