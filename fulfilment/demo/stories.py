"""POs further along their life than today's, each built through the services at the times it happened:
one completed, one that failed its goal, one being shipped and one in production.

Each is built only when its campaign does not exist yet, oldest first, so that the jobs run at a past
time (closing, expiry) find nothing of a later PO.
"""

import datetime

from django.utils import timezone

from campaigns.models import Campaign
from catalog.models import Product
from orders.models import Order
from payments.models import Refund
from payments.refunds import refund_mark_sent
from payments.services import order_cancel

from ..services import (
    campaign_complete,
    campaign_production_start,
    campaign_update_announce,
    order_receipt_confirm,
    order_ship,
)
from .bank import balances_import
from .window import DemoOrder, at, campaign_in_the_past, window_close, window_run

Plan = Order.PaymentPlan
DP, FULL = Plan.DOWN_PAYMENT, Plan.FULL
COMPLETED_SLUG = "po-tote-bag-lukis-edisi-perdana"
FAILED_SLUG = "po-kastengel-keju-edam-batch-kecil"
SHIPPING_SLUG = "po-nastar-wisman-batch-gajian"
IN_PRODUCTION_SLUG = "po-batik-tulis-parang-batch-2"
SLUGS = (COMPLETED_SLUG, FAILED_SLUG, SHIPPING_SLUG, IN_PRODUCTION_SLUG)

DAY = datetime.timedelta(days=1)
# Resi as each courier writes them (made up).
COURIER_RESI = (("JNE", "SOC{:010d}"), ("J&T", "JP{:010d}"), ("SiCepat", "00{:010d}"), ("AnterAja", "AA{:010d}"))


def _ship(orders: list[Order], *, seller, now: datetime.datetime) -> None:
    for order in orders:
        courier, resi = COURIER_RESI[order.pk % len(COURIER_RESI)]
        order_ship(
            order=order, courier=courier, tracking_number=resi.format(4_100_000_000 + order.pk), actor=seller, now=now
        )


def po_completed(*, today: datetime.date, seller) -> Campaign:
    """The painted bags' first edition, weeks ago: made, shipped and received by every buyer, so the PO is
    completed. One buyer cancelled before production (refunded) and one never paid (expired)."""
    campaign = campaign_in_the_past(
        slug=COMPLETED_SLUG,
        products=[Product.objects.get(slug="tote-bag-lukis-ondel-ondel")],
        published_at=at(today - 67 * DAY, 9),
        title="Tote Bag Lukis Ondel-ondel, Edisi Perdana",
        description="Edisi pertama tote bag lukis Ondel-ondel, dilukis tangan satu per satu dan bernomor.",
        opens_at=at(today - 64 * DAY, 12),
        closes_at=at(today - 54 * DAY, 21),
        estimated_ship_date=today - 44 * DAY,
        per_buyer_limit=2,
        payment_terms=Campaign.PaymentTerms.FULL_ONLY,
    )
    red, green = "Ondel-ondel Merah", "Ondel-ondel Hijau"
    orders = window_run(
        campaign=campaign,
        seller=seller,
        orders=[
            DemoOrder(0, ((red, 1, "Nomor 1 kalau masih ada"),), day=0, hour=12),
            DemoOrder(3, ((green, 2, ""),), day=0, hour=13, note="Untuk hadiah guru, mohon tanpa nota harga."),
            DemoOrder(6, ((red, 1, ""), (green, 1, "")), day=0, hour=15),
            DemoOrder(10, ((red, 1, ""),), day=1, hour=11, pays=False),
            DemoOrder(14, ((green, 1, ""),), day=1, hour=19),
            DemoOrder(18, ((red, 2, ""),), day=2, hour=10),
            DemoOrder(22, ((green, 1, ""),), day=4, hour=14),
            DemoOrder(26, ((red, 1, "Tolong lukisannya yang matanya melotot"),), day=5, hour=16),
            DemoOrder(30, ((green, 1, ""),), day=7, hour=12),
            DemoOrder(34, ((red, 1, ""),), day=9, hour=18),
        ],
    )
    campaign = window_close(campaign)
    order_cancel(
        order=orders[6],
        reason="Pembeli minta batal sebelum produksi (salah pilih model).",
        actor=seller,
        now=at(today - 53 * DAY, 9),
    )
    campaign_production_start(campaign=campaign, now=at(today - 53 * DAY, 10))
    cancelled = Refund.objects.filter(order=orders[6]).first()
    refund_mark_sent(
        refund_id=cancelled.pk,
        method="Transfer BCA",
        reference="TRF-DEMO-0001",
        actor=seller,
        now=at(today - 52 * DAY, 10),
    )
    made = [order for order in orders if order.pk not in (orders[3].pk, orders[6].pk)]
    _ship(made[:4], seller=seller, now=at(today - 45 * DAY, 15))
    _ship(made[4:], seller=seller, now=at(today - 44 * DAY, 15))
    for position, order in enumerate(made):
        order_receipt_confirm(order=order, now=at(today - (42 - position % 4) * DAY, 10 + position))
    campaign.refresh_from_db()
    if campaign.stage == Campaign.Stage.SHIPPING:  # not completed with its last order: the seller marks it
        campaign = campaign_complete(campaign=campaign, now=at(today - 37 * DAY, 9))
    return campaign


