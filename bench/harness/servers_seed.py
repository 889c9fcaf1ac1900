"""The servers drill's shop: the drill's open PO (shop.drill_po_seed), a PO in production whose paid orders
wait for their resi, and the seller's login. Imports the shop's models: run it in `manage.py shell`.

The PO in production is made as a real one is, through the services: its window ran in the past, each
buyer's transfer came in on the bank statement, the window closed and production started. No file is
written: the statement is read from rows, not stored.
"""

import datetime

from celery.schedules import crontab
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from bench.harness.shop import drill_po_seed
from campaigns.demo import demo_seller_ensure
from campaigns.models import Campaign
from fulfilment.demo.bank import transfers_import
from fulfilment.demo.window import window_close
from fulfilment.services import campaign_production_start
from orders.checkout import LineRequest, order_place
from orders.models import Order
from tests.factories import buyer, campaign_with_products

SELLER_PASSWORD = "rahasia-penjual-servers-123"


def servers_seed(*, shipping_orders: int) -> dict:
    """The drill's PO, a PO in production with `shipping_orders` orders paid in full, the seller's login."""
    drill = drill_po_seed()
    now = timezone.now()
    opened = now - datetime.timedelta(days=3)
    shipping = campaign_with_products(
        products=1, options={}, title="PO Siap Kirim", slug="po-siap-kirim",
        opens_at=opened, closes_at=now - datetime.timedelta(hours=2),
    )  # fmt: skip
    item = shipping.items.get()
    placed_at = opened + datetime.timedelta(hours=1)
    orders = [
        order_place(
            campaign_id=shipping.pk,
            lines=[LineRequest(item.pk, 1)],
            buyer=buyer(name=f"Penerima {n}", phone=f"0813{70_000_000 + n:08d}", email=f"penerima{n}@servers.example"),
            payment_plan=Order.PaymentPlan.FULL,
            terms_accepted=True,
            now=placed_at,
        )
        for n in range(1, shipping_orders + 1)
    ]
    login = demo_seller_ensure(password=SELLER_PASSWORD)
    seller = get_user_model().objects.get(username=login.username)
    transfers_import(
        transfers=[(order, order.first_transfer_idr, timezone.localdate(placed_at)) for order in orders],
        seller=seller,
        now=placed_at + datetime.timedelta(hours=1),
    )
    window_close(shipping)
    campaign_production_start(campaign=Campaign.objects.get(pk=shipping.pk), now=now)
    return {
        "slug": drill["slug"],
        "item": drill["item"],
        "product": Campaign.objects.get(slug=drill["slug"]).items.get().variant.product_id,
        "shipping_orders": [order.number for order in orders],
        "seller": {"username": login.username, "password": SELLER_PASSWORD},
    }


def beat_schedule_described() -> dict[str, dict]:
    """Each job of CELERY_BEAT_SCHEDULE: its task, its period when it is an interval ("every", seconds), and
    whether it is a crontab of every minute."""
    described = {}
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        every = schedule.total_seconds() if isinstance(schedule, datetime.timedelta) else None
        if isinstance(schedule, int | float):
            every = float(schedule)
        every_minute = isinstance(schedule, crontab) and all(
            str(getattr(schedule, f"_orig_{part}")) == "*"
            for part in ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
        )
        described[name] = {"task": entry["task"], "every": every, "every_minute": every_minute}
    return described
