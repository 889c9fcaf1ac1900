"""What happens around today: the shop's profile and bank accounts, three orders on the open batik PO, and
the sambal PO's orders, which closed a few days ago and waits for the closing job."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from campaigns.models import Campaign
from catalog.models import ShopProfile
from demand.services import interest_register
from orders.checkout import BuyerDetails, LineRequest, order_place
from orders.models import BankAccount, Order
from payments.services import payment_confirm, payment_submit

from .window import DemoOrder, window_run

TODAY_BUYERS = [
    BuyerDetails(
        name="Rina Kartika",
        phone="081234500001",
        email="rina@example.com",
        province="Jawa Barat",
        city="Kota Bandung",
        district="Coblong",
        postal_code="40132",
        street="Jl. Dago No. 101",
    ),
    BuyerDetails(
        name="Dimas Pratama",
        phone="081234500002",
        email="dimas@example.com",
        province="DKI Jakarta",
        city="Jakarta Selatan",
        district="Tebet",
        postal_code="12810",
        street="Jl. Tebet Raya No. 7, RT 02/RW 04",
    ),
    BuyerDetails(
        name="Ayu Lestari",
        phone="081234500003",
        email="ayu@example.com",
        province="Jawa Timur",
        city="Kota Surabaya",
        district="Gubeng",
        postal_code="60281",
        street="Jl. Dharmawangsa No. 45",
        note="Tolong dibungkus rapi, untuk kado.",
    ),
]


def shop_profile_ensure() -> ShopProfile:
    """Who sells (the contract before paying names them) and where parcels come from; the seller's own
    profile is left as it is."""
    profile = ShopProfile.objects.order_by("pk").first()
    if profile is None:
        profile = ShopProfile.objects.create(
            shop_name="Sekar Batik Nusantara",
            owner_name="CV Sekar Batik Nusantara",
            address="Jl. Dr. Rajiman No. 521, Laweyan, Kota Surakarta, Jawa Tengah 57148",
            whatsapp="+6281200001000",
            email="halo@example.com",
        )
    return profile


def bank_accounts_ensure() -> None:
    if not BankAccount.objects.exists():
        BankAccount.objects.create(
            bank_name="BCA", account_number="8730 123 456", account_holder="Sekar Batik Nusantara"
        )
        BankAccount.objects.create(
            bank_name="Mandiri", account_number="137 00 1234567 8", account_holder="Sekar Batik Nusantara", position=1
        )


def _transfer_screenshot(amount_idr: int) -> SimpleUploadedFile:
    image = Image.new("RGB", (360, 640), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 360, 80], fill="#0060af")
    draw.text((20, 30), "m-BCA  Transfer Berhasil", fill="#ffffff")
    draw.text((20, 140), f"Rp {amount_idr:,}".replace(",", "."), fill="#000000")
    draw.text((20, 180), "Ke: 8730123456 Sekar Batik Nusantara", fill="#000000")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("bukti.png", buffer.getvalue(), content_type="image/png")


def batik_orders_today(*, batik: Campaign, now: datetime.datetime) -> None:
    """Three orders on the open batik PO: one DP paid with a transfer proof, two waiting for payment."""
    if Order.objects.filter(campaign=batik).exists():
        return
    items = list(batik.items.order_by("position"))
    ordered_at = now - datetime.timedelta(hours=3)
    paid = order_place(
        campaign_id=batik.pk,
        lines=[LineRequest(items[2].pk, 2, "Lengan dipendekkan 2 cm"), LineRequest(items[3].pk, 1)],
        buyer=TODAY_BUYERS[0],
        payment_plan=Order.PaymentPlan.DOWN_PAYMENT,
        terms_accepted=True,
        now=ordered_at,
    )
    payment = payment_submit(
        order=paid,
        amount_idr=paid.first_transfer_idr,
        # the day it was sent, even just after midnight
        paid_on=timezone.localdate(now - datetime.timedelta(hours=2)),
        from_bank="BCA",
        from_account_name="Rina Kartika",
        proof_file=_transfer_screenshot(paid.first_transfer_idr),
        now=now - datetime.timedelta(hours=2),
    )
    payment_confirm(payment_id=payment.pk, now=now - datetime.timedelta(hours=1), actor_label="system")
    order_place(
        campaign_id=batik.pk,
        lines=[LineRequest(items[4].pk, 1)],
        buyer=TODAY_BUYERS[1],
        payment_plan=Order.PaymentPlan.FULL,
        terms_accepted=True,
        now=ordered_at,
    )
    order_place(
        campaign_id=batik.pk,
        lines=[LineRequest(items[0].pk, 1), LineRequest(items[1].pk, 1)],
        buyer=TODAY_BUYERS[2],
        payment_plan=Order.PaymentPlan.DOWN_PAYMENT,
        terms_accepted=True,
        now=now - datetime.timedelta(minutes=20),
    )


def sambal_orders(*, sambal: Campaign, seller) -> bool:
    """The sambal PO's buyers, all paid in its window: the closing job closes it and takes its tally. False
    when the PO has orders already or has moved on."""
    if sambal.stage != Campaign.Stage.PUBLISHED or Order.objects.filter(campaign=sambal).exists():
        return False
    medium, hot, extra = "Sedang", "Pedas", "Extra pedas"
    window_run(
        campaign=sambal,
        seller=seller,
        orders=[
            DemoOrder(4, ((hot, 2, ""),), day=1, hour=11),
            DemoOrder(12, ((medium, 1, ""), (extra, 1, "")), day=1, hour=14),
            DemoOrder(28, ((extra, 3, ""),), day=4, hour=19, note="Botol dibungkus bubble wrap, pengiriman ke Medan."),
            DemoOrder(20, ((medium, 2, ""),), day=4, hour=10),
            DemoOrder(27, ((hot, 1, ""),), day=7, hour=16),
            DemoOrder(32, ((hot, 2, ""), (medium, 1, "")), day=7, hour=12),
        ],
    )
    return True


# Buyers who asked to be reminded of the flannel PO before payday, with what they expect to buy:
# (WhatsApp, e-mail, {variant label contains: quantity}).
FLANNEL_INTEREST = (
    ("0812-0000-2001", "", {"M": 2}),
    ("0812-0000-2002", "rina.flanel@example.com", {"L": 1}),
    ("0812-0000-2003", "", {"M": 1, "L": 1}),
    ("0812-0000-2004", "", {}),
    ("0812-0000-2005", "", {"XL": 3}),
)


def flannel_interest(*, flannel: Campaign, now: datetime.datetime) -> int:
    """ "Ingatkan saya" on the coming flannel PO, so that the seller sees the interest beside its quotas.
    Asking again changes nothing (once per number); once the PO has opened, nothing is added."""
    if flannel.status_at(now) != Campaign.Status.COMING_SOON:
        return 0
    items = list(flannel.items.on_sale().select_related("variant").prefetch_related("variant__option_values"))
    asked = 0
    for number, (phone, email, wanted) in enumerate(FLANNEL_INTEREST):
        chosen = {}
        for size, quantity in wanted.items():
            item = next((item for item in items if size in item.variant.label.split(" / ")), None)
            if item:
                chosen[item.pk] = quantity
        _interest, created = interest_register(
            campaign=flannel, phone=phone, email=email, wanted=chosen, client_key=f"demo-{number}", now=now
        )
        asked += created
    return asked