def po_failed(*, today: datetime.date, seller) -> Campaign:
    """A small batch that needed 30 jars to be baked: it closed with fewer, failed, and every buyer's payment
    was recorded as a refund; the seller has sent all but one."""
    campaign = campaign_in_the_past(
        slug=FAILED_SLUG,
        products=[Product.objects.get(slug="kastengel-keju-edam")],
        published_at=at(today - 49 * DAY, 9),
        title="PO Kastengel Keju Edam, Batch Kecil",
        description="Dipanggang hanya jika terkumpul minimal 30 toples; kalau tidak, semua pembayaran dikembalikan.",
        opens_at=at(today - 47 * DAY, 10),
        closes_at=at(today - 40 * DAY, 21),
        estimated_ship_date=today - 33 * DAY,
        minimum_goal_units=30,
        goal_missed_policy=Campaign.GoalMissedPolicy.REFUND,
        payment_terms=Campaign.PaymentTerms.DP_ALLOWED,
        dp_kind=Campaign.DownPaymentKind.PERCENT,
        dp_percent=50,
        balance_due_date=today - 36 * DAY,
    )
    jar = "500 gr"
    window_run(
        campaign=campaign,
        seller=seller,
        orders=[
            DemoOrder(1, ((jar, 2, ""),), day=0, hour=11),
            DemoOrder(5, ((jar, 1, ""),), day=1, hour=13, plan=DP),
            DemoOrder(9, ((jar, 3, ""),), day=1, hour=19, pays=False),
            DemoOrder(13, ((jar, 2, "Kejunya yang banyak ya"),), day=2, hour=10, plan=DP),
            DemoOrder(17, ((jar, 1, ""),), day=4, hour=16),
            DemoOrder(21, ((jar, 2, ""),), day=5, hour=12, plan=DP),
            DemoOrder(33, ((jar, 1, ""),), day=6, hour=19),
        ],
    )
    campaign = window_close(campaign)
    refunds = list(Refund.objects.filter(order__campaign=campaign).order_by("pk"))
    for position, refund in enumerate(refunds[:-1]):
        refund_mark_sent(
            refund_id=refund.pk,
            method="Transfer BCA",
            reference=f"TRF-DEMO-{1100 + position}",
            actor=seller,
            now=at(today - 39 * DAY, 10, position * 5),
        )
    return campaign


