"""The seller, logged in with the demo seller account, sets up a PO in admin."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from campaigns.exceptions import CampaignError
from campaigns.models import Campaign, CampaignItem
from campaigns.services import campaign_update_post
from catalog.models import Product
from orders.models import Message
from tests.factories import (
    CampaignFactory,
    CampaignItemFactory,
    campaign_with_products,
    jakarta,
    place_order,
    product_with_grid,
)

pytestmark = pytest.mark.django_db


def _management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_seller_creates_a_product_and_gets_its_variant_grid(seller_client):
    data = {
        "name": "Kemeja Batik Kawung",
        "slug": "kemeja-batik-kawung",
        "category": "",
        "kind": Product.Kind.HANDMADE_PREMIUM,
        "description": "Batik tulis.",
        "base_price_idr": "325000",
        "is_active": "on",
        "generate_variants": "on",
        **_management("images"),
        **_management("option_types", total=2),
        "option_types-0-name": "Ukuran",
        "option_types-0-values_text": "S, M, L, XL",
        "option_types-0-position": "0",
        "option_types-1-name": "Warna",
        "option_types-1-values_text": "Sogan, Biru",
        "option_types-1-position": "1",
        **_management("variants"),
    }
    response = seller_client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response

    product = Product.objects.get(slug="kemeja-batik-kawung")
    assert product.variants.count() == 8
    assert "XL / Biru" in {variant.label for variant in product.variants.prefetch_related("option_values")}


def test_an_option_without_values_is_refused_with_a_message(seller_client):
    data = {
        "name": "Nastar",
        "slug": "nastar",
        "kind": Product.Kind.READY_TO_EAT,
        "base_price_idr": "185000",
        "is_active": "on",
        **_management("images"),
        **_management("option_types", total=1),
        "option_types-0-name": "Toples",
        "option_types-0-values_text": " , ",
        "option_types-0-position": "0",
        **_management("variants"),
    }
    response = seller_client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 200
    assert not Product.objects.filter(slug="nastar").exists()
    assert "values_text" in response.context["inline_admin_formsets"][1].formset.forms[0].errors


def _campaign_form(product, **overrides):
    data = {
        "title": "PO Batik Kawung Batch 1",
        "slug": "po-batik-kawung-1",
        "description": "",
        "opens_at_0": "2027-04-25",
        "opens_at_1": "10:00:00",
        "closes_at_0": "2027-05-05",
        "closes_at_1": "21:00:00",
        "estimated_ship_date": "2027-05-26",
        "quota_total": "",
        "per_buyer_limit": "2",
        "minimum_goal_units": "10",
        "goal_missed_policy": Campaign.GoalMissedPolicy.REFUND,
        "payment_terms": Campaign.PaymentTerms.DP_ALLOWED,
        "dp_kind": Campaign.DownPaymentKind.PERCENT,
        "dp_percent": "50",
        "dp_fixed_per_unit_idr": "",
        "balance_due_date": "2027-05-19",
        "unpaid_expiry_hours": "24",
        "postage_mode": Campaign.PostageMode.FREE,
        "postage_timing": Campaign.PostageTiming.WITH_FIRST_PAYMENT,
        "pickup_place": "",
        "add_products": [str(product.pk)],
        **_management("items"),
        **_management("updates"),
    }
    data.update(overrides)
    return data


def test_seller_creates_a_campaign_with_the_whole_variant_grid_and_publishes_it(seller_client):
    product = product_with_grid({"Ukuran": ["S", "M", "L"], "Warna": ["Sogan", "Biru"]}, base_price_idr=325_000)

    response = seller_client.post(reverse("admin:campaigns_campaign_add"), _campaign_form(product))
    assert response.status_code == 302

    campaign = Campaign.objects.get(slug="po-batik-kawung-1")
    assert campaign.stage == Campaign.Stage.DRAFT
    assert campaign.opens_at == jakarta(2027, 4, 25, 10)
    assert campaign.items.count() == 6
    assert set(campaign.items.values_list("price_idr", flat=True)) == {325_000}

    response = seller_client.post(
        reverse("admin:campaigns_campaign_changelist"), {"action": "publish", "_selected_action": [campaign.pk]}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.stage == Campaign.Stage.PUBLISHED


def test_a_short_window_is_saved_with_a_warning(seller_client):
    product = product_with_grid({"Ukuran": ["M"]})
    response = seller_client.post(
        reverse("admin:campaigns_campaign_add"),
        _campaign_form(product, closes_at_0="2027-04-26", closes_at_1="21:00:00"),
        follow=True,
    )
    assert Campaign.objects.filter(slug="po-batik-kawung-1").exists()
    warnings = [message.message for message in get_messages(response.wsgi_request) if message.level_tag == "warning"]
    assert warnings == ["Periode PO kurang dari 3 hari: pembeli bisa ketinggalan."], warnings


def test_bad_dates_are_refused_with_messages_and_nothing_is_saved(seller_client):
    product = product_with_grid({"Ukuran": ["M"]})
    response = seller_client.post(
        reverse("admin:campaigns_campaign_add"),
        _campaign_form(product, closes_at_0="2027-04-20", estimated_ship_date="2027-04-01"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "closes_at" in errors and "estimated_ship_date" in errors
    assert not Campaign.objects.exists()


def test_the_change_page_lists_holidays_and_paydays_and_warns_about_lebaran(seller_client):
    campaign = CampaignFactory(
        opens_at=jakarta(2027, 2, 20, 10),
        closes_at=jakarta(2027, 2, 28, 21),
        estimated_ship_date=datetime.date(2027, 3, 10),
        balance_due_date=datetime.date(2027, 3, 5),
    )
    html = seller_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert "Tanggal gajian" in html  # 25 February and 1 March
    assert "Idul Fitri" in html
    assert "errornote" in html  # the ship date falls in the Lebaran long holiday


def _post_update(seller_client, campaign, *, message, new_date, items=(), refused=None):
    """Post the campaign's change form as the seller would, with one new update for buyers."""
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    form = seller_client.get(change_url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if name in form.fields and value is not None}
    for name in ("opens_at", "closes_at", "add_products", "image"):
        data.pop(name, None)
    data.update(
        {
            "opens_at_0": timezone.localtime(campaign.opens_at).strftime("%Y-%m-%d"),
            "opens_at_1": timezone.localtime(campaign.opens_at).strftime("%H:%M:%S"),
            "closes_at_0": timezone.localtime(campaign.closes_at).strftime("%Y-%m-%d"),
            "closes_at_1": timezone.localtime(campaign.closes_at).strftime("%H:%M:%S"),
            **_management("items", total=len(items), initial=len(items)),
            **_management("updates", total=1),
            "updates-0-message": message,
            "updates-0-new_estimated_ship_date": new_date.isoformat(),
        }
    )
    for index, item in enumerate(items):
        data.update(
            {
                f"items-{index}-id": str(item.pk),
                f"items-{index}-campaign": str(campaign.pk),
                f"items-{index}-price_idr": str(item.price_idr),
                f"items-{index}-position": str(index),
            }
        )
    response = seller_client.post(change_url, data)
    assert response.status_code == (302 if refused is None else 200), response.context["adminform"].form.errors
    if refused is not None:
        assert refused in response.content.decode()
    return response


