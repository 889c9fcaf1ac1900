"""The schedule as it runs in production, with nothing called by hand: two beats (as when one runs on each
server) and a real worker, on the configured broker. On Redis only the beat holding the lock sends (the other
waits to take over); on the embedded broker both send, every job twice a tick. Either way a closed PO gets its
tally once, and each buyer of cek ombak gets exactly one message, when a PO opens and when a unit comes back.
One test, so that the suite waits for beat's minute once."""

import datetime
from collections import Counter

import pytest
from django.db import OperationalError
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from demand.models import Interest
from demand.services import interest_register
from demand.tasks import interests_notify_opened_task, waitlists_notify_released_task
from demand.waitlist import waitlist_join
from fulfilment.models import ProductionTally
from orders.models import Message, Order
from orders.services import order_expire_overdue
from payments.services import payment_confirm, payment_submit
from tests.factories import campaign_with_products, place_order
from tests.helpers import beat_redis_clear, beat_sends, beat_start, beat_stop, live_worker, tasks_run, wait_until
from tests.payments.conftest import png_upload

pytestmark = [pytest.mark.live_worker, pytest.mark.django_db(transaction=True)]


def _read(read):
    """A read while the worker writes: SQLite's in-memory test database, shared with the worker's thread,
    refuses it ("database table is locked") rather than keeping it waiting. Look again in a moment."""
    try:
        return read()
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        return None


def _closed_po_with_a_paid_order(now):
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        opens_at=now - datetime.timedelta(days=3),
        closes_at=now + datetime.timedelta(seconds=30),
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=90_000)
    small, medium = campaign.items.order_by("position")
    order = place_order(campaign, [(small, 2), (medium, 1)], plan="full")
    payment = payment_submit(
        order=order,
        amount_idr=order.first_transfer_idr,
        paid_on=timezone.localdate(),
        from_bank="BCA",
        from_account_name="Siti",
        proof_file=png_upload(),
        now=now,
    )
    payment_confirm(payment_id=payment.pk, now=now)
    Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
    return campaign, small, medium


def _opened_po_with_interest(now):
    coming = campaign_with_products(
        products=1, options={"Ukuran": ["S"]}, opens_at=now + datetime.timedelta(days=1), title="PO Dibuka"
    )
    for number in range(12):
        interest_register(
            campaign=coming, phone=f"08123000{number:04d}", email="", wanted={}, client_key=f"k{number}", now=now
        )
    Campaign.objects.filter(pk=coming.pk).update(opens_at=now - datetime.timedelta(seconds=1))
    return coming


def _sold_out_po_with_a_waitlist_and_a_unit_back(now):
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
    return sold_out, waiting


def test_two_beats_and_a_worker_run_the_schedule_once_per_tick_in_effect(tmp_path, settings):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    now = timezone.now()
    closed, small, medium = _closed_po_with_a_paid_order(now)
    coming = _opened_po_with_interest(now)
    sold_out, waiting = _sold_out_po_with_a_waitlist_and_a_unit_back(now)
    opened = Message.objects.filter(kind="po_opened", params__campaign_id=coming.pk)
    back = Message.objects.filter(kind="units_back", params__campaign_id=sold_out.pk)

    beat_redis_clear()
    logs = [tmp_path / "beat-a.log", tmp_path / "beat-b.log"]
    beats = [beat_start(log=log, schedule=tmp_path / f"schedule-{n}") for n, log in enumerate(logs)]
    try:
        with tasks_run() as runs, live_worker():

            def all_done() -> bool:
                names = [run.name for run in runs]
                return (
                    names.count(interests_notify_opened_task.name) >= 1
                    and names.count(waitlists_notify_released_task.name) >= 1
                    and _read(lambda: opened.count()) == 12
                    and bool(_read(lambda: ProductionTally.objects.filter(campaign=closed).exists()))
                )

            # Beat sends every job at the start of each minute; the tally may take a second tick.
            wait_until(all_done, timeout=150, interval=0.5, message="both beats' jobs ran")
    finally:
        for beat in beats:
            beat_stop(beat)

    closed.refresh_from_db()
    assert closed.stage == Campaign.Stage.IN_PRODUCTION
    tally = ProductionTally.objects.get(campaign=closed)
    assert (tally.units, tally.orders) == (3, 1)
    assert dict(tally.lines.values_list("sku", "units")) == {small.variant.sku: 2, medium.variant.sku: 1}

    assert opened.count() == 12 and opened.values("to_phone").distinct().count() == 12
    assert not Interest.objects.filter(campaign=coming, notified_at__isnull=True).exists()
    runs_of = [run for run in runs if run.name == interests_notify_opened_task.name]
    assert sum(run.retval for run in runs_of) == 12  # the second run of a tick found nobody left to tell
    # One unit came back: the first to join is told, once, whichever run took the release.
    assert list(back.values_list("params__interest_id", flat=True)) == [waiting[0].pk]

    sends = [beat_sends(log) for log in logs]
    if settings.REDIS_URL:
        assert len([log for log in sends if log]) == 1, "on Redis only the beat holding the lock sends"
        per_minute = Counter((when.replace(second=0, microsecond=0), entry) for when, entry in sends[0] + sends[1])
        assert max(per_minute.values()) == 1, f"a job sent twice in a minute: {per_minute.most_common(3)}"
    else:
        assert all(sends), "on the embedded broker each beat sends"