def po_shipping(*, today: datetime.date, seller) -> Campaign:
    """A cookie PO being shipped: every order paid (balances included), most sent with courier and resi, one
    already received by its buyer; the rest wait to be packed."""
    campaign = campaign_in_the_past(
        slug=SHIPPING_SLUG,
        products=[Product.objects.get(slug="nastar-wisman-premium")],
        published_at=at(today - 35 * DAY, 9),
        title="PO Nastar Wisman, Batch Tanggal Gajian",
        description="Dibuka tanggal gajian: nastar Wisman dipanggang setelah PO ditutup, sehari sebelum dikirim.",
        opens_at=at(today - 33 * DAY, 10),
        closes_at=at(today - 23 * DAY, 21),
        estimated_ship_date=today - 5 * DAY,
        payment_terms=Campaign.PaymentTerms.DP_ALLOWED,
        dp_kind=Campaign.DownPaymentKind.PERCENT,
        dp_percent=50,
        balance_due_date=today - 10 * DAY,
    )
    small, big = "500 gr", "1 kg"
    window_run(
        campaign=campaign,
        seller=seller,
        orders=[
            DemoOrder(2, ((small, 2, ""),), day=0, hour=10),
            DemoOrder(7, ((big, 1, ""),), day=0, hour=12, plan=DP),
            DemoOrder(11, ((small, 1, ""), (big, 1, "")), day=0, hour=19),
            DemoOrder(15, ((big, 2, "Satu toples untuk mertua, dipisah ya"),), day=1, hour=12, plan=DP),
            DemoOrder(19, ((small, 3, ""),), day=2, hour=14),
            DemoOrder(23, ((small, 1, ""),), day=3, hour=11, pays=False),
            DemoOrder(25, ((big, 1, ""),), day=4, hour=16, note="Kirim ke kantor, jam kerja."),
            DemoOrder(28, ((small, 2, ""),), day=5, hour=13, plan=DP),
            DemoOrder(31, ((big, 1, ""),), day=6, hour=10),
            DemoOrder(35, ((small, 1, ""), (big, 1, "")), day=7, hour=18, plan=DP),
            DemoOrder(37, ((small, 2, ""),), day=8, hour=12),
            DemoOrder(40, ((big, 1, ""),), day=9, hour=15, note="Bubble wrap tebal, ke Balikpapan."),
            DemoOrder(43, ((small, 1, ""),), day=10, hour=17),
        ],
    )
    campaign = window_close(campaign)
    campaign_production_start(campaign=campaign, now=at(today - 22 * DAY, 10))
    made = list(Order.objects.filter(campaign=campaign, status__in=Order.PAID_STATUSES).order_by("number"))
    balances = [order for order in made if order.status == Order.Status.DP_PAID]
    balances_import(orders=balances[:2], seller=seller, now=at(today - 15 * DAY, 20, 30))
    balances_import(orders=balances[2:], seller=seller, now=at(today - 12 * DAY, 20, 30))
    _ship(made[:5], seller=seller, now=at(today - 5 * DAY, 14))
    _ship(made[5:8], seller=seller, now=at(today - 4 * DAY, 15))
    order_receipt_confirm(order=made[0], now=at(today - 3 * DAY, 11, 20))
    return campaign


