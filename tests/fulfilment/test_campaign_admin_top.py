"""The campaign's admin page leads with what the seller does most: a row of links atop it (an update for
buyers, production, postage, the orders, the messages, the demand), the overview open, and once the PO is
published what was set up once folded away. The update for buyers has a short page of its own."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import Campaign, CampaignItem
from fulfilment.services import campaign_close_due
from orders.models import Message
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db
Stage = Campaign.Stage


@pytest.fixture
def english(seller_client):
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield seller_client


@pytest.fixture
def po():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, quota_total=None)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    return campaign


def _page(client, campaign) -> str:
    response = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _shortcuts(html: str) -> list[tuple[str, str]]:
    nav = re.search(r"<nav[^>]*data-shortcuts>(.*?)</nav>", html, flags=re.S).group(1)
    return [
        (label, url.replace("&amp;", "&"))
        for url, label in re.findall(r'<a class="[^"]*" href="([^"]+)">([^<]+)</a>', nav)
    ]


def _fieldsets(html: str) -> dict[str, bool]:
    """Each named fieldset of the form: whether it is folded (a <details> the seller opens)."""
    found = {}
    for fieldset in re.findall(r'<fieldset class="module aligned[^"]*"[^>]*>(.*?)</fieldset>', html, flags=re.S):
        heading = re.search(r'<h2[^>]*class="fieldset-heading">([^<]+)</h2>', fieldset)
        if heading:
            found[heading.group(1)] = "<details>" in fieldset[: fieldset.index(heading.group(0))]
    return found


def _inlines_folded(html: str) -> dict[str, bool]:
    """Each inline (by its prefix): whether it is folded."""
    found = re.findall(r'<fieldset class="module[^"]*" aria-labelledby="(\w+)-heading">\s*(<details>)?', html)
    return {prefix: bool(details) for prefix, details in found}


def test_the_common_steps_are_links_atop_the_page_before_the_form(english, po):
    html = _page(english, po)
    assert html.index("data-shortcuts") < html.index('id="campaign_form"')
    assert _shortcuts(html) == [
        ("Post an update for buyers", reverse("admin:campaigns_campaign_update", args=[po.pk])),
        ("Production, lists and labels", reverse("admin:campaigns_campaign_production", args=[po.pk])),
        ("Postage per province", reverse("admin:campaigns_campaign_postage", args=[po.pk])),
        ("Orders", reverse("admin:orders_order_changelist") + f"?campaign__id__exact={po.pk}"),
        ("Messages to buyers", reverse("admin:orders_message_changelist") + f"?order__campaign__id__exact={po.pk}"),
        ("Demand per variant", reverse("admin:orders_campaigndemand_demand", args=[po.pk])),
    ]
    for _label, url in _shortcuts(html):
        assert english.get(url).status_code == 200, url


def test_a_draft_shows_every_part_open_and_only_the_postage_link(english, po):
    Campaign.objects.filter(pk=po.pk).update(stage=Stage.DRAFT)
    html = _page(english, po)
    assert _shortcuts(html) == [("Postage per province", reverse("admin:campaigns_campaign_postage", args=[po.pk]))]
    folded = _fieldsets(html)
    assert "Payment terms" in folded and not any(folded.values())


def test_published_the_set_up_folds_away_but_the_quotas_stay_open_until_the_window_ends(english, po):
    folded = _fieldsets(_page(english, po))
    assert folded["This PO at a glance"] is False
    assert folded["Quotas and goal"] is False
    for name in ("Title, description and share image", "PO window", "Payment terms", "Postage (ongkir)", "Items"):
        assert folded[name] is True, name

    closes = timezone.now() - datetime.timedelta(hours=1)
    Campaign.objects.filter(pk=po.pk).update(opens_at=closes - datetime.timedelta(days=7), closes_at=closes)
    campaign_close_due(now=timezone.now())
    html = _page(english, po)
    folded = _fieldsets(html)
    assert folded["This PO at a glance"] is False and folded["Quotas and goal"] is True
    # Once the window ended the items fold too; the updates (history) fold from publishing on.
    assert _inlines_folded(html) == {"items": True, "updates": True}


def test_while_selling_the_items_stay_open_and_the_updates_fold(english, po):
    assert _inlines_folded(_page(english, po)) == {"items": False, "updates": True}
    Campaign.objects.filter(pk=po.pk).update(stage=Stage.DRAFT)
    assert _inlines_folded(_page(english, po)) == {"items": False, "updates": False}


def test_a_folded_part_with_an_error_opens_so_that_the_seller_sees_it(english, po):
    response = english.get(reverse("admin:campaigns_campaign_change", args=[po.pk]))
    form = response.context["adminform"].form
    data = {
        name: form[name].value()
        for name in form.fields
        if form[name].value() is not None and name not in ("image", "opens_at", "closes_at")
    }
    data.update(
        {
            "opens_at_0": timezone.localtime(po.opens_at).strftime("%Y-%m-%d"),
            "opens_at_1": timezone.localtime(po.opens_at).strftime("%H:%M"),
            "closes_at_0": timezone.localtime(po.closes_at).strftime("%Y-%m-%d"),
            "closes_at_1": timezone.localtime(po.closes_at).strftime("%H:%M"),
            "dp_percent": "separuh",  # not a number, in the folded "Payment terms"
        }
    )
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
        for index, item_form in enumerate(formset.formset.forms):
            for name in item_form.fields:
                value = item_form[name].value()
                if value is not None:
                    data[f"{formset.formset.prefix}-{index}-{name}"] = value
    response = english.post(reverse("admin:campaigns_campaign_change", args=[po.pk]), data)
    assert response.status_code == 200 and list(response.context["adminform"].form.errors) == ["dp_percent"]
    html = response.content.decode()
    folded = _fieldsets(html)
    assert folded["Payment terms"] is False  # open, with its error in view
    assert folded["Postage (ongkir)"] is True


def test_the_seller_posts_a_delay_from_its_own_page_and_every_live_buyer_is_asked(english, po):
    item = po.items.first()
    buyers = [place_order(po, [(item, 1)], email=f"b{n}@example.com", phone=f"081230000{n:02d}") for n in range(2)]
    url = reverse("admin:campaigns_campaign_update", args=[po.pk])
    page = english.get(url).content.decode()
    assert "data-update-form" in page and "2 buyers whose orders have not shipped get this update" in page

    past = english.post(url, {"message": "Mundur.", "new_estimated_ship_date": "2020-01-01"})
    assert "The new ship date is in the past." in past.content.decode()
    assert not po.updates.exists()

    new_date = po.estimated_ship_date + datetime.timedelta(days=10)
    response = english.post(
        url, {"message": "Kain datang terlambat.", "new_estimated_ship_date": new_date.isoformat()}, follow=True
    )
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "The update is posted; 2 buyers are told."
    ]
    assert response.redirect_chain[-1][0] == reverse("admin:campaigns_campaign_change", args=[po.pk])
    po.refresh_from_db()
    assert po.estimated_ship_date == new_date
    update = po.updates.get()
    assert update.posted_by.username == "penjual"
    told = Message.objects.filter(kind="delay_announced", params__update_id=update.pk)
    assert sorted(told.values_list("order_id", flat=True)) == sorted(order.pk for order in buyers)
    assert "Kain datang terlambat." in english.get(url).content.decode()


def test_a_staff_member_who_may_only_view_cannot_post_an_update(client, po):
    from django.contrib.auth.models import Permission, User  # noqa: PLC0415 - this test's own user

    staff = User.objects.create_user("magang", password="rahasia-magang-123", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_campaign", "view_order"]))
    client.force_login(staff)
    url = reverse("admin:campaigns_campaign_update", args=[po.pk])
    assert "data-update-form" not in client.get(url).content.decode()
    assert client.post(url, {"message": "Halo."}).status_code == 403
    assert not po.updates.exists()