def test_a_delay_posted_in_admin_moves_the_ship_date(seller_client):
    campaign = CampaignFactory()
    new_date = campaign.estimated_ship_date + datetime.timedelta(days=7)
    _post_update(seller_client, campaign, message="Pewarna alami terlambat datang.", new_date=new_date)
    campaign.refresh_from_db()
    assert campaign.estimated_ship_date == new_date
    update = campaign.updates.get()
    assert update.posted_by.username == "penjual"


def test_a_delay_posted_in_admin_asks_every_live_buyer(seller_client):
    campaign = CampaignFactory()
    item = CampaignItemFactory(campaign=campaign)
    buyers = [place_order(campaign, [(item, 1)], email=f"b{n}@example.com", phone=f"08123000000{n}") for n in range(3)]
    new_date = campaign.estimated_ship_date + datetime.timedelta(days=7)
    _post_update(seller_client, campaign, message="Kain terlambat.", new_date=new_date, items=[item])
    told = Message.objects.filter(kind="delay_announced")
    assert sorted(told.values_list("order_id", flat=True)) == sorted(order.pk for order in buyers)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:catalog_product_changelist",
        "admin:catalog_product_add",
        "admin:catalog_variant_changelist",
        "admin:catalog_category_changelist",
        "admin:campaigns_campaign_changelist",
        "admin:campaigns_campaign_add",
    ],
)
def test_seller_admin_pages_open(seller_client, url_name):
    campaign_with_products(products=2, options={"Ukuran": ["S", "M"]})
    assert seller_client.get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize("status", ["open", "coming_soon", "closed", "draft", "completed"])
