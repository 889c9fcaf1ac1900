"""Two beats and a real worker on the configured broker: every tick sends the cek-ombak jobs twice, and each
buyer still gets exactly one message, when the PO opens and when a unit comes back."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from demand.models import Interest
from demand.services import interest_register
from demand.tasks import interests_notify_opened_task, waitlists_notify_released_task
from demand.waitlist import waitlist_join
from orders.models import Message, Order
from orders.services import order_expire_overdue
from tests.factories import campaign_with_products, place_order
from tests.helpers import live_worker, tasks_run, wait_until

pytestmark = [pytest.mark.live_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _beat(schedule: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "preorder_shop", "beat", "--loglevel", "WARNING", "-s", str(schedule)],
        cwd=ROOT,
        env={**os.environ},
    )


def _count(queryset) -> int:
    try:
        return queryset.count()
    except OperationalError as error:  # SQLite's shared in-memory database while the worker writes
        if "locked" not in str(error):
            raise
        return -1


def test_two_beats_and_a_worker_tell_each_buyer_once(tmp_path):
    now = timezone.now()
    coming = campaign_with_products(
        products=1, options={"Ukuran": ["S"]}, opens_at=now + datetime.timedelta(days=1), title="PO Dibuka"
    )
    for number in range(12):
        interest_register(
            campaign=coming, phone=f"08123000{number:04d}", email="", wanted={}, client_key=f"k{number}", now=now
        )
    Campaign.objects.filter(pk=coming.pk).update(opens_at=now - datetime.timedelta(seconds=1))

    sold_out = campaign_with_products(
        products=1,
        options={"Ukuran": ["S"]},
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=3),
        title="PO Habis",
    )
    (small,) = sold_out.items.all()
    CampaignItem.objects.filter(pk=small.pk).update(quota=2)
    orders = [place_order(sold_out, [(small, 1)], plan="full", phone=f"08129990{n:04d}") for n in range(2)]
    waiting = [
        waitlist_join(
            campaign=sold_out,
            phone=f"08124000{n:04d}",
            email="",
            wanted={small.pk: 1},
            client_key=f"w{n}",
            now=now + datetime.timedelta(milliseconds=n),
        )[0]
        for n in range(5)
    ]
    expired_at = timezone.now()  # the first order's deadline passes: its unit comes back
    Order.objects.filter(pk=orders[0].pk).update(payment_deadline=expired_at - datetime.timedelta(seconds=1))
    order_expire_overdue(now=expired_at)

    opened = Message.objects.filter(kind="po_opened", params__campaign_id=coming.pk)
    back = Message.objects.filter(kind="units_back", params__campaign_id=sold_out.pk)
    beats = [_beat(tmp_path / "beat-a"), _beat(tmp_path / "beat-b")]
    try:
        with tasks_run() as runs, live_worker():

            def ticked_twice_each() -> bool:
                names = [run.name for run in runs]
                return (
                    names.count(interests_notify_opened_task.name) >= 2
                    and names.count(waitlists_notify_released_task.name) >= 2
                    and _count(opened) == 12
                )

            wait_until(ticked_twice_each, timeout=150, interval=0.5, message="both beats sent the cek-ombak jobs")
    finally:
        for beat in beats:
            beat.terminate()
        for beat in beats:
            beat.wait(timeout=20)

    assert opened.count() == 12 and opened.values("to_phone").distinct().count() == 12
    assert not Interest.objects.filter(campaign=coming, notified_at__isnull=True).exists()
    # One unit came back: the first to join is told, once, whichever run took the release.
    assert list(back.values_list("params__interest_id", flat=True)) == [waiting[0].pk]
    runs_of = [run for run in runs if run.name == interests_notify_opened_task.name]
    assert sum(run.retval for run in runs_of) == 12  # the second run of the tick found nobody left to tell
