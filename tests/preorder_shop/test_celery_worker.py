"""A real Celery worker takes a job from the configured broker (the embedded
filesystem broker by default, Redis when REDIS_URL is set) and runs it."""

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from campaigns.models import Campaign
from payments.tasks import campaign_close_due_task
from preorder_shop.celery import app
from tests.factories import CampaignFactory

pytestmark = [pytest.mark.live_worker, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_closing_job_runs_in_a_worker_through_the_broker():
    now = timezone.now()
    campaign = CampaignFactory(opens_at=now - datetime.timedelta(days=5), closes_at=now - datetime.timedelta(minutes=1))

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"):
        campaign_close_due_task.delay()
        assert _wait_for(lambda: Campaign.objects.get(pk=campaign.pk).close_processed_at is not None)


def test_the_beat_schedule_names_only_tasks_the_worker_knows():
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
