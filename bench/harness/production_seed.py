"""production.py's PO: some 100,000 order lines inserted in bulk, past the services. Imports the shop's models:
only once Django is set up.

It leaves tests/factories.py (and factory_boy) out: production.py's steps run in child processes, and a child
process started with vfork() starts with its parent's max RSS, so whatever this process loads shows in the steps'
"max RSS" figures.
"""

import datetime
import random

from campaigns.models import Campaign, CampaignItem
from catalog.models import Category, OptionType, Product
from catalog.money import percent_of
from catalog.services import option_type_set_values, variant_grid_generate
from orders.models import Order, OrderLine
from payments.models import Payment

SEED_BATCH = 2000  # orders per bulk insert: the seeding itself stays small in memory


def production_catalog_seed(*, suffix: str):
    """Three products: shirts 5 sizes x 3 colours, bags 2 models x 3 colours, and cookies without options."""
    category = Category.objects.create(name=f"Bench {suffix}", slug=f"bench-{suffix}")
    shapes = [
        ("Kemeja Batik Tulis", 185_000, {"Ukuran": ["S", "M", "L", "XL", "XXL"], "Warna": ["Sogan", "Biru", "Hitam"]}),
        ("Tas Tenun Lurik", 240_000, {"Model": ["Selempang", "Ransel"], "Warna": ["Merah", "Hijau", "Hitam"]}),
        ("Kue Nastar", 95_000, {}),
    ]
    variants = []
    for number, (name, price, options) in enumerate(shapes):
        product = Product.objects.create(
            category=category, name=name, slug=f"bench-{suffix}-{number}", base_price_idr=price
        )
        for position, (option, values) in enumerate(options.items()):
            option_type = OptionType.objects.create(product=product, name=option, position=position)
            option_type_set_values(option_type=option_type, values=values)
        variant_grid_generate(product=product)
        variants.extend(product.variants.select_related("product").prefetch_related("option_values"))
    return variants


