"""The POs the bench scripts seed with tests/factories.py. Imports the shop's models: only once Django is set up.

The flash PO and the drill's run in `manage.py shell` (processes.seed()); big_campaign.py calls its own in its
process, after django_setup.django_start(). production.py's PO is in production_seed.py.
"""

import datetime
import math

from django.utils import timezone

from campaigns.models import Campaign
from orders.models import BankAccount
from tests.factories import campaign_with_products


def drill_po_seed() -> dict:
    """One open PO with one item of a quota no drill reaches, and a bank account."""
    campaign = campaign_with_products(products=1, options={}, title="PO Drill", slug="po-drill")
    item = campaign.items.get()
    item.quota = 100000
    item.save(update_fields=["quota"])
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Drill")
    return {"slug": campaign.slug, "item": item.pk}


def flash_pos_seed(*, quota: int, sizes: list[str], colours: list[str]) -> dict:
    """The flash PO (open now, `quota` units over `sizes`), a PO without quota, a third small PO, a bank account."""
    now = timezone.now()
    flash = campaign_with_products(
        products=1, options={"Ukuran": sizes}, title="PO Kilat Kaos Band", slug="po-kilat",
        quota_total=quota, opens_at=now - datetime.timedelta(seconds=5),
    )  # fmt: skip
    per_item = math.ceil(quota / 2)  # the campaign's quota binds first; an item can still sell out on its own
    flash.items.update(quota=per_item)
    steady = campaign_with_products(
        products=1, options={"Warna": colours}, title="PO Reguler Tote Bag", slug="po-reguler"
    )
    quiet = campaign_with_products(products=1, options={}, title="PO Tenang Stiker", slug="po-tenang")
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="Toko Kilat")
    return {
        "flash": {**_po(flash), "item_quota": per_item},
        "steady": _po(steady),
        "quiet": _po(quiet),
    }


def _po(campaign: Campaign) -> dict:
    return {
        "id": campaign.pk,
        "slug": campaign.slug,
        "items": list(campaign.items.order_by("pk").values_list("pk", flat=True)),
    }


def big_po_seed(*, products: int, sizes: int, colours: int) -> Campaign:
    """A PO selling every variant of `products` products in `sizes` x `colours`."""
    return campaign_with_products(
        products=products,
        options={
            "Ukuran": [f"U{n}" for n in range(sizes)],
            "Warna": [f"Warna {n}" for n in range(colours)],
        },
    )
