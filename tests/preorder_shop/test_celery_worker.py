"""A real Celery worker takes a job from the configured broker (the embedded
filesystem broker by default, Redis when REDIS_URL is set) and runs it."""

import datetime
import os
from unittest import mock

import pytest
from django.utils import timezone
from kombu import Connection

from campaigns.models import Campaign
from fulfilment.tasks import campaign_close_due_task
from preorder_shop.broker import Channel
from preorder_shop.celery import app
from tests.factories import CampaignFactory
from tests.helpers import live_worker, wait_until

pytestmark = [pytest.mark.live_worker, pytest.mark.django_db(transaction=True)]


def test_the_closing_job_runs_in_a_worker_through_the_broker():
    now = timezone.now()
    campaign = CampaignFactory(opens_at=now - datetime.timedelta(days=5), closes_at=now - datetime.timedelta(minutes=1))

    with live_worker():
        campaign_close_due_task.delay()
        wait_until(
            lambda: Campaign.objects.get(pk=campaign.pk).close_processed_at is not None,
            message="the worker closed the PO",
        )


def test_the_beat_schedule_names_only_tasks_the_worker_knows():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert campaign_close_due_task.name in scheduled  # the schedule is read: an empty one passes nothing
    assert scheduled - set(app.tasks) == set()


def test_the_embedded_broker_never_shows_a_half_written_message(tmp_path):
    """A reader polling while a message is written sees nothing, then the whole message."""
    folders = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "control_folder": str(tmp_path)}
    seen_while_writing = []
    original_replace = os.replace

    def replace_after_looking(source, target):
        # Just before the rename, a reader lists the folder: only the partial file is there.
        seen_while_writing.extend(name for name in os.listdir(tmp_path) if name.endswith(".celery.msg"))
        return original_replace(source, target)

    with Connection("filesystem://", transport="preorder_shop.broker:Transport", transport_options=folders) as conn:
        channel = conn.default_channel
        assert isinstance(channel, Channel)
        with mock.patch("preorder_shop.broker.os.replace", replace_after_looking):
            channel._put("celery", {"body": "hallo"})
        assert seen_while_writing == []
        assert channel._get("celery") == {"body": "hallo"}
