"""Demo orders and bank accounts on top of the demo campaigns; safe to run again."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from campaigns.demo import demo_catalog_and_campaigns
from campaigns.models import Campaign
from orders.checkout import BuyerDetails, LineRequest, order_place
from orders.models import BankAccount, Order
from payments.services import payment_confirm, payment_submit

DEMO_BUYERS = [
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


def _transfer_screenshot(amount_idr: int) -> SimpleUploadedFile:
    image = Image.new("RGB", (540, 960), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 540, 120], fill="#0060af")
    draw.text((30, 45), "m-BCA  Transfer Berhasil", fill="#ffffff")
    draw.text((30, 200), f"Rp {amount_idr:,}".replace(",", "."), fill="#000000")
    draw.text((30, 260), "Ke: 8730123456 Sekar Batik Nusantara", fill="#000000")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("bukti.png", buffer.getvalue(), content_type="image/png")


@transaction.atomic
def demo_shop(*, now: datetime.datetime) -> list[Campaign]:
    campaigns = demo_catalog_and_campaigns(now=now)
    if not BankAccount.objects.exists():
        BankAccount.objects.create(
            bank_name="BCA", account_number="8730 123 456", account_holder="Sekar Batik Nusantara"
        )
        BankAccount.objects.create(
            bank_name="Mandiri", account_number="137 00 1234567 8", account_holder="Sekar Batik Nusantara", position=1
        )
    batik = next(campaign for campaign in campaigns if campaign.slug == "po-batik-tulis-parang-batch-3")
    if not Order.objects.filter(campaign=batik).exists():
        items = list(batik.items.order_by("position"))
        ordered_at = now - datetime.timedelta(hours=3)
        paid = order_place(
            campaign_id=batik.pk,
            lines=[LineRequest(items[2].pk, 2, "Lengan dipendekkan 2 cm"), LineRequest(items[3].pk, 1)],
            buyer=DEMO_BUYERS[0],
            payment_plan=Order.PaymentPlan.DOWN_PAYMENT,
            terms_accepted=True,
            now=ordered_at,
        )
        payment = payment_submit(
            order=paid,
            amount_idr=paid.first_transfer_idr,
            paid_on=timezone.localdate(
                now - datetime.timedelta(hours=2)
            ),  # the day it was sent, even just after midnight
            from_bank="BCA",
            from_account_name="Rina Kartika",
            proof_file=_transfer_screenshot(paid.first_transfer_idr),
            now=now - datetime.timedelta(hours=2),
        )
        payment_confirm(payment_id=payment.pk, now=now - datetime.timedelta(hours=1), actor_label="system")
        order_place(
            campaign_id=batik.pk,
            lines=[LineRequest(items[4].pk, 1)],
            buyer=DEMO_BUYERS[1],
            payment_plan=Order.PaymentPlan.FULL,
            terms_accepted=True,
            now=ordered_at,
        )
        order_place(
            campaign_id=batik.pk,
            lines=[LineRequest(items[0].pk, 1), LineRequest(items[1].pk, 1)],
            buyer=DEMO_BUYERS[2],
            payment_plan=Order.PaymentPlan.DOWN_PAYMENT,
            terms_accepted=True,
            now=now - datetime.timedelta(minutes=20),
        )
    return campaigns