def test_campaign_status_filter_finds_each_status(seller_client, status):
    now = timezone.now()
    past = {"opens_at": now - datetime.timedelta(days=10), "closes_at": now - datetime.timedelta(days=1)}
    made = {
        "open": CampaignFactory(),
        "coming_soon": CampaignFactory(opens_at=now + datetime.timedelta(days=1)),
        "closed": CampaignFactory(**past),
        "draft": CampaignFactory(stage=Campaign.Stage.DRAFT),
        "completed": CampaignFactory(stage=Campaign.Stage.COMPLETED, **past),
    }
    response = seller_client.get(reverse("admin:campaigns_campaign_changelist"), {"status": status})
    assert list(response.context["cl"].result_list) == [made[status]]


def _change_data(seller_client, campaign):
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    page = seller_client.get(change_url)
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if name in form.fields and value is not None}
    for name in ("opens_at", "closes_at"):
        data.pop(name)
        data[f"{name}_0"] = timezone.localtime(getattr(campaign, name)).strftime("%Y-%m-%d")
        data[f"{name}_1"] = timezone.localtime(getattr(campaign, name)).strftime("%H:%M:%S")
    for name in ("add_products", "image"):
        data.pop(name, None)
    items = page.context["inline_admin_formsets"][0].formset
    data.update(_management("items", total=len(items.forms), initial=len(items.forms)))
    for index, item_form in enumerate(items.forms):
        for name in ("id", "campaign", "variant", "price_idr", "quota", "position"):
            value = item_form.initial.get(name, item_form[name].value())
            data[f"items-{index}-{name}"] = "" if value is None else value
    data.update(_management("updates"))
    return change_url, data


