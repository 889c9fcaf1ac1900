"""A buyer asks to be reminded of a coming PO: once per number and PO, a second time updates what they
said, the number is checked as at checkout, one client cannot fill the list, and only a PO that has not
opened takes it."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from campaigns.models import Campaign
from demand.exceptions import InterestCapReached, InterestInvalid, InterestNotTaken
from demand.models import Interest, InterestLine
from demand.services import interest_register
from tests.demand.conftest import register, sizes
from tests.factories import campaign_with_products

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _wanted(interest: Interest) -> dict[str, int]:
    return {str(line.campaign_item.variant): line.quantity for line in interest.lines.select_related("campaign_item")}


def test_a_buyer_leaves_a_number_an_email_and_what_they_want(coming):
    small, medium = sizes(coming)
    interest, created = interest_register(
        campaign=coming,
        phone="0812 3456 7890",
        email=" Siti@Example.COM ",
        wanted={small.pk: 2, medium.pk: 1},
        client_key="klien-a",
        language="en",
        now=timezone.now(),
    )
    assert created
    interest.refresh_from_db()
    assert (interest.phone, interest.email, interest.language, interest.client_key) == (
        "+6281234567890",
        "siti@example.com",
        "en",
        "klien-a",
    )
    assert interest.kind == Interest.Kind.OPENING and len(interest.token) >= 40
    assert (interest.notified_at, interest.stopped_at) == (None, None)
    assert {line.campaign_item_id: line.quantity for line in interest.lines.all()} == {small.pk: 2, medium.pk: 1}


def test_the_same_number_again_updates_the_email_and_the_variants_and_stays_one(coming):
    small, medium = sizes(coming)
    first = register(coming, "081234567890", email="lama@example.com", wanted={small.pk: 2})
    again, created = interest_register(
        campaign=coming,
        phone="+62 812-3456-7890",
        email="baru@example.com",
        wanted={medium.pk: 3},
        client_key="klien-b",
        now=timezone.now(),
    )
    assert not created and again.pk == first.pk
    assert Interest.objects.count() == 1
    again.refresh_from_db()
    assert again.email == "baru@example.com"
    assert {line.campaign_item_id: line.quantity for line in again.lines.all()} == {medium.pk: 3}
    # Asked once more with nothing but the number: what they said before stays.
    register(coming, "0812-3456-7890")
    again.refresh_from_db()
    assert again.email == "baru@example.com" and again.lines.count() == 1


def test_a_number_that_is_not_an_indonesian_mobile_is_refused_with_why(coming):
    for number in ("12345", "+44 20 7946 0958", "0274 123456", "bukan nomor"):
        with pytest.raises(InterestInvalid, match="Give an Indonesian WhatsApp number"):
            register(coming, number)
    assert not Interest.objects.exists()


def test_a_variant_of_another_po_or_a_silly_quantity_is_refused(coming):
    other = sizes(campaign_with_products(products=1, options={"Ukuran": ["L"]}))[0]
    with pytest.raises(InterestInvalid, match="not sold in this PO"):
        register(coming, wanted={other.pk: 1})
    with pytest.raises(InterestInvalid, match="from 1 to 999"):
        register(coming, wanted={sizes(coming)[0].pk: 0})
    assert not Interest.objects.exists() and not InterestLine.objects.exists()


def test_one_client_may_leave_only_so_many_numbers_in_a_po(coming, settings):
    settings.INTEREST_PER_CLIENT = 3
    for number in range(3):
        register(coming, f"0812000000{number:02d}", client="satu-alamat")
    with pytest.raises(InterestCapReached, match="3 numbers"):
        register(coming, "081200000099", client="satu-alamat")
    # A number it already left may still be updated, and another client is not counted with it.
    register(coming, "081200000001", client="satu-alamat", email="ganti@example.com")
    register(coming, "081200000099", client="alamat-lain")
    assert Interest.objects.count() == 4


@pytest.mark.parametrize(
    ("opens", "closes", "stage", "says"),
    [
        (-1, 5, Campaign.Stage.PUBLISHED, "This PO is open: order now."),
        (-10, -2, Campaign.Stage.PUBLISHED, "This PO has closed; reminders are no longer taken."),
        (-10, -2, Campaign.Stage.IN_PRODUCTION, "This PO has closed; reminders are no longer taken."),
        (2, 10, Campaign.Stage.DRAFT, "This PO is not published."),
    ],
)
def test_only_a_published_po_not_open_yet_takes_reminders(coming, opens, closes, stage, says):
    now = timezone.now()
    Campaign.objects.filter(pk=coming.pk).update(
        opens_at=now + datetime.timedelta(days=opens), closes_at=now + datetime.timedelta(days=closes), stage=stage
    )
    with pytest.raises(InterestNotTaken) as refused:
        register(coming)
    assert str(refused.value) == says
    assert not Interest.objects.exists()


def test_the_database_keeps_one_row_per_number_and_po_and_numbers_as_kept(coming):
    interest = register(coming)
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Interest.objects.create(campaign=coming, phone=interest.phone, created_at=now, updated_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interest.objects.create(campaign=coming, phone="081234567891", created_at=now, updated_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interest.objects.create(
            campaign=coming, phone="+6281234567892", email="Besar@Example.com", created_at=now, updated_at=now
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        InterestLine.objects.create(interest=interest, campaign_item=sizes(coming)[0], quantity=0)
