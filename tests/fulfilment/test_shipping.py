"""Postage by province and by weight in totals, the ledger and the packing list; shipping one
order and a whole file (good, unknown, unpaid and duplicate rows); completion by the buyer and
by the job; a PO completes."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from campaigns.models import Campaign, CampaignItem
from campaigns.postage import postage_rates_set
from catalog.models import Product
from fulfilment.exceptions import ShippingError
from fulfilment.exports import packing_list_write
from fulfilment.services import (
    campaigns_complete_due,
    order_postage_set,
    order_receipt_confirm,
    order_ship,
    orders_complete_due,
)
from orders.exceptions import InvalidOrder
from orders.models import Message, Order
from payments.ledger import order_ledger
from payments.services import payment_confirm
from tests.factories import campaign_with_products, checkout_form, place_order
from tests.payments.conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db
Status = Order.Status


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _campaign(mode, timing="first", **fields):
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        dp_percent=50,
        postage_mode=mode,
        postage_timing=timing,
        **fields,
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    Product.objects.filter(variants__campaign_items__campaign=campaign).update(weight_grams=700)
    postage_rates_set(
        campaign=campaign,
        rates={"DI Yogyakarta": (15_000, 10_000), "Jawa Barat": (25_000, 12_000), "Papua": (90_000, 40_000)},
    )
    return campaign


def _pay(order, amount):
    payment_confirm(payment_id=submit_transfer(order, amount).pk, now=timezone.now())
    return order_fresh(order)


def _ledger_clean():
    out = io.StringIO()
    call_command("ledger_check", stdout=out)
    return out.getvalue()


def test_flat_postage_by_province_is_in_the_total_the_first_payment_and_the_ledger():
    campaign = _campaign("flat")
    small = campaign.items.order_by("position").first()
    order = place_order(campaign, [(small, 2)], plan="dp", province="Jawa Barat")
    assert (order.postage_idr, order.total_idr) == (25_000, 225_000)
    assert order.first_payment_idr == 100_000 + 25_000  # half the goods, and the postage with it
    order = _pay(order, order.first_transfer_idr)
    assert order.status == Status.DP_PAID
    due = order_ledger(order).due_idr
    assert due == 225_000 - order.first_payment_idr
    order = _pay(order, due)
    assert order.status == Status.PAID and order_ledger(order).due_idr == 0
    _ledger_clean()  # exits 1 (raises SystemExit) on any disagreement

    yogya = place_order(
        campaign, [(small, 1)], plan="full", province="DI Yogyakarta", phone="081298765432", email="lain@example.com"
    )
    assert (yogya.postage_idr, yogya.total_idr, yogya.first_payment_idr) == (15_000, 115_000, 115_000)


def test_postage_per_kg_uses_the_weight_rounded_up_to_whole_kilograms():
    campaign = _campaign("per_kg")
    small = campaign.items.order_by("position").first()
    order = place_order(campaign, [(small, 3)], plan="full", province="Papua")  # 2,100 g: 3 kg
    assert (order.weight_grams, order.postage_idr, order.total_idr) == (2_100, 120_000, 420_000)
    light = place_order(
        campaign, [(small, 1)], plan="full", province="Jawa Barat", phone="081298765432", email="lain@example.com"
    )
    assert light.postage_idr == 12_000  # 700 g is billed as 1 kg


def test_a_province_without_a_rate_is_refused_and_nothing_is_ordered():
    campaign = _campaign("flat")
    with pytest.raises(InvalidOrder, match="does not ship to Bali"):
        place_order(campaign, [(campaign.items.first(), 1)], province="Bali")
    with pytest.raises(InvalidOrder, match="province from the list"):
        place_order(campaign, [(campaign.items.first(), 1)], province="Atlantis")
    assert not Order.objects.exists()
    assert Campaign.objects.get(pk=campaign.pk).units_reserved == 0


def test_an_order_is_placed_only_at_the_postage_the_buyer_saw(client):
    campaign = _campaign("flat")
    small = campaign.items.order_by("position").first()
    url = reverse("orders:checkout", args=[campaign.slug])
    # Without the page's script nothing was shown: the page answers with the postage and orders nothing.
    first = client.post(url, checkout_form([(small, 1)], province="Papua"))
    assert first.status_code == 200 and not Order.objects.exists()
    html = first.content.decode()
    assert "Rp90.000" in html and "Rp190.000" in html
    assert 'name="postage_seen" value="90000"' in html
    second = client.post(url, checkout_form([(small, 1)], province="Papua", postage_seen="90000"))
    assert second.status_code == 302
    assert Order.objects.get().postage_idr == 90_000
    stale = client.post(
        url,
        checkout_form(
            [(small, 1)], province="Jawa Barat", postage_seen="90000", phone="081298765432", email="lain@example.com"
        ),
    )
    assert stale.status_code == 200 and Order.objects.count() == 1


def test_postage_with_the_balance_is_an_estimate_until_the_seller_weighs():
    campaign = _campaign("flat", timing="balance")
    order = place_order(campaign, [(campaign.items.first(), 2)], plan="dp", province="Jawa Barat")
    assert (order.postage_idr, order.postage_final, order.first_payment_idr) == (25_000, False, 100_000)
    order = _pay(order, order.first_transfer_idr)
    assert order.status == Status.DP_PAID
    order_postage_set(order=order, postage_idr=31_000, actor=None, now=timezone.now())
    order = order_fresh(order)
    assert (order.postage_idr, order.total_idr, order.postage_final) == (31_000, 231_000, True)
    assert order_ledger(order).due_idr == 231_000 - order.first_payment_idr
    assert Message.objects.filter(order=order, kind="postage_set").count() == 1
    order = _pay(order, order_ledger(order).due_idr)
    assert order.status == Status.PAID
    with pytest.raises(ShippingError, match="already paid in full"):
        order_postage_set(order=order, postage_idr=40_000, actor=None, now=timezone.now())


def test_the_packing_list_shows_each_orders_postage():
    campaign = _campaign("flat")
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="full", province="Papua")
    order = _pay(order, order.first_transfer_idr)
    out = io.BytesIO()
    packing_list_write(campaign=campaign, out=out, file_format="csv")
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    header = rows[0]
    row = next(row for row in rows if row[0] == order.number)
    assert row[header.index("Postage (Rp)")] == "90000"
    assert row[header.index("Total (Rp)")] == str(order.total_idr)


def _unpaid(campaign):
    return place_order(
        campaign,
        [(campaign.items.first(), 1)],
        plan="full",
        province="Papua",
        phone="081298765488",
        email="u@example.com",
    )


def _paid_in_production(campaign, n, **buyer):
    order = place_order(
        campaign,
        [(campaign.items.first(), 1)],
        plan="full",
        province="Jawa Barat",
        phone=f"08129876540{n}",
        email=f"b{n}@example.com",
        **buyer,
    )
    return _pay(order, order.first_transfer_idr)


def test_only_an_order_paid_in_full_ships_and_the_buyer_is_told_with_a_tracking_link():
    campaign = _campaign("flat")
    paid = _paid_in_production(campaign, 1)
    dp = place_order(
        campaign,
        [(campaign.items.first(), 1)],
        plan="dp",
        province="Jawa Barat",
        phone="081298765499",
        email="dp@example.com",
    )
    dp = _pay(dp, dp.first_transfer_idr)
    with pytest.raises(ShippingError, match="not in production"):
        order_ship(order=paid, courier="JNE", tracking_number="JNE0001112223", actor=None, now=timezone.now())
    Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    with pytest.raises(ShippingError, match="not paid in full"):
        order_ship(order=dp, courier="JNE", tracking_number="JNE0001112224", actor=None, now=timezone.now())
    with pytest.raises(ShippingError, match="Unknown courier"):
        order_ship(order=paid, courier="Kuda", tracking_number="JNE0001112223", actor=None, now=timezone.now())
    with pytest.raises(ShippingError, match="6 to 40"):
        order_ship(order=paid, courier="jne", tracking_number="x", actor=None, now=timezone.now())

    order_ship(order=paid, courier="J&T", tracking_number=" JP 1234 5678 90 ", actor=None, now=timezone.now())
    paid = order_fresh(paid)
    assert (paid.status, paid.courier, paid.tracking_number) == (Status.SHIPPED, "jnt", "JP1234567890")
    assert paid.tracking_url.endswith("JP1234567890")
    assert Campaign.objects.get(pk=campaign.pk).stage == Campaign.Stage.SHIPPING
    assert Message.objects.filter(order=paid, kind="order_shipped").count() == 1
    with pytest.raises(ShippingError, match="already shipped"):
        order_ship(order=paid, courier="jne", tracking_number="JNE0001112229", actor=None, now=timezone.now())


def test_the_buyer_confirms_receipt_or_the_job_completes_the_order_and_then_the_po():
    campaign = _campaign("flat", auto_complete_days=5)
    first, second = _paid_in_production(campaign, 1), _paid_in_production(campaign, 2)
    unpaid = _unpaid(campaign)
    Order.objects.filter(pk=unpaid.pk).update(status=Status.EXPIRED)
    Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    shipped_at = timezone.now()
    for order, resi in ((first, "SCP000111222"), (second, "SCP000111333")):
        order_ship(order=order, courier="sicepat", tracking_number=resi, actor=None, now=shipped_at)

    order_receipt_confirm(order=first, now=shipped_at + datetime.timedelta(days=1))
    assert order_fresh(first).status == Status.COMPLETED
    assert orders_complete_due(now=shipped_at + datetime.timedelta(days=4)) == 0
    assert Campaign.objects.get(pk=campaign.pk).stage == Campaign.Stage.SHIPPING
    assert orders_complete_due(now=shipped_at + datetime.timedelta(days=5, minutes=1)) == 1
    assert order_fresh(second).status == Status.COMPLETED
    assert Campaign.objects.get(pk=campaign.pk).stage == Campaign.Stage.COMPLETED
    assert orders_complete_due(now=shipped_at + datetime.timedelta(days=9)) == 0
    assert campaigns_complete_due(now=shipped_at + datetime.timedelta(days=9)) == 0


def _upload(seller_client, content: str):
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the errors are matched in English
    return seller_client.post(
        reverse("admin:orders_order_import"),
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("resi.csv", content.encode(), content_type="text/csv"),
        },
    )


def test_a_resi_file_with_bad_rows_is_previewed_with_each_error_and_ships_nothing(seller_client):
    campaign = _campaign("flat")
    good, also_good = _paid_in_production(campaign, 1), _paid_in_production(campaign, 2)
    unpaid = _unpaid(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    content = "\n".join(
        [
            "Nomor pesanan,Kurir,Resi",
            f"{good.number},JNE,JNE1000000001",
            "PO-9999-99999,JNE,JNE1000000002",
            f"{unpaid.number},JNE,JNE1000000003",
            f"{good.number},JNE,JNE1000000004",
            f"{also_good.number},JNE,JNE1000000001",
        ]
    )
    preview = _upload(seller_client, content)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert result.has_validation_errors()
    errors = {row.number: str(row.error) for row in result.invalid_rows}
    assert "No order PO-9999-99999" in errors[2]
    assert "not paid in full" in errors[3]
    assert "also on row 1" in errors[4]
    assert "resi is also on row 1" in errors[5]
    assert 1 not in errors
    assert "confirm_form" not in preview.context or preview.context["confirm_form"] is None
    assert not Order.objects.filter(status=Status.SHIPPED).exists()


def test_a_good_resi_file_ships_every_row_once_confirmed(seller_client):
    campaign = _campaign("flat")
    orders = [_paid_in_production(campaign, n) for n in range(1, 4)]
    Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    content = "order,courier,resi\n" + "\n".join(
        f"{order.number.lower()},{courier},{resi}"
        for order, courier, resi in zip(
            orders, ["JNE", "J&T Express", "anteraja"], ["JNE2000000001", "JP2000000002", "10002000000003"], strict=True
        )
    )
    preview = _upload(seller_client, content)
    assert not preview.context["result"].has_validation_errors(), preview.context["result"].invalid_rows
    confirm = preview.context["confirm_form"]
    assert not Order.objects.filter(status=Status.SHIPPED).exists()  # the preview changed nothing
    done = seller_client.post(
        reverse("admin:orders_order_process_import"), {name: confirm[name].value() for name in confirm.fields}
    )
    assert done.status_code == 302
    shipped = {
        order.number: (order.courier, order.tracking_number) for order in Order.objects.filter(status=Status.SHIPPED)
    }
    assert shipped == {
        orders[0].number: ("jne", "JNE2000000001"),
        orders[1].number: ("jnt", "JP2000000002"),
        orders[2].number: ("anteraja", "10002000000003"),
    }
    assert Message.objects.filter(kind="order_shipped").count() == 3


def test_a_resi_spreadsheet_in_xlsx_is_read_too(seller_client):
    campaign = _campaign("flat")
    order = _paid_in_production(campaign, 1)
    Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    book = openpyxl.Workbook()
    book.active.append(["No Pesanan", "Ekspedisi", "No Resi"])
    book.active.append([order.number, "SiCepat", 4000123456789])  # a resi typed as a number
    buffer = io.BytesIO()
    book.save(buffer)
    preview = seller_client.post(
        reverse("admin:orders_order_import"),
        {
            "resource": "0",
            "format": "1",
            "import_file": SimpleUploadedFile("resi.xlsx", buffer.getvalue()),
        },
    )
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    confirm = preview.context["confirm_form"]
    seller_client.post(
        reverse("admin:orders_order_process_import"), {name: confirm[name].value() for name in confirm.fields}
    )
    order = order_fresh(order)
    assert (order.status, order.courier, order.tracking_number) == (Status.SHIPPED, "sicepat", "4000123456789")


def test_the_seller_ships_one_order_from_the_order_list(seller_client):
    campaign = _campaign("flat")
    order = _paid_in_production(campaign, 1)
    Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.IN_PRODUCTION)
    response = seller_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "ship_order", "_selected_action": [order.pk], "courier": "ninja", "resi": "NLIDAP123456"},
        follow=True,
    )
    assert response.status_code == 200
    order = order_fresh(order)
    assert (order.status, order.courier, order.tracking_number) == (Status.SHIPPED, "ninja", "NLIDAP123456")
    wrong = seller_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "ship_order", "_selected_action": [order.pk], "courier": "jne", "resi": "JNE9999999999"},
        follow=True,
    )
    with translation.override("id"):
        refusal = translation.gettext("%(number)s has already shipped.") % {"number": order.number}
    assert escape(refusal) in wrong.content.decode()
    assert order_fresh(order).tracking_number == "NLIDAP123456"