def production_po_seed(*, lines: int, now: datetime.datetime) -> tuple[Campaign, dict[str, int]]:
    """A PO in production with `lines` order lines; payments make every order's ledger agree with its status."""
    Status, Plan = Order.Status, Order.PaymentPlan
    suffix = f"{int(now.timestamp())}-{random.randrange(10**6)}"
    campaign = Campaign.objects.create(
        title=f"Bench PO {suffix}",
        slug=f"bench-po-{suffix}",
        stage=Campaign.Stage.IN_PRODUCTION,
        opens_at=now - datetime.timedelta(days=20),
        closes_at=now - datetime.timedelta(days=5),
        estimated_ship_date=(now + datetime.timedelta(days=20)).date(),
        balance_due_date=(now + datetime.timedelta(days=10)).date(),
        close_processed_at=now - datetime.timedelta(days=5),
    )
    items = CampaignItem.objects.bulk_create(
        [
            CampaignItem(campaign=campaign, variant=variant, price_idr=variant.unit_price_idr, position=position)
            for position, variant in enumerate(production_catalog_seed(suffix=suffix))
        ]
    )
    variants = {variant.pk: variant for variant in (item.variant for item in items)}
    rng = random.Random(2611)
    # The kode unik of an unpaid order must give an amount no other unpaid order has.
    next_code: dict[int, int] = {}
    counts = {"orders": 0, "lines": 0, "payments": 0, "notes": 0}
    number = 0
    while counts["lines"] < lines:
        orders, order_lines, payment_rows = [], [], []
        while len(orders) < SEED_BATCH and counts["lines"] < lines:
            number += 1
            chosen = rng.sample(items, min(rng.choice((1, 1, 2, 3, 3, 4, 5)), lines - counts["lines"]))
            quantities = [rng.choice((1, 1, 1, 2, 2, 3)) for _ in chosen]
            total = sum(item.price_idr * quantity for item, quantity in zip(chosen, quantities, strict=True))
            roll = rng.random()
            if roll < 0.40:
                status, plan, payments = Status.PAID, Plan.FULL, "full"
            elif roll < 0.60:
                status, plan, payments = Status.PAID, Plan.DOWN_PAYMENT, "dp+balance"
            elif roll < 0.85:
                status, plan, payments = Status.DP_PAID, Plan.DOWN_PAYMENT, "dp"
            elif roll < 0.95:
                status, plan, payments = Status.PENDING_PAYMENT, Plan.DOWN_PAYMENT, ""
            else:
                status, plan, payments = Status.EXPIRED, Plan.FULL, ""
            first_payment = total if plan == Plan.FULL else percent_of(total, 50)
            if status == Status.PENDING_PAYMENT:
                code = next_code.get(first_payment, 1)
                if code > 999:
                    status, code = Status.EXPIRED, 1
                else:
                    next_code[first_payment] = code + 1
            else:
                code = rng.randint(1, 999)
            order = Order(
                number=f"PO-2611-{number:06d}",
                campaign=campaign,
                status=status,
                payment_plan=plan,
                buyer_name=f"Pembeli {number}",
                phone=f"+62812{number:08d}",
                email=f"pembeli{number}@example.com",
                province="DI Yogyakarta",
                city="Kota Yogyakarta",
                district="Gondokusuman",
                postal_code="55223",
                street=f"Jl. Kaliurang No. {number % 300 + 1}, RT 03/RW 05",
                units=sum(quantities),
                total_idr=total,
                first_payment_idr=first_payment,
                unique_code=code,
                first_transfer_idr=first_payment + code,
                payment_deadline=now - datetime.timedelta(days=6),
                balance_due_date=campaign.balance_due_date if first_payment < total else None,
                terms_accepted_at=now - datetime.timedelta(days=7),
                created_at=now - datetime.timedelta(days=7),
            )
            orders.append(order)
            for item, quantity in zip(chosen, quantities, strict=True):
                variant = variants[item.variant_id]
                note = f"Bordir: {order.buyer_name}" if rng.random() < 0.05 else ""
                if note and status in (Status.PAID, Status.DP_PAID):
                    counts["notes"] += 1
                order_lines.append(
                    (
                        order,
                        OrderLine(
                            campaign_item=item,
                            variant=variant,
                            product_name=variant.product.name,
                            variant_label=variant.label,
                            sku=variant.sku,
                            unit_price_idr=item.price_idr,
                            quantity=quantity,
                            line_total_idr=item.price_idr * quantity,
                            note=note,
                        ),
                    )
                )
            kinds = {
                "full": [(Payment.Kind.FULL, total + code)],
                "dp": [(Payment.Kind.DOWN_PAYMENT, first_payment + code)],
                "dp+balance": [
                    (Payment.Kind.DOWN_PAYMENT, first_payment + code),
                    (Payment.Kind.BALANCE, total - first_payment - code),
                ],
            }.get(payments, [])
            payment_rows.extend((order, kind, amount) for kind, amount in kinds)
            counts["lines"] += len(chosen)
        Order.objects.bulk_create(orders)  # primary keys come back (RETURNING), for the lines
        for order, line in order_lines:
            line.order_id = order.pk
        OrderLine.objects.bulk_create([line for _order, line in order_lines])
        Payment.objects.bulk_create(
            [
                Payment(
                    order_id=order.pk,
                    kind=kind,
                    status=Payment.Status.CONFIRMED,
                    amount_idr=amount,
                    paid_on=(now - datetime.timedelta(days=6)).date(),
                    from_bank="BCA",
                    from_account_name=order.buyer_name,
                    submitted_at=now - datetime.timedelta(days=6),
                    decided_at=now - datetime.timedelta(days=6),
                )
                for order, kind, amount in payment_rows
            ]
        )
        counts["orders"] += len(orders)
        counts["payments"] += len(payment_rows)
    return campaign, counts