def _batik_orders() -> list[DemoOrder]:
    """Forty-two orders over a two-week window: sizes mostly M and L, a few couples' orders of two shirts,
    a DP on two orders in five, notes for the workshop and for the parcel, and two buyers who never pay."""
    sizes = ["M", "L", "L", "M", "XL", "S", "M", "L", "XL", "M", "L", "S"]
    colours = ["Sogan", "Biru Indigo", "Sogan", "Sogan", "Biru Indigo"]
    line_notes = {
        0: "Lengan dipendekkan 2 cm",
        5: "Tambah panjang badan 3 cm",
        12: "Kancing batok kelapa kalau ada",
        17: "Untuk seragam arisan, motif harus sama dengan pesanan ibu Nadia",
        22: "Lingkar dada 108 cm, mohon dicek L cukup",
        28: "Saku di dada kiri",
        34: "Lengan dipendekkan 1 cm",
        40: "Tambah panjang badan 2 cm",
    }
    order_notes = {
        2: "Untuk kado ulang tahun suami, jangan taruh nota harga di paket.",
        8: "Titip di satpam kalau saya tidak di rumah.",
        15: "Alamat kantor, kirim jam kerja saja (08.00-16.00).",
        23: "Mohon dibungkus plastik tebal, sedang musim hujan.",
        31: "Tolong kabari lewat WhatsApp sebelum dikirim.",
        38: "Dipakai untuk kondangan, semoga bisa dikirim sebelum tanggal 20.",
    }
    orders = []
    for position in range(42):
        size, colour = sizes[position % len(sizes)], colours[position % len(colours)]
        lines = [(f"{size} / {colour}", 2 if position % 8 == 3 else 1, line_notes.get(position, ""))]
        if position % 7 == 6:  # a couple's order: a second shirt, the other colour
            other = "Biru Indigo" if colour == "Sogan" else "Sogan"
            lines.append((f"{sizes[(position + 5) % len(sizes)]} / {other}", 1, ""))
        orders.append(
            DemoOrder(
                buyer=position,
                lines=tuple(lines),
                day=position * 15 // 42,
                hour=10 + position * 5 % 9,
                plan=DP if position % 5 in (1, 3) else FULL,
                pays=position not in (9, 26),
                note=order_notes.get(position, ""),
            )
        )
    return orders


# Orders (by position) whose buyers paid the balance during production, by days before today.
BATIK_BALANCES_PAID = {6: (1, 6), 3: (13, 21, 33)}


def po_in_production(*, today: datetime.date, seller) -> Campaign:
    """Batch 2 of the batik shirts, closed twelve days ago with forty paid orders and in production since:
    the tally is taken, some balances are in and the rest are due before shipping."""
    campaign = campaign_in_the_past(
        slug=IN_PRODUCTION_SLUG,
        products=[Product.objects.get(slug="kemeja-batik-tulis-parang")],
        published_at=at(today - 29 * DAY, 9),
        title="PO Kemeja Batik Tulis Parang, Batch 2",
        description="Batch kedua kemeja batik tulis Parang, dibatik tangan oleh pengrajin Laweyan, Solo.",
        opens_at=at(today - 27 * DAY, 10),
        closes_at=at(today - 13 * DAY, 21),
        estimated_ship_date=today + 8 * DAY,
        minimum_goal_units=20,
        goal_missed_policy=Campaign.GoalMissedPolicy.REFUND,
        payment_terms=Campaign.PaymentTerms.DP_ALLOWED,
        dp_kind=Campaign.DownPaymentKind.PERCENT,
        dp_percent=50,
        balance_due_date=today + 4 * DAY,
    )
    specs = _batik_orders()
    orders = window_run(campaign=campaign, orders=specs, seller=seller)
    campaign = window_close(campaign)
    campaign_production_start(campaign=campaign, now=at(today - 12 * DAY, 10))
    campaign_update_announce(
        campaign=campaign,
        message="Semua kain sudah selesai dibatik dan dilorod; minggu ini masuk penjahitan. Pelunasan ditunggu "
        "sampai tanggal jatuh tempo ya.",
        new_estimated_ship_date=None,
        posted_by=seller,
        now=at(today - 7 * DAY, 16),
    )
    for days_before, positions in BATIK_BALANCES_PAID.items():
        balances = [orders[position] for position in positions]
        balances_import(orders=balances, seller=seller, now=at(today - days_before * DAY, 20, 30))
    return campaign


STORIES = (
    (COMPLETED_SLUG, po_completed),
    (FAILED_SLUG, po_failed),
    (SHIPPING_SLUG, po_shipping),
    (IN_PRODUCTION_SLUG, po_in_production),
)


def stories_build(*, now: datetime.datetime, seller) -> list[Campaign]:
    """Build each PO of the stories that does not exist yet, oldest first; returns those it built."""
    today = timezone.localdate(now)
    return [
        build(today=today, seller=seller) for slug, build in STORIES if not Campaign.objects.filter(slug=slug).exists()
    ]
