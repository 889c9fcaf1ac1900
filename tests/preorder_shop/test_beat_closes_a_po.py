"""Beat and a real worker, on the configured broker, close a PO and take its tally:
the schedule as it runs in production, with nothing called by hand."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from fulfilment.models import ProductionTally
from payments.services import payment_confirm, payment_submit
from tests.factories import campaign_with_products, place_order
from tests.helpers import live_worker, wait_until
from tests.payments.conftest import png_upload

pytestmark = [pytest.mark.live_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _tally_made(campaign) -> bool:
    try:
        return ProductionTally.objects.filter(campaign=campaign).exists()
    except OperationalError as error:
        # SQLite's in-memory test database, shared with the worker's thread: a read while the job writes
        # its tally is refused ("database table is locked"), not kept waiting. Look again in a moment.
        if "locked" not in str(error):
            raise
        return False


def test_beat_and_a_worker_close_a_po_and_the_tally_appears(tmp_path, settings):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    now = timezone.now()
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

    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "preorder_shop",
            "beat",
            "--loglevel",
            "WARNING",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        cwd=ROOT,
        env={**os.environ},
    )
    try:
        with live_worker():
            # Beat sends the closing and production jobs at the start of each minute.
            wait_until(
                lambda: _tally_made(campaign), timeout=150, interval=0.5, message="beat's jobs made the PO's tally"
            )
    finally:
        beat.terminate()
        beat.wait(timeout=20)
    campaign.refresh_from_db()
    assert campaign.stage == Campaign.Stage.IN_PRODUCTION
    tally = ProductionTally.objects.get(campaign=campaign)
    assert (tally.units, tally.orders) == (3, 1)
    assert dict(tally.lines.values_list("sku", "units")) == {small.variant.sku: 2, medium.variant.sku: 1}
