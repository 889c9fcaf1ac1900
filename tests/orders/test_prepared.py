"""The locked UPDATEs, prepared once per PostgreSQL connection, outlive a rolled-back order and are
prepared again on a new connection."""

import pytest
from django.db import connection

from campaigns.models import CampaignItem
from orders.exceptions import QuotaExceeded
from orders.models import Order
from tests.factories import campaign_with_products, place_order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="statements are prepared on PostgreSQL only"),
]


def _prepared_here() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def test_orders_go_on_after_a_refused_one_and_on_a_new_connection():
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M", "L"]})
    small, medium, large = campaign.items.order_by("position")
    CampaignItem.objects.filter(pk=small.pk).update(quota=2)
    place_order(campaign, [(small, 1), (medium, 2)], phone="081200000001", email="a@example.com")
    assert {"campaign_reserve", "items_reserve"} <= _prepared_here()

    with pytest.raises(QuotaExceeded):  # rolled back after the prepared UPDATEs ran
        place_order(campaign, [(small, 2), (large, 1)], phone="081200000002", email="b@example.com")
    place_order(campaign, [(small, 1), (large, 3)], phone="081200000003", email="c@example.com")

    connection.close()
    assert _prepared_here() == set()  # a new session has none
    place_order(campaign, [(medium, 1)], phone="081200000004", email="d@example.com")
    assert {"campaign_reserve", "items_reserve"} <= _prepared_here()

    units = dict(CampaignItem.objects.filter(campaign=campaign).values_list("pk", "units_reserved"))
    assert units == {small.pk: 2, medium.pk: 3, large.pk: 3}
    assert Order.objects.count() == 3
    campaign.refresh_from_db()
    assert campaign.units_reserved == 8
