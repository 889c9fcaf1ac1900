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
from fulfilment.services import order_personal_data_delete, personal_data_purge
from orders.models import BankAccount, Message, Order, OrderEvent
from payments.models import Payment
from payments.services import payment_confirm
from tests.factories import campaign_with_products, place_order
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
