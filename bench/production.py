"""Time the production tally and the production/packing exports on a big PO.

    .venv/bin/python bench/production.py [--lines 100000] [--database-url URL] [--keep]

Seeds a throw-away database (a fresh SQLite file in a temporary folder unless
--database-url names another one) with a campaign of --lines order lines, then
takes the tally and writes each export to a temporary file. Each step runs in
a process of its own, twice: once for the time and the process's max RSS, then
under tracemalloc for the peak Python memory (tracing slows Python down, so its
time is not the one shown).
"""

import argparse
import datetime
import gc
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SEED_BATCH = 2000  # orders per bulk insert: the seeding itself stays small in memory


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="order lines to seed (default 100000)")
    parser.add_argument(
        "--database-url", help="a throw-away database to use instead of a fresh SQLite file; it gets the seeded PO"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database and exports)")
    # Used by the script itself: each step runs in a child process.
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--campaign", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work-dir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def django_configure(*, work_dir: Path, database_url: str, migrate: bool) -> None:
    """Settings read the environment once, at setup: point them at the throw-away folder first."""
    os.environ["VAR_DIR"] = str(work_dir)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"  # with DEBUG every query is kept in memory, which would count
    os.environ["PRODUCTION"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preorder_shop.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def max_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def catalog_seed(*, suffix: str):
    """Three products: shirts 5 sizes x 3 colours, bags 2 models x 3 colours, and cookies without options."""
    from catalog.models import Category, OptionType, Product
    from catalog.services import option_type_set_values, variant_grid_generate

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


def campaign_seed(*, lines: int, now) -> tuple[object, dict[str, int]]:
    """A PO in production with `lines` order lines; payments make every order's ledger agree with its status."""
    from campaigns.models import Campaign, CampaignItem
    from catalog.money import percent_of
    from orders.models import Order, OrderLine
    from payments.models import Payment

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
            for position, variant in enumerate(catalog_seed(suffix=suffix))
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


STEPS = {
    # name: file written (or "")
    "production_tally_take": "",
    "production list xlsx": "production.xlsx",
    "production list csv": "production.csv",
    "packing list xlsx": "packing.xlsx",
    "packing list csv": "packing.csv",
    "address labels html": "labels.html",
}


def step_function(*, name: str, campaign_id: int, work_dir: Path) -> Callable[[], None]:
    from django.template.loader import render_to_string
    from django.utils import timezone

    from campaigns.models import Campaign
    from orders.models import ProductionTally
    from orders.production import production_tally_take
    from payments.exports import address_labels, packing_list_write, production_list_write

    campaign = Campaign.objects.get(pk=campaign_id)
    path = work_dir / STEPS[name] if STEPS[name] else None

    def run():
        if name == "production_tally_take":
            production_tally_take(campaign=campaign, now=timezone.now())
        elif name.startswith("production list"):
            tally = ProductionTally.objects.select_related("campaign").get(campaign=campaign)
            with path.open("wb") as out:
                production_list_write(tally=tally, out=out, file_format=path.suffix[1:])
        elif name.startswith("packing list"):
            with path.open("wb") as out:
                packing_list_write(campaign=campaign, out=out, file_format=path.suffix[1:])
        else:
            context = {"shop_name": "Bench", "shop_address": "", "campaign": campaign}
            path.write_text(
                render_to_string(
                    "payments/address_labels.html", {**context, "labels": address_labels(campaign=campaign)}
                )
            )

    return run


def step_measure(*, name: str, campaign_id: int, work_dir: Path) -> dict:
    """In a process of its own: the max RSS is this step's (plus Django's), not the seeding's or another step's.

    Timed untraced first, and its max RSS read, then run again under tracemalloc for the peak.
    """
    from django.db import connection

    run = step_function(name=name, campaign_id=campaign_id, work_dir=work_dir)
    connection.ensure_connection()
    baseline = max_rss_mb()
    gc.collect()
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    rss = max_rss_mb()
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = (work_dir / STEPS[name]).stat().st_size / 1024 / 1024 if STEPS[name] else None
    return {"seconds": seconds, "peak_mb": peak / 1024 / 1024, "rss_mb": rss, "baseline_mb": baseline, "file_mb": size}


def main() -> None:
    args = arguments()
    if args.step:
        django_configure(work_dir=args.work_dir, database_url=args.database_url, migrate=False)
        print(json.dumps(step_measure(name=args.step, campaign_id=args.campaign, work_dir=args.work_dir)))
        return
    work_dir = Path(tempfile.mkdtemp(prefix="prapesan-bench-"))
    database_url = args.database_url or f"sqlite:///{work_dir / 'bench.sqlite3'}"
    try:
        django_configure(work_dir=work_dir, database_url=database_url, migrate=True)
        from django.db import connection
        from django.db.models import Count
        from django.utils import timezone

        from orders.models import ProductionTally

        started = time.perf_counter()
        campaign, counts = campaign_seed(lines=args.lines, now=timezone.now())
        seeded_in = time.perf_counter() - started
        print(
            f"{connection.vendor}: seeded {counts['orders']:,} orders, {counts['lines']:,} lines, "
            f"{counts['payments']:,} payments in {seeded_in:.1f} s",
            flush=True,
        )
        connection.close()
        rows = []
        for name in STEPS:
            child = subprocess.run(
                [sys.executable, __file__, "--step", name, "--campaign", str(campaign.pk), "--work-dir", str(work_dir)]
                + ["--database-url", database_url],
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode:
                sys.exit(f"{name} failed:\n{child.stderr}")
            result = json.loads(child.stdout.strip().splitlines()[-1])
            rows.append((name, result))
            print(f"  {name}: {result['seconds']:.2f} s", flush=True)
        tally = ProductionTally.objects.get(campaign=campaign)
        notes = tally.lines.aggregate(notes=Count("notes"))["notes"]
        print(f"\nTally: {tally.orders:,} paid orders, {tally.units:,} units, {notes:,} notes")
        print(f"Django alone (after setup, before a step): max RSS {rows[0][1]['baseline_mb']:.0f} MB\n")
        print(f"| {'step':<22} | {'seconds':>7} | {'peak MB':>7} | {'max RSS MB':>10} | {'file MB':>7} |")
        print(f"|{'-' * 24}|{'-' * 8}:|{'-' * 8}:|{'-' * 11}:|{'-' * 8}:|")
        for name, result in rows:
            size = f"{result['file_mb']:7.1f}" if result["file_mb"] is not None else f"{'':>7}"
            print(
                f"| {name:<22} | {result['seconds']:7.2f} | {result['peak_mb']:7.1f} | {result['rss_mb']:10.0f} | {size} |"
            )
        if args.keep:
            print(f"\nKept {work_dir}")
    finally:
        if not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
