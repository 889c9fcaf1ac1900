"""The checkout's steps with two implementations give the same results: the plain ORM reference (what
SQLite runs) and the PostgreSQL statements, run on the same cases. On SQLite only the reference runs,
against the results written here."""

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone, translation

from campaigns.models import Campaign, CampaignItem
from catalog.models import Product, Variant
from orders.checkout import UNIQUE_CODE_TIERS
from orders.checkout.reservation import orm as reservation_orm
from orders.checkout.reservation import postgresql as reservation_postgresql
from orders.checkout.unique_code import orm as unique_code_orm
from orders.checkout.unique_code import postgresql as unique_code_postgresql
from orders.checkout.vendor import by_vendor
from orders.exceptions import OrderError
from orders.models import Order
from tests.factories import campaign_with_products, orders_at_amount

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL statements run on PostgreSQL only"
)
RESERVE = [
    pytest.param(reservation_orm.units_reserve, id="orm"),
    pytest.param(reservation_postgresql.units_reserve, id="postgresql", marks=ON_POSTGRESQL),
]
FIRST_FREE = [
    pytest.param(unique_code_orm.first_free, id="orm"),
    pytest.param(unique_code_postgresql.first_free, id="postgresql", marks=ON_POSTGRESQL),
]
CROWDED = [
    pytest.param(unique_code_orm.crowded, id="orm"),
    pytest.param(unique_code_postgresql.crowded, id="postgresql", marks=ON_POSTGRESQL),
]
PRICE = 150_000


def test_each_step_runs_the_postgresql_statements_on_postgresql_and_the_orm_elsewhere():
    step = by_vendor(postgresql=lambda: "postgresql", orm=lambda: "orm")
    assert step() == ("postgresql" if connection.vendor == "postgresql" else "orm")


# The reservation.


@pytest.fixture
def po():
    """An open PO of three sizes, each at its own price: S (quota 5, 1 taken), M (no quota), L (quota 2)."""
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M", "L"]}, quota_total=20)
    small, medium, large = campaign.items.order_by("position")
    CampaignItem.objects.filter(pk=small.pk).update(quota=5, units_reserved=1, price_idr=100_000)
    CampaignItem.objects.filter(pk=medium.pk).update(price_idr=110_000)
    CampaignItem.objects.filter(pk=large.pk).update(quota=2, price_idr=120_000)
    Campaign.objects.filter(pk=campaign.pk).update(units_reserved=1, per_buyer_limit=9)
    campaign.refresh_from_db()
    return campaign, small, medium, large


class _Undo(Exception):
    """Rolls one implementation's run back, so that the next starts from the same rows."""


def _reserve_outcome(units_reserve, campaign, wanted, *, now=None) -> dict:
    """What `units_reserve` gave and changed for `wanted` ({item: quantity}), then undone."""
    now = now or timezone.now()
    try:
        with translation.override("en"), transaction.atomic():
            try:
                reserved = units_reserve(
                    campaign_id=campaign.pk,
                    units=sum(wanted.values()),
                    wanted={item.pk: quantity for item, quantity in wanted.items()},
                    now=now,
                )
            except OrderError as error:
                outcome = {"refused": type(error).__name__, "message": str(error)}
                outcome["units_left"] = getattr(error, "units_left", None)
            else:
                assert abs(reserved.locked_at - now.timestamp()) < 60
                outcome = {"terms": reserved.terms, "prices": reserved.prices, "sold_out": reserved.sold_out}
            outcome["campaign_reserved"] = Campaign.objects.get(pk=campaign.pk).units_reserved
            outcome["items_reserved"] = dict(
                CampaignItem.objects.filter(campaign=campaign).values_list("pk", "units_reserved")
            )
            raise _Undo(outcome)
    except _Undo as undo:
        return undo.args[0]


def _terms(campaign) -> dict:
    campaign.refresh_from_db()
    return {name: getattr(campaign, name) for name in reservation_orm.ORDER_TERMS}


@pytest.mark.parametrize("units_reserve", RESERVE)
def test_an_open_po_with_units_left_reserves_them_on_the_po_and_each_item(po, units_reserve):
    campaign, small, medium, large = po
    outcome = _reserve_outcome(units_reserve, campaign, {small: 2, medium: 3})
    assert outcome == {
        "terms": _terms(campaign),
        "prices": {small.pk: 100_000, medium.pk: 110_000},
        "sold_out": False,
        "campaign_reserved": 6,
        "items_reserved": {small.pk: 3, medium.pk: 3, large.pk: 0},
    }
    assert (
        outcome["terms"]["per_buyer_limit"] == 9 and outcome["terms"]["balance_due_date"] == campaign.balance_due_date
    )


@pytest.mark.parametrize("units_reserve", RESERVE)
def test_the_last_units_of_an_item_say_it_sold_out(po, units_reserve):
    campaign, small, medium, large = po
    outcome = _reserve_outcome(units_reserve, campaign, {large: 2})
    assert (outcome["prices"], outcome["sold_out"]) == ({large.pk: 120_000}, True)
    assert outcome["items_reserved"][large.pk] == 2


