"""The per-buyer limit counts one Gmail mailbox however its address is written (dots, a +tag, capitals,
googlemail.com); at any other domain the address as written, in lower case."""

import importlib

import pytest
from django.apps import apps as django_apps

from campaigns.models import Campaign
from orders.checkout import email_key
from orders.exceptions import BuyerLimitExceeded
from orders.models import Order
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = campaign_with_products(products=1, options={}, per_buyer_limit=2)
    assert Campaign.objects.get(pk=campaign.pk).per_buyer_limit == 2
    return campaign


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("s.iti+po@gmail.com", "siti@gmail.com"),
        ("siti@googlemail.com", "siti@gmail.com"),
        (" SITI@gmail.com ", "siti@gmail.com"),
        ("S.i.T.i+po+lagi@GoogleMail.com", "siti@gmail.com"),
        ("Siti+po@Toko.co.id", "siti+po@toko.co.id"),
        ("s.iti@yahoo.co.id", "s.iti@yahoo.co.id"),
    ],
)
def test_the_key_of_an_address(address, key):
    assert email_key(address) == key


def test_three_spellings_of_one_gmail_mailbox_are_one_buyer(campaign):
    item = campaign.items.get()
    place_order(campaign, [(item, 1)], email="s.iti+po@gmail.com", phone="081299000001")
    place_order(campaign, [(item, 1)], email="siti@googlemail.com", phone="081299000002")
    with pytest.raises(BuyerLimitExceeded):
        place_order(campaign, [(item, 1)], email="SITI@gmail.com", phone="081299000003")
    assert set(Order.objects.values_list("email_key", flat=True)) == {"siti@gmail.com"}


def test_a_plus_address_elsewhere_is_another_buyer(campaign):
    item = campaign.items.get()
    place_order(campaign, [(item, 2)], email="siti@toko.co.id", phone="081299000001")
    place_order(campaign, [(item, 2)], email="siti+po@toko.co.id", phone="081299000002")
    with pytest.raises(BuyerLimitExceeded):
        place_order(campaign, [(item, 1)], email="Siti@Toko.co.id", phone="081299000003")


def test_the_migration_writes_again_the_keys_that_changed(campaign):
    item = campaign.items.get()
    kept = place_order(campaign, [(item, 1)], email="S.iti+po@gmail.com", phone="081299000001")
    tagged = place_order(campaign, [(item, 1)], email="siti+po@toko.co.id", phone="081299000002")
    Order.objects.filter(pk=tagged.pk).update(email_key="siti@toko.co.id")  # as the +tag rule left it before
    migration = importlib.import_module("orders.migrations.0017_email_key_gmail_only")
    migration.email_keys_recompute(django_apps, None)
    keys = dict(Order.objects.values_list("pk", "email_key"))
    assert keys == {kept.pk: "siti@gmail.com", tagged.pk: "siti+po@toko.co.id"}
