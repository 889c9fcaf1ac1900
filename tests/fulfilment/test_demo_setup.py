import io

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem, CampaignUpdate
from catalog.models import Product, ShopProfile, Variant
from demand.models import Interest, InterestLine
from demand.selectors import campaign_interest
from fulfilment.exports import address_labels, packing_list_write, production_list_write
from fulfilment.models import ProductionTally
from orders.models import BankAccount, Message, Order, OrderEvent, OrderLine
from payments.models import BankStatementImport, BankStatementLine, Payment, Refund
from tests.fulfilment.test_export_data import csv_read, written

pytestmark = pytest.mark.django_db

Stage, Status = Campaign.Stage, Order.Status
COUNTED = (
    Interest,
    InterestLine,
    Product,
    Variant,
    Campaign,
    CampaignItem,
    CampaignUpdate,
    Order,
    OrderLine,
    OrderEvent,
    Payment,
    Refund,
    BankAccount,
    BankStatementImport,
    BankStatementLine,
    ProductionTally,
    Message,
    ShopProfile,
)


def _counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


def _whatsapp_marked():
    return Message.objects.filter(whatsapp_sent_at__isnull=False).count()


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo_setup", stdout=io.StringIO())


def _campaign_in(stage: str) -> Campaign:
    (campaign,) = Campaign.objects.filter(stage=stage)
    return campaign


