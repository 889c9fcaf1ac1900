"""Every step of a PO's stage, posted as the seller posts it from the campaign list, goes through the
service named for it: the steps the rules allow happen with all they bring (the tally, refunds), and
the ones they refuse say why and change nothing."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import Campaign, CampaignItem
from fulfilment.models import ProductionTally
from fulfilment.services import campaign_close_due, order_receipt_confirm, order_ship
from orders.models import Order
from payments.models import Refund
from payments.services import order_cancel, payment_confirm
from tests.factories import CampaignFactory, campaign_with_products, place_order
from tests.payments.conftest import submit_transfer

pytestmark = pytest.mark.django_db
Stage = Campaign.Stage
CHANGELIST = reverse("admin:campaigns_campaign_changelist")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _post(client, action: str, campaign: Campaign, **fields) -> list[str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(CHANGELIST, {"action": action, "_selected_action": [campaign.pk], **fields}, follow=True)
    assert response.status_code == 200
    return [str(message) for message in get_messages(response.wsgi_request)]


def _stage(campaign: Campaign) -> str:
    return Campaign.objects.values_list("stage", flat=True).get(pk=campaign.pk)


def _po(**fields) -> Campaign:
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, **fields)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    return campaign


def _paid(campaign: Campaign, phone: str, *, plan="full") -> Order:
    order = place_order(campaign, [(campaign.items.first(), 1)], plan=plan, phone=phone, email=f"{phone}@example.com")
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    return Order.objects.get(pk=order.pk)


def _window_ended(campaign: Campaign, *, hours_ago: int) -> None:
    """The window ended `hours_ago` hours ago (its orders were placed while it was open)."""
    closes = timezone.now() - datetime.timedelta(hours=hours_ago)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=closes - datetime.timedelta(days=7), closes_at=closes)


def _in_production(campaign: Campaign) -> None:
    _window_ended(campaign, hours_ago=48)
    campaign_close_due(now=timezone.now())
    assert _stage(campaign) == Stage.TALLYING


def test_publish_and_back_to_draft_through_their_services(seller_client):
    coming = CampaignFactory(stage=Stage.DRAFT, opens_at=timezone.now() + datetime.timedelta(days=2))
    CampaignItem.objects.create(campaign=coming, variant=_po().items.first().variant, price_idr=100_000, position=0)
    assert _post(seller_client, "publish", coming) == [f"{coming.title} is published; it opens at its time."]
    assert _stage(coming) == Stage.PUBLISHED
    assert _post(seller_client, "back_to_draft", coming) == [f"{coming.title} is a draft again."]
    assert _stage(coming) == Stage.DRAFT

    open_now = _po()
    (message,) = _post(seller_client, "back_to_draft", open_now)
    assert "Only a campaign that has not opened yet goes back to draft." in message
    assert _stage(open_now) == Stage.PUBLISHED

    ended = CampaignFactory(stage=Stage.DRAFT, opens_at=timezone.now() - datetime.timedelta(days=20))
    (message,) = _post(seller_client, "publish", ended)
    assert "Its window has already ended" in message
    assert _stage(ended) == Stage.DRAFT


def test_start_production_takes_the_tally_and_is_refused_while_unpaid_orders_may_still_pay(seller_client):
    campaign = _po(unpaid_expiry_hours=24)
    paid = _paid(campaign, "081200000001")
    unpaid = place_order(campaign, [(campaign.items.last(), 2)], plan="full", phone="081200000002")

    (message,) = _post(seller_client, "start_production", campaign)
    assert message == f"{campaign.title}: Only a closed PO that is tallying goes into production."
    assert _stage(campaign) == Stage.PUBLISHED

    _window_ended(campaign, hours_ago=2)
    campaign_close_due(now=timezone.now())
    (message,) = _post(seller_client, "start_production", campaign)
    assert "1 unpaid order may still pay until" in message
    assert _stage(campaign) == Stage.TALLYING
    assert not ProductionTally.objects.filter(campaign=campaign).exists()
    assert Order.objects.get(pk=unpaid.pk).status == Order.Status.PENDING_PAYMENT

    _window_ended(campaign, hours_ago=30)
    assert _post(seller_client, "start_production", campaign) == [
        f"{campaign.title}: the tally is taken; in production."
    ]
    assert _stage(campaign) == Stage.IN_PRODUCTION
    tally = ProductionTally.objects.get(campaign=campaign)
    assert (tally.orders, tally.units) == (1, paid.units)
    assert Order.objects.get(pk=unpaid.pk).status == Order.Status.CANCELLED


def test_start_shipping_only_from_production(seller_client):
    campaign = _po()
    _paid(campaign, "081200000001")
    _in_production(campaign)
    (message,) = _post(seller_client, "start_shipping", campaign)
    assert "only a PO in production starts shipping" in message
    assert _stage(campaign) == Stage.TALLYING

    _window_ended(campaign, hours_ago=48)
    _post(seller_client, "start_production", campaign)
    assert _post(seller_client, "start_shipping", campaign) == [f"{campaign.title}: now shipping."]
    assert _stage(campaign) == Stage.SHIPPING


def test_complete_is_refused_while_an_order_has_not_ended(seller_client):
    campaign = _po()
    order = _paid(campaign, "081200000001")
    kept_back = _paid(campaign, "081200000002")
    (message,) = _post(seller_client, "complete", campaign)
    assert "only a PO being shipped is completed" in message

    _in_production(campaign)
    _post(seller_client, "start_production", campaign)
    order_ship(order=order, courier="jne", tracking_number="JNE123456789", actor=None, now=timezone.now())
    assert _stage(campaign) == Stage.SHIPPING
    (message,) = _post(seller_client, "complete", campaign)
    assert "still has 2 orders not completed, cancelled or expired" in message
    assert _stage(campaign) == Stage.SHIPPING

    order_receipt_confirm(order=order, now=timezone.now())
    (message,) = _post(seller_client, "complete", campaign)
    assert "still has 1 order not completed, cancelled or expired" in message
    assert _stage(campaign) == Stage.SHIPPING

    # The last live order cancelled by the seller: nothing completes the PO but the job or this action.
    seller = get_user_model().objects.get(username="penjual")
    order_cancel(order=kept_back, now=timezone.now(), actor=seller, reason="Stok kain habis.")
    assert _post(seller_client, "complete", campaign) == [f"{campaign.title}: completed."]
    assert _stage(campaign) == Stage.COMPLETED


def test_cancel_refunds_every_buyer_and_needs_a_reason(seller_client):
    campaign = _po()
    order = _paid(campaign, "081200000001")
    (message,) = _post(seller_client, "cancel", campaign, reason="")
    assert "Give the buyers a reason." in message
    assert _stage(campaign) == Stage.PUBLISHED

    assert _post(seller_client, "cancel", campaign, reason="Kain tidak tersedia") == [
        f"{campaign.title} is cancelled; refunds are recorded."
    ]
    assert _stage(campaign) == Stage.CANCELLED
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    refund = Refund.objects.get(order=order)
    assert (refund.amount_idr, refund.status) == (order.first_transfer_idr, Refund.Status.DUE)

    (message,) = _post(seller_client, "cancel", campaign, reason="Lagi")
    assert "can no longer be cancelled" in message
    assert Refund.objects.filter(order=order).count() == 1


def test_a_completed_po_takes_no_step(seller_client):
    campaign = _po()
    Campaign.objects.filter(pk=campaign.pk).update(stage=Stage.COMPLETED)
    for action in ("publish", "back_to_draft", "start_production", "start_shipping", "complete"):
        (message,) = _post(seller_client, action, campaign)
        assert any(word in message for word in ("cannot move", "only a PO", "Only a")), (action, message)
        assert _stage(campaign) == Stage.COMPLETED