def test_saving_the_campaign_form_keeps_units_reserved_in_the_meantime(seller_client):
    campaign = CampaignFactory(quota_total=50)
    item = CampaignItemFactory(campaign=campaign, quota=20)
    change_url, data = _change_data(seller_client, campaign)
    # Orders come in while the seller has the form open.
    Campaign.objects.filter(pk=campaign.pk).update(units_reserved=7)
    CampaignItem.objects.filter(pk=item.pk).update(units_reserved=7)

    data["title"] = "Judul baru"
    data["items-0-price_idr"] = "199000"
    response = seller_client.post(change_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign.refresh_from_db()
    item.refresh_from_db()
    assert (campaign.title, campaign.units_reserved) == ("Judul baru", 7)
    assert (item.price_idr, item.units_reserved) == (199_000, 7)


def test_an_item_with_reserved_units_cannot_be_removed(seller_client):
    campaign = CampaignFactory()
    item = CampaignItemFactory(campaign=campaign, units_reserved=2)
    change_url, data = _change_data(seller_client, campaign)
    data["items-0-DELETE"] = "on"
    response = seller_client.post(change_url, data)
    assert response.status_code == 200
    assert CampaignItem.objects.filter(pk=item.pk).exists()


def test_moving_the_close_later_reopens_the_campaign_for_the_closing_job(seller_client):
    now = timezone.now()
    campaign = CampaignFactory(
        opens_at=now - datetime.timedelta(days=5), closes_at=now - datetime.timedelta(hours=1), close_processed_at=now
    )
    CampaignItemFactory(campaign=campaign)
    change_url, data = _change_data(seller_client, campaign)
    later = timezone.localtime(now + datetime.timedelta(days=3))
    data["closes_at_0"] = later.strftime("%Y-%m-%d")
    data["closes_at_1"] = later.strftime("%H:%M:%S")
    data["estimated_ship_date"] = (later.date() + datetime.timedelta(days=14)).isoformat()
    data["balance_due_date"] = (later.date() + datetime.timedelta(days=7)).isoformat()
    response = seller_client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign.refresh_from_db()
    assert campaign.status_at(now) == Campaign.Status.OPEN
    assert campaign.close_processed_at is None


def test_staff_who_may_only_view_cannot_run_actions(client):
    viewer = User.objects.create_user("pengamat", password="lihat-saja-123", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_campaign"))
    client.force_login(viewer)
    campaign = CampaignFactory(stage=Campaign.Stage.DRAFT)
    CampaignItemFactory(campaign=campaign)
    client.post(
        reverse("admin:campaigns_campaign_changelist"), {"action": "publish", "_selected_action": [campaign.pk]}
    )
    campaign.refresh_from_db()
    assert campaign.stage == Campaign.Stage.DRAFT


def test_a_new_seller_finds_plain_action_names_hints_before_saving_and_a_publish_button(seller_client):
    CampaignFactory()
    changelist = seller_client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    assert 'name="index"' in changelist and ">Buka<" not in changelist and ">Go<" not in changelist

    add = seller_client.get(reverse("admin:campaigns_campaign_add")).content.decode()
    assert 'name="_publish"' in add and "data-occasions-url" in add
    assert "Paydays" in add or "gajian" in add  # the window's help text
    hints = seller_client.get(
        reverse("admin:campaigns_campaign_occasions"),
        {"opens_at": "2027-03-01", "closes_at": "2027-03-20", "ship": "2027-03-25"},
    )
    assert hints.status_code == 200 and "<" in hints.content.decode()
    junk = seller_client.get(reverse("admin:campaigns_campaign_occasions"), {"opens_at": "kemarin"})
    assert junk.status_code == 400


def test_save_and_publish_publishes_the_new_campaign(seller_client):
    product = product_with_grid({"Ukuran": ["S", "M"]}, base_price_idr=100_000)
    response = seller_client.post(
        reverse("admin:campaigns_campaign_add"), {**_campaign_form(product), "_publish": "Simpan dan terbitkan"}
    )
    assert response.status_code == 302
    assert Campaign.objects.get(slug="po-batik-kawung-1").stage == Campaign.Stage.PUBLISHED


def test_seller_sets_the_days_after_shipping_before_an_order_completes_or_leaves_the_default(seller_client):
    product = product_with_grid({"Ukuran": ["M"]}, base_price_idr=325_000)
    response = seller_client.post(
        reverse("admin:campaigns_campaign_add"), _campaign_form(product, auto_complete_days="14")
    )
    assert response.status_code == 302
    assert Campaign.objects.get(slug="po-batik-kawung-1").auto_complete_days == 14

    form = seller_client.get(reverse("admin:campaigns_campaign_add")).content.decode()
    assert 'name="auto_complete_days"' in form and 'value="7"' in form  # shown, with the default filled in
    response = seller_client.post(
        reverse("admin:campaigns_campaign_add"),
        _campaign_form(product, slug="po-batik-kawung-2", auto_complete_days=""),
    )
    assert response.status_code == 302
    assert Campaign.objects.get(slug="po-batik-kawung-2").auto_complete_days == 7


def test_an_update_with_a_ship_date_already_past_is_refused_in_the_campaigns_own_form(seller_client):
    campaign = CampaignFactory()
    before = campaign.estimated_ship_date
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _post_update(seller_client, campaign, message="Salah tanggal.", new_date=yesterday, refused="is in the past")
    campaign.refresh_from_db()
    assert campaign.estimated_ship_date == before and not campaign.updates.exists()


def test_the_update_service_refuses_a_ship_date_already_past_in_the_shops_calendar():
    campaign = CampaignFactory()
    now = timezone.now()
    with pytest.raises(CampaignError, match="in the past"):
        campaign_update_post(
            campaign=campaign,
            message="x",
            new_estimated_ship_date=timezone.localdate(now) - datetime.timedelta(1),
            now=now,
        )
    today = campaign_update_post(
        campaign=campaign, message="x", new_estimated_ship_date=timezone.localdate(now), now=now
    )
    assert today.new_estimated_ship_date == timezone.localdate(now)
