"""Every action in the seller's admin is posted by a test as the seller posts it; here the ones no other
test file posts: the variant grid, sending a failed e-mail again, marking a WhatsApp message sent, and
the postage after weighing."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from campaigns.models import Campaign, CampaignItem
from campaigns.postage import postage_rates_set
from catalog.models import OptionValue
from orders.models import Message, Order
from tests.factories import campaign_with_products, place_order, product_with_grid

TESTS = Path(__file__).resolve().parent
FLOORS = {"catalog", "campaigns", "orders", "payments", "fulfilment"}


def _posted_actions() -> set[str]:
    """Words quoted in the test files that post admin actions (those that send "_selected_action")."""
    posted = set()
    for path in TESTS.rglob("test_*.py"):
        text = path.read_text()
        if "_selected_action" in text:
            posted |= set(re.findall(r"""["'](\w+)["']""", text))
    return posted


@pytest.mark.django_db
def test_every_action_of_the_sellers_admin_is_posted_by_a_test():
    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.create_superuser("kepala", password="x" * 12)
    registered = {
        (model._meta.label, name)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in FLOORS
        for name in model_admin.get_actions(request)
        if name != "delete_selected"  # Django's own, for the few lists that allow deleting at all
    }
    assert len(registered) >= 15
    posted = _posted_actions()
    assert {(label, name) for label, name in registered if name not in posted} == set()


def _post(client, changelist: str, action: str, selected: list[int], **fields) -> list[str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(changelist, {"action": action, "_selected_action": selected, **fields}, follow=True)
    assert response.status_code == 200
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_the_seller_makes_the_variant_grid_again_after_adding_a_value(seller_client):
    product = product_with_grid({"Ukuran": ["S", "M"], "Warna": ["Sogan"]})
    assert product.variants.count() == 2
    size = product.option_types.get(name="Ukuran")
    OptionValue.objects.create(option_type=size, value="L", position=2)
    _post(seller_client, reverse("admin:catalog_product_changelist"), "generate_variant_grid", [product.pk])
    assert sorted(variant.label for variant in product.variants.prefetch_related("option_values")) == [
        "L / Sogan",
        "M / Sogan",
        "S / Sogan",
    ]


@pytest.mark.django_db
def test_the_seller_sends_a_failed_email_again_and_marks_a_whatsapp_message_sent(seller_client):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    order = place_order(campaign, [(campaign.items.first(), 1)])
    message = Message.objects.get(order=order, kind="order_placed")
    Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED, attempts=8, last_error="SMTP 550")
    changelist = reverse("admin:orders_message_changelist")

    assert _post(seller_client, changelist, "retry", [message.pk]) == ["1 message will be sent again."]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Message.Status.PENDING, 0, "")
    assert _post(seller_client, changelist, "retry", [message.pk]) == ["0 messages will be sent again."]

    assert _post(seller_client, changelist, "mark_whatsapp_sent", [message.pk]) == [
        "1 message marked as sent on WhatsApp."
    ]
    message.refresh_from_db()
    first_marked = message.whatsapp_sent_at
    assert first_marked is not None and message.whatsapp_sent_by.username == "penjual"
    assert _post(seller_client, changelist, "mark_whatsapp_sent", [message.pk]) == [
        "0 messages marked as sent on WhatsApp."
    ]
    message.refresh_from_db()
    assert message.whatsapp_sent_at == first_marked


@pytest.mark.django_db
def test_the_seller_sets_the_postage_after_weighing_and_a_bad_amount_changes_nothing(seller_client):
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S"]},
        postage_mode=Campaign.PostageMode.FLAT_BY_PROVINCE,
        postage_timing=Campaign.PostageTiming.WITH_BALANCE,
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    postage_rates_set(campaign=campaign, rates={"DI Yogyakarta": (15_000, None)})
    order = place_order(campaign, [(campaign.items.first(), 1)], plan="dp")
    assert (order.postage_idr, order.postage_final) == (15_000, False)
    changelist = reverse("admin:orders_order_changelist")

    (message,) = _post(seller_client, changelist, "set_postage", [order.pk], postage="")
    assert message == "Type the postage in whole rupiah."
    assert Order.objects.get(pk=order.pk).postage_final is False

    assert _post(seller_client, changelist, "set_postage", [order.pk], postage="18000") == [
        f"{order.number}: postage Rp18.000."
    ]
    order.refresh_from_db()
    assert (order.postage_idr, order.total_idr, order.postage_final) == (18_000, 118_000, True)
    assert Message.objects.filter(order=order, kind="postage_set").count() == 1


def test_the_system_checks_pass():
    """An admin method named like one of ModelAdmin's own (check) breaks the checks, not the pages."""
    out = io.StringIO()
    call_command("check", stdout=out)
    assert "no issues" in out.getvalue()
