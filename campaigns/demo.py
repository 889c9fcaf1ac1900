"""Demo data: a few realistic Indonesian olshop campaigns around today.

Every function here is safe to run again: what exists is left as it is.
"""

import datetime
import io
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from catalog.models import Category, OptionType, Product, ProductImage
from catalog.services import option_type_set_values, product_image_renditions_make, variant_grid_generate

from .models import Campaign, CampaignUpdate
from .occasions import lebaran_days
from .services import campaign_items_add_variants

SELLER_USERNAME = "penjual"
SELLER_GROUP = "Penjual"
SELLER_APPS = ["catalog", "campaigns", "orders", "demand", "payments", "fulfilment"]


@dataclass(frozen=True)
class SellerLogin:
    username: str
    password: str | None  # None: the account existed and its password was left alone


def _picture(colours: tuple[str, str], pattern: str) -> ContentFile:
    """A simple drawn product picture, so the demo needs no downloaded photos."""
    image = Image.new("RGB", (800, 600), colours[0])
    draw = ImageDraw.Draw(image)
    if pattern == "batik":
        for x in range(0, 800, 80):
            for y in range(0, 600, 80):
                draw.ellipse([x + 10, y + 10, x + 70, y + 70], outline=colours[1], width=6)
                draw.line([x, y, x + 80, y + 80], fill=colours[1], width=4)
    elif pattern == "cookies":
        for x in range(60, 800, 170):
            for y in range(60, 600, 170):
                draw.ellipse([x, y, x + 120, y + 120], fill=colours[1], outline="#6b3e12", width=5)
    else:
        draw.rectangle([200, 120, 600, 520], fill=colours[1])
        draw.rectangle([320, 40, 480, 140], outline=colours[1], width=14)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return ContentFile(buffer.getvalue(), name=f"{pattern}.jpg")


def _product(*, category, slug, name, kind, price, description, options, picture) -> Product:
    product, created = Product.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "kind": kind,
            "base_price_idr": price,
            "description": description,
            "category": category,
        },
    )
    if created:
        for position, (option_name, values) in enumerate(options):
            option_type = OptionType.objects.create(product=product, name=option_name, position=position)
            option_type_set_values(option_type=option_type, values=values)
        variant_grid_generate(product=product)
        image = ProductImage.objects.create(product=product, image=_picture(*picture), alt_text=name, position=0)
        product_image_renditions_make(product_image=image)
    return product


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _campaign(*, slug, products, item_quota=None, updates=(), **fields) -> Campaign:
    campaign, created = Campaign.objects.get_or_create(slug=slug, defaults=fields)
    if created:
        variants = [variant for product in products for variant in product.variants.filter(is_active=True)]
        campaign_items_add_variants(campaign=campaign, variants=variants)
        if item_quota:
            campaign.items.update(quota=item_quota)
        for message, new_date, posted_at in updates:
            CampaignUpdate.objects.create(
                campaign=campaign, message=message, new_estimated_ship_date=new_date, posted_at=posted_at
            )
    return campaign


def _next_payday(today: datetime.date) -> datetime.date:
    day = today + datetime.timedelta(days=1)
    while day.day not in (25, 1):
        day += datetime.timedelta(days=1)
    return day