def test_demo_setup_loads_a_realistic_shop_and_is_safe_to_run_twice(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = io.StringIO()
    call_command("demo_setup", stdout=first)
    counts, stages, marked = _counts(), dict(Campaign.objects.values_list("slug", "stage")), _whatsapp_marked()

    second = io.StringIO()
    call_command("demo_setup", stdout=second)

    assert _counts() == counts
    assert dict(Campaign.objects.values_list("slug", "stage")) == stages
    assert _whatsapp_marked() == marked
    now = timezone.now()
    statuses = {campaign.slug: campaign.status_at(now) for campaign in Campaign.objects.all()}
    assert Campaign.Status.OPEN in statuses.values()
    assert Campaign.Status.COMING_SOON in statuses.values()
    assert Campaign.Status.CLOSED in statuses.values()
    assert statuses["po-kue-lebaran"] == Campaign.Status.OPEN
    lebaran = Campaign.objects.get(slug="po-kue-lebaran")
    assert lebaran.quota_total and lebaran.closes_at.month in (2, 3, 4)  # before Idul Fitri
    limited = Campaign.objects.get(slug="po-tote-bag-lukis-edisi-terbatas")
    assert limited.quota_total == 25
    batik = Product.objects.get(slug="kemeja-batik-tulis-parang")
    assert batik.variants.count() == 8 and batik.images.exists()

    open_batik = Order.objects.filter(campaign__slug="po-batik-tulis-parang-batch-3")
    assert open_batik.count() == 3
    assert open_batik.filter(status=Status.DP_PAID).count() == 1
    assert BankAccount.objects.count() == 2
    # The sambal PO closed days ago with paid orders: the closing job has something to tally.
    sambal = Campaign.objects.get(slug="po-sambal-roa-batch-oktober")
    assert statuses[sambal.slug] == Campaign.Status.CLOSED
    assert Order.objects.filter(campaign=sambal, status=Status.PAID).count() >= 5

    # Buyers asked to be reminded of the flannel PO, coming on payday: the seller sees it beside the quotas.
    flannel = Campaign.objects.get(slug="po-kemeja-flanel-natal")
    if statuses[flannel.slug] == Campaign.Status.COMING_SOON:
        assert campaign_interest(campaign=flannel).buyers == 5 and campaign_interest(campaign=flannel).units == 8

    password = (tmp_path / "demo-seller-password.txt").read_text()
    assert f"penjual / {password}" in first.getvalue()
    assert f"penjual / {password}" in second.getvalue()


def test_the_po_in_production_has_paid_orders_a_tally_lists_and_labels(demo, seller_client):
    campaign = _campaign_in(Stage.IN_PRODUCTION)
    paid = Order.objects.filter(campaign=campaign, status__in=Order.PAID_STATUSES)
    assert paid.count() >= 35
    assert paid.filter(status=Status.DP_PAID).count() >= 5  # balances outstanding
    assert paid.filter(status=Status.PAID, payment_plan=Order.PaymentPlan.DOWN_PAYMENT).count() >= 3  # paid later
    assert paid.exclude(note="").exists()
    assert OrderLine.objects.filter(order__in=paid).exclude(note="").count() >= 5
    units = paid.aggregate(units=Sum("units"))["units"]
    tally = ProductionTally.objects.get(campaign=campaign)
    assert (tally.orders, tally.units) == (paid.count(), units)
    options = {tuple(value for _name, value, _position in line.options) for line in tally.lines.all()}
    assert {size for size, _colour in options} == {"S", "M", "L", "XL"}
    assert {colour for _size, colour in options} == {"Sogan", "Biru Indigo"}

    production = csv_read(written(production_list_write, "csv", tally=tally))
    assert [str(units)] in [row[1:] for row in production]  # the units to make, as counted
    packing = csv_read(written(packing_list_write, "csv", campaign=campaign))
    assert {row[0] for row in packing if row[0].startswith("PO-")} == set(paid.values_list("number", flat=True))
    labels = address_labels(campaign=campaign)
    assert {label.order_number for label in labels} == set(paid.values_list("number", flat=True))
    assert sum(label.balance_outstanding for label in labels) == paid.filter(status=Status.DP_PAID).count()

    page = seller_client.get(reverse("admin:campaigns_campaign_production", args=[campaign.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "data-matrix" in content and "data-tally" in content
    note = OrderLine.objects.filter(order__in=paid).exclude(note="").values_list("note", flat=True).first()
    assert note in content
    printed = seller_client.get(reverse("admin:campaigns_campaign_labels", args=[campaign.pk])).content.decode()
    assert all(label.order_number in printed for label in labels)


def test_the_po_being_shipped_the_completed_po_and_the_failed_po_with_its_refunds(demo):
    """And every transfer of those POs came in on the shop's own bank statement, which confirmed it."""
    shipping = _campaign_in(Stage.SHIPPING)
    orders = Order.objects.filter(campaign=shipping)
    assert not orders.filter(status__in=Order.PAYABLE_STATUSES).exists()  # every live order is paid in full
    shipped = orders.filter(status=Status.SHIPPED)
    assert shipped.exists()
    assert not shipped.filter(courier="").exists() and not shipped.filter(tracking_number="").exists()
    assert orders.filter(status=Status.PAID).exists()  # parcels still to send
    received = orders.get(status=Status.COMPLETED)
    assert received.events.filter(to_status=Status.COMPLETED, actor_label="buyer").exists()

    completed = _campaign_in(Stage.COMPLETED)
    ended = Order.objects.filter(campaign=completed)
    assert ended.filter(status=Status.COMPLETED).count() >= 5
    assert not ended.exclude(status__in=Order.ENDED_STATUSES).exists()

    failed = _campaign_in(Stage.FAILED)
    assert failed.minimum_goal_units
    paid_back = Order.objects.filter(campaign=failed, payments__status=Payment.Status.CONFIRMED).distinct()
    assert paid_back.count() >= 3
    for order in paid_back:
        assert order.status == Status.CANCELLED
        paid = order.payments.filter(status=Payment.Status.CONFIRMED).aggregate(total=Sum("amount_idr"))["total"]
        assert order.refunds.aggregate(total=Sum("amount_idr"))["total"] == paid
    refunds = Refund.objects.filter(order__campaign=failed)
    assert refunds.filter(status=Refund.Status.SENT).exists() and refunds.filter(status=Refund.Status.DUE).exists()

    past = Order.objects.filter(campaign__in=[shipping, completed, failed])
    confirmed = Payment.objects.filter(order__in=past, status=Payment.Status.CONFIRMED)
    assert confirmed.exists() and not confirmed.filter(statement_line__isnull=True).exists()
    assert not Payment.objects.exclude(proof_flag="").exists()

    profile = ShopProfile.objects.get()  # who sends the parcels
    assert profile.address.strip() and profile.whatsapp.startswith("+62")
