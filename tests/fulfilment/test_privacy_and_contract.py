"""The contract before paying names the seller and every term (PP 80/2019); personal data is
kept only as long as needed (UU PDP 27/2022) and deleted on request."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignItem
from catalog.models import ShopProfile
from fulfilment.exceptions import FulfilmentError
from fulfilment.models import ProductionTally, ProductionTallyLine, ProductionTallyNote
from fulfilment.services import order_personal_data_delete, personal_data_purge
from orders.checkout import LineRequest, order_place
from orders.models import BankAccount, Message, Order, OrderEvent, OrderLine
from payments.models import BankStatementImport, BankStatementLine, Payment, Refund
from payments.refunds import refund_mark_sent
from payments.services import order_cancel, payment_confirm, payment_reject
from tests.factories import buyer, campaign_with_products, place_order
from tests.payments.conftest import submit_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    return campaign


@pytest.fixture
def profile():
    return ShopProfile.objects.create(
        shop_name="Batik Sekar",
        owner_name="CV Sekar Jaya",
        address="Jl. Malioboro 5, Yogyakarta",
        whatsapp="+6281311112222",
        email="halo@batiksekar.id",
    )


def test_the_checkout_states_the_seller_payment_delivery_returns_refunds_and_disputes(client, campaign, profile):
    BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="CV Sekar Jaya")
    item = campaign.items.first()
    html = client.get(reverse("orders:checkout", args=[campaign.slug]), {f"qty-{item.pk}": 1}).content.decode()
    for text in ["CV Sekar Jaya", "Jl. Malioboro 5, Yogyakarta", "+6281311112222", "halo@batiksekar.id", "BCA"]:
        assert text in html
    for marker in ("data-seller", "data-payment-methods", "data-delivery", "data-returns", "data-disputes"):
        assert marker in html
    assert reverse("privacy") in html
    assert "di halaman ini" not in html


def test_the_privacy_notice_says_what_why_how_long_and_who_to_ask(client, profile, settings):
    settings.PERSONAL_DATA_DAYS = 180
    html = client.get(reverse("privacy")).content.decode()
    assert "180" in html and "halo@batiksekar.id" in html
    assert reverse("privacy") in client.get("/").content.decode()  # linked from the footer


def _ended(order, status, days_ago):
    at = timezone.now() - datetime.timedelta(days=days_ago)
    Order.objects.filter(pk=order.pk).update(status=status, completed_at=at if status == "completed" else None)
    OrderEvent.objects.filter(order=order).update(at=at)


def test_the_purge_anonymises_buyers_of_long_ended_orders_deletes_proofs_and_keeps_the_amounts(
    campaign, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    old_done = place_order(campaign, [(campaign.items.first(), 1)], plan="full", phone="081200000001", email="a@x.id")
    payment = submit_transfer(old_done, old_done.first_transfer_idr)
    payment_confirm(payment_id=payment.pk, now=timezone.now())
    proof_path = settings.PRIVATE_MEDIA_ROOT / Payment.objects.get(pk=payment.pk).proof.name
    assert proof_path.exists()
    old_cancelled = place_order(campaign, [(campaign.items.first(), 1)], phone="081200000002", email="b@x.id")
    recent = place_order(campaign, [(campaign.items.first(), 1)], phone="081200000003", email="c@x.id")
    live = place_order(campaign, [(campaign.items.first(), 1)], phone="081200000004", email="d@x.id")
    _ended(old_done, "completed", 400)
    _ended(old_cancelled, "cancelled", 400)
    _ended(recent, "completed", 10)

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the rows are committed
        call_command("purge_personal_data", "--days", "365", stdout=out)
    assert "2 orders anonymised, 1 transfer proofs deleted" in out.getvalue()
    done = Order.objects.get(pk=old_done.pk)
    assert (done.buyer_name, done.phone, done.email, done.street) == ("-", "", "", "")
    assert done.total_idr == old_done.total_idr and done.personal_data_removed_at is not None
    assert Payment.objects.get(pk=payment.pk).amount_idr == old_done.first_transfer_idr
    assert not Payment.objects.get(pk=payment.pk).proof and not proof_path.exists()
    assert Message.objects.filter(order=done).exclude(to_email="").count() == 0
    assert Order.objects.get(pk=recent.pk).buyer_name == recent.buyer_name
    assert Order.objects.get(pk=live.pk).phone == live.phone
    assert personal_data_purge(days=365, now=timezone.now()) == (0, 0)
    with pytest.raises(FulfilmentError):
        personal_data_purge(days=0, now=timezone.now())


def test_a_buyers_request_to_delete_is_an_admin_action_for_ended_orders(seller_client, campaign):
    live = place_order(campaign, [(campaign.items.first(), 1)], phone="081200000005", email="e@x.id")
    with pytest.raises(FulfilmentError):
        order_personal_data_delete(order=live, now=timezone.now())
    _ended(live, "cancelled", 1)
    response = seller_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "delete_personal_data", "_selected_action": [live.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Order.objects.get(pk=live.pk).email == ""


# What the buyer typed, or what names them, anywhere about one order (lower case, as searched).
PERSONAL = [
    "wulan",
    "paramitha",
    "0813-7777-2468",  # typed in the cancellation reason
    "81355551357",  # the WhatsApp number, as kept (+62...)
    "wulan.p@example.com",
    "melati putih",
    "5550001111",  # the account the refund went to
    "siti rahmawati",  # the transfer's sender
]


def _order_full_of_personal_text(campaign) -> Order:
    """A paid order whose buyer wrote notes, had a transfer rejected, was tallied, cancelled with a reason
    giving a phone number and was refunded to a named account; the bank statement shows the transfer."""
    now = timezone.now()
    item = campaign.items.first()
    order = order_place(
        campaign_id=campaign.pk,
        lines=[LineRequest(item.pk, 1, note="Bordir nama Wulan Paramitha")],
        buyer=buyer(
            name="Wulan Paramitha",
            phone="0813-5555-1357",
            email="wulan.p@example.com",
            street="Jl. Melati Putih 7",
            note="Kado untuk Wulan",
        ),
        payment_plan="full",
        terms_accepted=True,
        now=now,
    )
    rejected = submit_transfer(order, order.first_transfer_idr)
    payment_reject(payment_id=rejected.pk, reason="Nama pengirim bukan Wulan Paramitha", now=now)
    payment = payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=now)
    account = BankAccount.objects.create(bank_name="BCA", account_number="1234567890", account_holder="CV Sekar Jaya")
    statement = BankStatementImport.objects.create(
        bank_account=account, file_name="mutasi.csv", layout="bca", imported_at=now
    )
    BankStatementLine.objects.create(
        bank_account=account,
        statement_import=statement,
        booked_on=timezone.localdate(),
        description="TRSF E-BANKING CR WULAN PARAMITHA",
        amount_idr=payment.amount_idr,
        fingerprint="f" * 64,
        status=BankStatementLine.Status.CONFIRMED,
        order=order,
        payment=payment,
    )
    tally = ProductionTally.objects.create(campaign=campaign, taken_at=now, orders=1, units=1)
    line = ProductionTallyLine.objects.create(
        tally=tally, campaign_item=item, product_id_at_tally=1, product_name="Batik", sku="B-1", orders=1, units=1
    )
    ProductionTallyNote.objects.create(line=line, order_number=order.number, quantity=1, note="Bordir nama Wulan")
    order_cancel(order=order, now=now, reason="Batal ya, telepon saya di 0813-7777-2468")
    refund = Refund.objects.get(order=order)
    refund_mark_sent(
        refund_id=refund.pk, method="BCA 5550001111 a.n. Wulan Paramitha", reference="TRX-0001", actor=None, now=now
    )
    return Order.objects.get(pk=order.pk)


def _stored(order: Order) -> str:
    """Every row kept about the order, as text."""
    rows = [
        *Order.objects.filter(pk=order.pk).values(),
        *OrderLine.objects.filter(order=order).values(),
        *OrderEvent.objects.filter(order=order).values(),
        *Message.objects.filter(order=order).values(),
        *Payment.objects.filter(order=order).values(),
        *Refund.objects.filter(order=order).values(),
        *BankStatementLine.objects.filter(order=order).values(),
        *ProductionTallyNote.objects.filter(order_number=order.number).values(),
    ]
    return repr(rows).lower()


def _forget_with_the_admin_action(seller_client, order):
    response = seller_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "delete_personal_data", "_selected_action": [order.pk]},
        follow=True,
    )
    assert response.status_code == 200


def _forget_with_the_purge(seller_client, order):
    _ended(order, "cancelled", 400)
    call_command("purge_personal_data", "--days", "365", stdout=io.StringIO())


@pytest.mark.parametrize("forget", [_forget_with_the_admin_action, _forget_with_the_purge])
def test_forgetting_a_buyer_clears_every_text_they_wrote_or_that_names_them(
    seller_client, client, campaign, forget, django_capture_on_commit_callbacks
):
    order = _order_full_of_personal_text(campaign)
    stored, page = _stored(order), client.get(order.get_absolute_url()).content.decode().lower()
    assert [text for text in PERSONAL if text not in stored] == []  # the test's data is really there
    for shown in ("wulan paramitha", "0813-7777-2468", "melati putih", "5550001111", "nama pengirim bukan wulan"):
        assert shown in page
    events = OrderEvent.objects.filter(order=order).count()

    with django_capture_on_commit_callbacks(execute=True):
        forget(seller_client, order)

    assert [text for text in PERSONAL if text in _stored(order)] == []
    page = client.get(order.get_absolute_url())
    assert page.status_code == 200
    assert [text for text in PERSONAL if text in page.content.decode().lower()] == []
    # What happened and the money stay.
    assert OrderEvent.objects.filter(order=order).count() == events
    refund = Refund.objects.get(order=order)
    assert (refund.amount_idr, refund.status, refund.reference) == (order.first_transfer_idr, "sent", "TRX-0001")
    assert Payment.objects.filter(order=order, status="confirmed").get().amount_idr == order.first_transfer_idr