@transaction.atomic
def demo_catalog_and_campaigns(*, now: datetime.datetime) -> list[Campaign]:
    today = timezone.localdate(now)
    fashion, _ = Category.objects.get_or_create(slug="fashion", defaults={"name": "Fashion", "position": 1})
    food, _ = Category.objects.get_or_create(slug="kue-makanan", defaults={"name": "Kue & Makanan", "position": 2})
    craft, _ = Category.objects.get_or_create(slug="kerajinan", defaults={"name": "Kerajinan Tangan", "position": 3})

    batik = _product(
        category=fashion,
        slug="kemeja-batik-tulis-parang",
        name="Kemeja Batik Tulis Parang",
        kind=Product.Kind.HANDMADE_PREMIUM,
        price=350_000,
        description="Batik tulis tangan dari pengrajin Solo, katun primisima, lengan pendek.",
        options=[("Ukuran", ["S", "M", "L", "XL"]), ("Warna", ["Sogan", "Biru Indigo"])],
        picture=(("#5b3a1e", "#d9a45b"), "batik"),
    )
    batik.variants.filter(option_values__value="XL").update(price_idr=375_000)
    nastar = _product(
        category=food,
        slug="nastar-wisman-premium",
        name="Nastar Wisman Premium",
        kind=Product.Kind.READY_TO_EAT,
        price=185_000,
        description="Nastar butter Wisman dengan selai nanas homemade, dipanggang sehari sebelum dikirim.",
        options=[("Toples", ["500 gr", "1 kg"])],
        picture=(("#f3e2b3", "#d98b2b"), "cookies"),
    )
    nastar.variants.filter(option_values__value="1 kg").update(price_idr=340_000)
    kastengel = _product(
        category=food,
        slug="kastengel-keju-edam",
        name="Kastengel Keju Edam",
        kind=Product.Kind.READY_TO_EAT,
        price=165_000,
        description="Kastengel renyah dengan keju Edam asli.",
        options=[("Toples", ["500 gr"])],
        picture=(("#fff3c4", "#e0b23a"), "cookies"),
    )
    tote = _product(
        category=craft,
        slug="tote-bag-lukis-ondel-ondel",
        name="Tote Bag Lukis Ondel-ondel",
        kind=Product.Kind.LIMITED_EDITION,
        price=225_000,
        description="Kanvas tebal, dilukis tangan satu per satu. Edisi terbatas, bernomor.",
        options=[("Model", ["Ondel-ondel Merah", "Ondel-ondel Hijau"])],
        picture=(("#f7f1e3", "#b8322a"), "bag"),
    )
    flanel = _product(
        category=fashion,
        slug="kemeja-flanel-natal",
        name="Kemeja Flanel Kotak Natal",
        kind=Product.Kind.OTHER,
        price=199_000,
        description="Flanel katun kotak-kotak merah hijau, pas untuk Natal dan Tahun Baru.",
        options=[("Ukuran", ["M", "L", "XL"])],
        picture=(("#1d5e3a", "#c0392b"), "batik"),
    )
    sambal = _product(
        category=food,
        slug="sambal-roa-botol",
        name="Sambal Roa Botol 200 ml",
        kind=Product.Kind.PERISHABLE,
        price=65_000,
        description="Sambal ikan roa khas Manado, dimasak per batch, tahan 2 bulan.",
        options=[("Level pedas", ["Sedang", "Pedas", "Extra pedas"])],
        picture=(("#7a1f12", "#e2553a"), "bag"),
    )

    batik_close = _at(today + datetime.timedelta(days=9), 23, 59)
    lebaran = next(
        day
        for year in (today.year, today.year + 1)
        for day in lebaran_days(year)
        if day > today + datetime.timedelta(days=20)
    )
    cookies_close = _at(lebaran - datetime.timedelta(days=12), 21)
    payday = _next_payday(today)
    return [
        _campaign(
            slug="po-batik-tulis-parang-batch-3",
            products=[batik],
            item_quota=12,
            title="PO Kemeja Batik Tulis Parang, Batch 3",
            description="Batch ketiga kemeja batik tulis Parang. Setiap kain dibatik tangan, jadi kami hanya menerima pesanan sebanyak yang bisa dikerjakan pengrajin.",
            stage=Campaign.Stage.PUBLISHED,
            opens_at=_at(today - datetime.timedelta(days=3), 10),
            closes_at=batik_close,
            estimated_ship_date=batik_close.date() + datetime.timedelta(days=21),
            minimum_goal_units=20,
            goal_missed_policy=Campaign.GoalMissedPolicy.REFUND,
            payment_terms=Campaign.PaymentTerms.DP_ALLOWED,
            dp_kind=Campaign.DownPaymentKind.PERCENT,
            dp_percent=50,
            balance_due_date=batik_close.date() + datetime.timedelta(days=14),
            unpaid_expiry_hours=24,
            updates=[
                (
                    "Kain primisima sudah tiba di workshop; pembatikan dimulai minggu ini.",
                    None,
                    now - datetime.timedelta(days=1),
                )
            ],
        ),
        _campaign(
            slug="po-kue-lebaran",
            products=[nastar, kastengel],
            title="PO Kue Lebaran: Nastar & Kastengel",
            description="Kue kering Lebaran dipanggang fresh dan dikirim sebelum Idul Fitri. Kuota dapur terbatas.",
            stage=Campaign.Stage.PUBLISHED,
            opens_at=_at(today - datetime.timedelta(days=2), 9),
            closes_at=cookies_close,
            estimated_ship_date=cookies_close.date() + datetime.timedelta(days=4),
            quota_total=150,
            per_buyer_limit=10,
            payment_terms=Campaign.PaymentTerms.DP_REQUIRED,
            dp_kind=Campaign.DownPaymentKind.FIXED,
            dp_fixed_per_unit_idr=50_000,
            balance_due_date=cookies_close.date() + datetime.timedelta(days=2),
            unpaid_expiry_hours=24,
        ),
        _campaign(
            slug="po-tote-bag-lukis-edisi-terbatas",
            products=[tote],
            title="Tote Bag Lukis Ondel-ondel, Edisi Terbatas 25 Pcs",
            description="Hanya 25 tas untuk seluruh PO ini, dilukis tangan dan bernomor.",
            stage=Campaign.Stage.PUBLISHED,
            opens_at=_at(today - datetime.timedelta(days=1), 12),
            closes_at=_at(today + datetime.timedelta(days=5), 21),
            estimated_ship_date=today + datetime.timedelta(days=19),
            quota_total=25,
            per_buyer_limit=2,
            payment_terms=Campaign.PaymentTerms.FULL_ONLY,
            unpaid_expiry_hours=12,
        ),
        _campaign(
            slug="po-kemeja-flanel-natal",
            products=[flanel],
            title="PO Kemeja Flanel Natal",
            description="Dibuka tanggal gajian! Kemeja flanel untuk Natal, dikirim sebelum 24 Desember.",
            stage=Campaign.Stage.PUBLISHED,
            opens_at=_at(payday, 10),
            closes_at=_at(payday + datetime.timedelta(days=10), 21),
            estimated_ship_date=payday + datetime.timedelta(days=20),
            payment_terms=Campaign.PaymentTerms.DP_ALLOWED,
            dp_kind=Campaign.DownPaymentKind.PERCENT,
            dp_percent=30,
            balance_due_date=payday + datetime.timedelta(days=15),
            unpaid_expiry_hours=24,
        ),
        _campaign(
            slug="po-sambal-roa-batch-oktober",
            products=[sambal],
            item_quota=40,
            title="PO Sambal Roa, Batch Akhir Bulan",
            description="Sambal roa dimasak setelah PO ditutup supaya sampai dalam keadaan segar.",
            stage=Campaign.Stage.PUBLISHED,
            opens_at=_at(today - datetime.timedelta(days=15), 10),
            closes_at=_at(today - datetime.timedelta(days=5), 21),
            estimated_ship_date=today + datetime.timedelta(days=2),
            payment_terms=Campaign.PaymentTerms.FULL_ONLY,
            unpaid_expiry_hours=24,
            updates=[
                (
                    "Ikan roa dari Manado terlambat datang karena cuaca; pengiriman mundur 3 hari. Mohon maaf.",
                    today + datetime.timedelta(days=2),
                    now - datetime.timedelta(days=2),
                )
            ],
        ),
    ]


@transaction.atomic
def demo_seller_ensure(*, password: str | None = None) -> SellerLogin:
    """A staff account in the seller group, which may run the shop's apps."""
    group, _ = Group.objects.get_or_create(name=SELLER_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=SELLER_APPS))
    user_model = get_user_model()
    user = user_model.objects.filter(username=SELLER_USERNAME).first()
    if user is not None:
        user.groups.add(group)
        return SellerLogin(username=SELLER_USERNAME, password=None)
    password = password or secrets.token_urlsafe(9)
    user = user_model.objects.create_user(
        username=SELLER_USERNAME, password=password, is_staff=True, first_name="Penjual", email="penjual@example.com"
    )
    user.groups.add(group)
    return SellerLogin(username=SELLER_USERNAME, password=password)


def demo_password_file():
    return settings.VAR_DIR / "demo-seller-password.txt"