@pytest.mark.parametrize("units_reserve", RESERVE)
def test_the_last_units_of_the_po_say_it_sold_out(po, units_reserve):
    campaign, small, medium, large = po
    outcome = _reserve_outcome(units_reserve, campaign, {medium: 19})
    assert (outcome["prices"], outcome["sold_out"], outcome["campaign_reserved"]) == ({medium.pk: 110_000}, True, 20)


@pytest.mark.parametrize("units_reserve", RESERVE)
def test_over_the_po_quota_nothing_is_reserved(po, units_reserve):
    campaign, small, medium, large = po
    outcome = _reserve_outcome(units_reserve, campaign, {medium: 18, small: 2})
    assert outcome["refused"] == "QuotaExceeded" and outcome["units_left"] == 19
    assert campaign.title in outcome["message"]
    assert (outcome["campaign_reserved"], outcome["items_reserved"]) == (
        1,
        {small.pk: 1, medium.pk: 0, large.pk: 0},
    )


@pytest.mark.parametrize("units_reserve", RESERVE)
def test_over_an_item_quota_that_item_is_left_out_and_the_others_reserved(po, units_reserve):
    """The caller sees the item missing from the prices, says why and rolls the order back."""
    campaign, small, medium, large = po
    outcome = _reserve_outcome(units_reserve, campaign, {small: 1, large: 3})
    assert (outcome["prices"], outcome["sold_out"]) == ({small.pk: 100_000}, False)
    assert outcome["items_reserved"] == {small.pk: 2, medium.pk: 0, large.pk: 0}


@pytest.mark.parametrize("switched_off", ["variant", "product"])
@pytest.mark.parametrize("units_reserve", RESERVE)
def test_an_item_whose_variant_or_product_is_switched_off_is_not_reserved(po, units_reserve, switched_off):
    campaign, small, medium, large = po
    if switched_off == "variant":
        Variant.objects.filter(pk=medium.variant_id).update(is_active=False)
    else:
        Product.objects.filter(pk=medium.variant.product_id).update(is_active=False)
    outcome = _reserve_outcome(units_reserve, campaign, {small: 1, medium: 1})
    expected = {small.pk: 100_000} if switched_off == "variant" else {}  # a product holds every size
    assert outcome["prices"] == expected
    assert outcome["items_reserved"][medium.pk] == 0


@pytest.mark.parametrize("units_reserve", RESERVE)
def test_an_item_of_another_po_is_not_reserved(po, units_reserve):
    campaign, small, medium, large = po
    other = campaign_with_products(products=1, options={"Ukuran": ["XL"]}).items.get()
    outcome = _reserve_outcome(units_reserve, campaign, {small: 1, other: 1})
    assert outcome["prices"] == {small.pk: 100_000}
    assert CampaignItem.objects.get(pk=other.pk).units_reserved == 0


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        ("before", "This PO has not opened yet; come back when it opens."),
        ("after", "This PO is closed; orders are no longer taken."),
        ("draft", "This PO is closed; orders are no longer taken."),
    ],
)
@pytest.mark.parametrize("units_reserve", RESERVE)
def test_a_po_not_open_reserves_nothing(po, units_reserve, moment, message):
    campaign, small, medium, large = po
    now = {
        "before": campaign.opens_at - datetime.timedelta(seconds=1),
        "after": campaign.closes_at,
        "draft": timezone.now(),
    }[moment]
    if moment == "draft":
        Campaign.objects.filter(pk=campaign.pk).update(stage=Campaign.Stage.DRAFT)
    outcome = _reserve_outcome(units_reserve, campaign, {small: 1}, now=now)
    assert outcome == {
        "refused": "CampaignNotOpen",
        "message": message,
        "units_left": None,
        "campaign_reserved": 1,
        "items_reserved": {small.pk: 1, medium.pk: 0, large.pk: 0},
    }


@pytest.mark.parametrize("units_reserve", RESERVE)
def test_without_quotas_every_unit_is_reserved(po, units_reserve):
    campaign, small, medium, large = po
    Campaign.objects.filter(pk=campaign.pk).update(quota_total=None)
    CampaignItem.objects.filter(campaign=campaign).update(quota=None)
    outcome = _reserve_outcome(units_reserve, campaign, {small: 400, medium: 500, large: 600})
    assert (outcome["prices"], outcome["sold_out"], outcome["campaign_reserved"]) == (
        {small.pk: 100_000, medium.pk: 110_000, large.pk: 120_000},
        False,
        1501,
    )


