import datetime

import factory
from django.core import mail
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem
from catalog.models import Category, OptionType, Product
from catalog.services import option_type_set_values, variant_grid_generate
from orders.checkout import BuyerDetails, LineRequest, order_place
from orders.models import Order
from orders.outbox import messages_deliver_due

JAKARTA = datetime.timezone(datetime.timedelta(hours=7))


def jakarta(year, month, day, hour=0, minute=0, second=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=JAKARTA)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Kategori {n}")
    slug = factory.Sequence(lambda n: f"kategori-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Kemeja Batik {n}")
    slug = factory.Sequence(lambda n: f"kemeja-batik-{n}")
    base_price_idr = 150_000


def product_with_grid(options: dict[str, list[str]] | None = None, **fields) -> Product:
    """A product whose variants were made by the grid service from `options`."""
    product = ProductFactory(**fields)
    for position, (name, values) in enumerate((options or {}).items()):
        option_type = OptionType.objects.create(product=product, name=name, position=position)
        option_type_set_values(option_type=option_type, values=values)
    variant_grid_generate(product=product)
    return product


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    title = factory.Sequence(lambda n: f"PO Batch {n}")
    slug = factory.Sequence(lambda n: f"po-batch-{n}")
    stage = Campaign.Stage.PUBLISHED
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=2))
    closes_at = factory.LazyAttribute(lambda campaign: campaign.opens_at + datetime.timedelta(days=10))
    estimated_ship_date = factory.LazyAttribute(
        lambda campaign: timezone.localdate(campaign.closes_at) + datetime.timedelta(days=14)
    )
    payment_terms = Campaign.PaymentTerms.DP_ALLOWED
    dp_kind = Campaign.DownPaymentKind.PERCENT
    dp_percent = 50
    balance_due_date = factory.LazyAttribute(
        lambda campaign: timezone.localdate(campaign.closes_at) + datetime.timedelta(days=7)
    )


class CampaignItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignItem

    campaign = factory.SubFactory(CampaignFactory)
    variant = factory.LazyFunction(lambda: product_with_grid().variants.get())
    price_idr = 150_000


def campaign_with_products(*, products: int, options: dict[str, list[str]], **fields) -> Campaign:
    """A campaign selling every variant of `products` new products."""
    campaign = CampaignFactory(**fields)
    position = 0
    for _ in range(products):
        for variant in product_with_grid(options).variants.all():
            CampaignItem.objects.create(
                campaign=campaign, variant=variant, price_idr=120_000 + position, position=position
            )
            position += 1
    return campaign


BUYER_DEFAULTS = {
    "name": "Siti Rahmawati",
    "phone": "0812-3456-7890",
    "email": "siti@example.com",
    "province": "DI Yogyakarta",
    "city": "Kota Yogyakarta",
    "district": "Gondokusuman",
    "postal_code": "55223",
    "street": "Jl. Kaliurang No. 12, RT 03/RW 05",
}


def buyer(**overrides):
    return BuyerDetails(**{**BUYER_DEFAULTS, **overrides})


def place_order(campaign, lines, *, plan="dp", now=None, **buyer_overrides):
    """Place an order through the service: `lines` is [(campaign item, quantity)]."""
    return order_place(
        campaign_id=campaign.pk,
        lines=[LineRequest(item.pk, quantity) for item, quantity in lines],
        buyer=buyer(**buyer_overrides),
        payment_plan=plan,
        terms_accepted=True,
        now=now or timezone.now(),
    )


def checkout_form(quantities, **overrides) -> dict:
    """What the checkout form posts: `quantities` is [(campaign item, quantity)]; fields as a buyer fills them."""
    data = {
        **{f"qty-{item.pk}": str(quantity) for item, quantity in quantities},
        "payment_plan": "dp",
        "buyer_name": BUYER_DEFAULTS["name"],
        **{
            field: BUYER_DEFAULTS[field]
            for field in ("phone", "email", "province", "city", "district", "postal_code", "street")
        },
        "terms_accepted": "on",
    }
    data.update(overrides)
    return data


def messages_sent_so_far() -> None:
    """Deliver what the worker would have sent by now, and forget those e-mails.

    A test's transaction never commits, so no nudge follows `place_order`; a
    test that counts the e-mails of what comes next starts from here.
    """
    messages_deliver_due(now=timezone.now())
    mail.outbox.clear()


def orders_at_amount(campaign, first_payment, codes, *, status=Order.Status.PENDING_PAYMENT) -> None:
    """Orders written in bulk (not through the checkout) whose first transfer is `first_payment` plus each
    of `codes`: amounts taken, for the kode unik's tests."""
    now = timezone.now()
    Order.objects.bulk_create(
        [
            Order(
                number=f"PO-T{first_payment}-{code:05d}"[:20],
                token=f"token-{first_payment}-{code}-{status}",
                campaign=campaign,
                status=status,
                payment_plan="full",
                buyer_name=f"Pembeli {code}",
                phone=f"+62812{code:07d}",
                email=f"b{code}@example.com",
                province="DI Yogyakarta",
                city="Kota Yogyakarta",
                district="Gondokusuman",
                postal_code="55223",
                street="Jl. Kaliurang",
                units=1,
                total_idr=first_payment,
                first_payment_idr=first_payment,
                unique_code=code,
                first_transfer_idr=first_payment + code,
                payment_deadline=now + datetime.timedelta(hours=24),
                terms_accepted_at=now,
                created_at=now,
            )
            for code in codes
        ],
        batch_size=500,
    )
