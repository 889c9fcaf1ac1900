"""The one Celery app of the shop: tasks are found in every installed app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preorder_shop.settings")

app = Celery("preorder_shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