@ON_POSTGRESQL
@pytest.mark.parametrize(
    "change",
    [
        {},
        {"quota_total": 3, "units_reserved": 1},
        {"quota_total": 2, "units_reserved": 1},
        {"quota_total": None},
        {"stage": Campaign.Stage.TALLYING},
    ],
)
def test_both_reservations_give_the_same_outcome(po, change):
    """The same comparisons as above, made between the two directly, over a few more shapes of PO."""
    campaign, small, medium, large = po
    Campaign.objects.filter(pk=campaign.pk).update(**change)
    for wanted in ({small: 1, medium: 1}, {small: 5}, {large: 2, medium: 1}, {small: 1, large: 3}):
        orm = _reserve_outcome(reservation_orm.units_reserve, campaign, wanted)
        postgresql = _reserve_outcome(reservation_postgresql.units_reserve, campaign, wanted)
        assert orm == postgresql, wanted


def test_the_postgresql_rule_of_what_is_on_sale_is_the_models():
    """The statement's SQL of the variants on sale selects those of CampaignItem.objects.on_sale()."""
    campaign = campaign_with_products(products=3, options={"Ukuran": ["S", "M"]})
    products = list(Product.objects.filter(variants__campaign_items__campaign=campaign).distinct().order_by("pk"))
    Product.objects.filter(pk=products[0].pk).update(is_active=False)
    Variant.objects.filter(pk=products[1].variants.order_by("pk").first().pk).update(is_active=False)
    with connection.cursor() as cursor:
        cursor.execute(reservation_postgresql.ON_SALE_VARIANTS_SQL)
        on_sale_sql = {variant_id for (variant_id,) in cursor.fetchall()}
    items = CampaignItem.objects.filter(campaign=campaign)
    on_sale_orm = set(items.on_sale().values_list("variant_id", flat=True))
    assert len(on_sale_orm) == 3  # of 6: the first product's two and the second's first are off
    assert on_sale_sql & set(items.values_list("variant_id", flat=True)) == on_sale_orm


# The kode unik.


def _unpaid_orders_at(first_payment, codes, *, status=Order.Status.PENDING_PAYMENT):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]}, payment_terms="full_only")
    orders_at_amount(campaign, first_payment, codes, status=status)


@pytest.mark.parametrize("first_free", FIRST_FREE)
def test_the_first_free_of_a_few_codes_skips_those_unpaid_orders_use(first_free):
    _unpaid_orders_at(PRICE, [5, 6])
    _unpaid_orders_at(PRICE, [7], status=Order.Status.PAID)  # a paid order's amount is free again
    _unpaid_orders_at(PRICE + 1000, [7])  # another amount
    _order_id, code = first_free(first_payment_idr=PRICE, candidates=[5, 6, 7, 8], order_id=None)
    assert code == 7
    assert first_free(first_payment_idr=PRICE, candidates=[6, 5], order_id=None)[1] is None
    assert first_free(first_payment_idr=PRICE, candidates=[6, 5], order_id=42)[0] == 42  # an id kept across tries


@ON_POSTGRESQL
def test_on_postgresql_the_first_free_code_comes_with_the_order_id_from_the_sequence():
    order_id, _code = unique_code_postgresql.first_free(first_payment_idr=PRICE, candidates=[1], order_id=None)
    following, _code = unique_code_postgresql.first_free(first_payment_idr=PRICE, candidates=[1], order_id=None)
    assert following == order_id + 1


THREE_DIGIT, FOUR_DIGIT = (range(low, high + 1) for low, high in UNIQUE_CODE_TIERS)


@pytest.mark.parametrize("crowded", CROWDED)
def test_a_crowded_amount_finds_the_one_three_digit_code_left(crowded):
    _unpaid_orders_at(PRICE, [code for code in THREE_DIGIT if code != 503])
    assert crowded(first_payment_idr=PRICE, scan_three_digit=True, four_digit=[1500]) == 503
    # Known to be all taken, the three-digit codes are not read: a few four-digit ones are tried first.
    assert crowded(first_payment_idr=PRICE, scan_three_digit=False, four_digit=[1500]) == 1500


@pytest.mark.parametrize("crowded", CROWDED)
def test_with_every_three_digit_code_taken_a_crowded_amount_takes_a_four_digit_one(crowded):
    _unpaid_orders_at(PRICE, [*THREE_DIGIT, 1500, 1501])
    assert crowded(first_payment_idr=PRICE, scan_three_digit=True, four_digit=[1500, 2000]) == 2000
    # The few tried all taken: any four-digit code left.
    code = crowded(first_payment_idr=PRICE, scan_three_digit=True, four_digit=[1500, 1501])
    assert code in FOUR_DIGIT and code not in (1500, 1501)


@pytest.mark.parametrize("crowded", CROWDED)
def test_with_every_code_taken_a_crowded_amount_has_none(crowded):
    _unpaid_orders_at(PRICE, [*THREE_DIGIT, *(code for code in FOUR_DIGIT if code != 7777)])
    assert crowded(first_payment_idr=PRICE, scan_three_digit=True, four_digit=[1000]) == 7777
    _unpaid_orders_at(PRICE, [7777])
    assert crowded(first_payment_idr=PRICE, scan_three_digit=True, four_digit=[1000]) is None
