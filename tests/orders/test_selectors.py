"""The checkout's first read: the PO as the ORM reads it, with its lines' units."""

import datetime

import pytest
from django.db import connection

from campaigns.models import Campaign, CampaignItem
from orders.selectors import checkout_campaign_and_units
from tests.factories import campaign_with_products

pytestmark = pytest.mark.django_db


def _stored(row) -> dict:
    return {field.attname: getattr(row, field.attname) for field in type(row)._meta.concrete_fields}


def test_the_checkout_reads_the_po_as_the_orm_does():
    campaign = campaign_with_products(
        products=1, options={"Ukuran": ["S", "M"]}, balance_due_date=datetime.date(2027, 2, 1)
    )
    Campaign.objects.filter(pk=campaign.pk).update(image="campaigns/po.jpg", image_rendition_widths=[320, 640])
    small, medium = campaign.items.order_by("position")
    CampaignItem.objects.filter(pk=small.pk).update(quota=5, units_reserved=2)

    read, units = checkout_campaign_and_units(slug=campaign.slug, item_ids=[small.pk, medium.pk, 999_999])

    assert _stored(read) == _stored(Campaign.objects.get(pk=campaign.pk))
    assert read.image_rendition_widths == [320, 640] and read.image.name == "campaigns/po.jpg"
    assert {pk: (item.quota, item.units_reserved) for pk, item in units.items()} == {
        small.pk: (5, 2),
        medium.pk: (None, 0),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements")
            assert "checkout_campaign" in {name for (name,) in cursor.fetchall()}
    assert checkout_campaign_and_units(slug="tidak-ada", item_ids=[small.pk]) == (None, {})
