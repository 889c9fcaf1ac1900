"""After closing, the seller need not wait a day for unpaid orders that will never be paid: the production
page lists the orders holding the tally back and cancels the ticked ones in one step, with a reason and a
confirmation; then the tally can be taken. The page also shows each order's own note beside the tally."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from campaigns.models import Campaign, CampaignItem
from fulfilment.exceptions import StepRefused
from fulfilment.models import ProductionTally
from fulfilment.services import campaign_close_due, campaign_production_start
from fulfilment.services.production import campaign_unpaid_orders_cancel
from orders.checkout import LineRequest, order_place
from orders.models import Message, Order
from payments.models import Payment, Refund
from payments.services import payment_confirm
from tests.factories import buyer, campaign_with_products, place_order
from tests.payments.conftest import order_fresh, submit_transfer

pytestmark = pytest.mark.django_db
Status = Order.Status
REASON = "Tidak dibayar sampai produksi dimulai."


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def tallying():
    """A PO closed two hours ago that gives unpaid orders a day: one paid order, two unpaid, one unpaid
    with a part paid (30,000 confirmed of its DP), and one unpaid whose proof waits for the seller's check."""
    now = timezone.now()
    campaign = campaign_with_products(
        products=1,
        options={"Ukuran": ["S", "M"]},
        opens_at=now - datetime.timedelta(days=5),
        closes_at=now + datetime.timedelta(days=1),
        dp_percent=50,
        unpaid_expiry_hours=24,
    )
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=100_000)
    item = campaign.items.first()

    def order(phone, plan="full"):
        return place_order(campaign, [(item, 1)], plan=plan, phone=phone, email=f"{phone}@example.com")

    paid = order("081200000001")
    payment_confirm(payment_id=submit_transfer(paid, paid.first_transfer_idr).pk, now=now)
    unpaid = [order("081200000002"), order("081200000003")]
    partly = order("081200000004", plan="dp")
    payment_confirm(payment_id=submit_transfer(partly, 30_000).pk, now=now)
    proof_waiting = order("081200000005")
    submit_transfer(proof_waiting, proof_waiting.first_transfer_idr)
    closes = now - datetime.timedelta(hours=2)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=closes - datetime.timedelta(days=7), closes_at=closes)
    campaign_close_due(now=now)
    assert Campaign.objects.get(pk=campaign.pk).stage == Campaign.Stage.TALLYING
    return {"campaign": campaign, "paid": paid, "unpaid": unpaid, "partly": partly, "proof_waiting": proof_waiting}


def _url(campaign):
    return reverse("admin:campaigns_campaign_production", args=[campaign.pk])


def _english_client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_seller_cancels_the_unpaid_orders_in_one_step_and_then_takes_the_tally(seller_client, tallying):
    client, campaign = _english_client(seller_client), tallying["campaign"]
    unpaid, partly, waiting = tallying["unpaid"], tallying["partly"], tallying["proof_waiting"]
    cancellable = [*unpaid, partly]

    # The page names the orders holding the tally back, the cancellable ones ticked, the proof to check linked.
    page = client.get(_url(campaign)).content.decode()
    assert "data-blocker" in page and "start production</button>" in page.replace("\n", "")
    for order in cancellable:
        assert f'data-holdup="{order.number}"' in page
        assert f'name="order" value="{order.pk}" checked' in page
    assert f'data-holdup="{waiting.number}"' in page
    assert f'name="order" value="{waiting.pk}"' not in page
    assert f"?status=pending&amp;q={waiting.number}" in page
    assert f'data-holdup="{tallying["paid"].number}"' not in page

    # First post: a page to confirm, listing what will be cancelled; nothing is cancelled yet.
    ticked = [order.pk for order in cancellable] + [waiting.pk]
    confirm = client.post(_url(campaign), {"action": "cancel_unpaid", "order": ticked, "reason": REASON})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "data-confirm-cancel" in html and escape(REASON) in html
    assert [order.number for order in cancellable if f'data-cancel="{order.number}"' in html] == [
        order.number for order in cancellable
    ]
    assert f'data-cancel="{waiting.number}"' not in html
    assert "Yes, cancel these 3 orders" in html
    assert Order.objects.filter(pk__in=ticked, status=Status.PENDING_PAYMENT).count() == 4

    # The confirmation: one service cancels them; each buyer gets the usual message; the part paid is refunded.
    done = client.post(
        _url(campaign),
        {"action": "cancel_unpaid_confirmed", "order": [order.pk for order in cancellable], "reason": REASON},
        follow=True,
    )
    assert _messages(done) == ["3 orders cancelled; their buyers are told."]
    for order in cancellable:
        fresh = order_fresh(order)
        assert fresh.status == Status.CANCELLED
        assert fresh.events.last().reason == REASON
        assert fresh.events.last().actor.username == "penjual"
        assert Message.objects.filter(order=order, kind="order_cancelled").count() == 1
    assert Refund.objects.get(order=partly).amount_idr == 30_000
    assert order_fresh(waiting).status == Status.PENDING_PAYMENT
    assert order_fresh(tallying["paid"]).status == Status.PAID

    # The proof still blocks; once the seller decides on it, the tally can be taken.
    assert "Transfer proofs are waiting for your check" in done.content.decode()
    payment_confirm(payment_id=Payment.objects.get(order=waiting).pk, now=timezone.now())
    page = client.get(_url(campaign)).content.decode()
    assert "data-blocker" not in page
    client.post(_url(campaign), {"action": "start"})
    assert Campaign.objects.get(pk=campaign.pk).stage == Campaign.Stage.IN_PRODUCTION
    assert ProductionTally.objects.get(campaign=campaign).orders == 2


def test_without_a_reason_or_a_ticked_order_nothing_is_cancelled(seller_client, tallying):
    client, campaign = _english_client(seller_client), tallying["campaign"]
    ids = [order.pk for order in tallying["unpaid"]]
    for fields in ({"order": ids, "reason": "  "}, {"reason": REASON}):
        for action in ("cancel_unpaid", "cancel_unpaid_confirmed"):
            response = client.post(_url(campaign), {"action": action, **fields}, follow=True)
            assert _messages(response) == ["Tick the orders to cancel and give a reason."]
    assert Order.objects.filter(pk__in=ids, status=Status.PENDING_PAYMENT).count() == 2


def test_an_order_paid_between_the_page_and_the_confirmation_is_left_alone(seller_client, tallying):
    client, campaign = _english_client(seller_client), tallying["campaign"]
    late, other = tallying["unpaid"]
    payment_confirm(payment_id=submit_transfer(late, late.first_transfer_idr).pk, now=timezone.now())
    response = client.post(
        _url(campaign),
        {"action": "cancel_unpaid_confirmed", "order": [late.pk, other.pk], "reason": REASON},
        follow=True,
    )
    assert _messages(response) == ["1 order cancelled; its buyer is told."]
    assert (order_fresh(late).status, order_fresh(other).status) == (Status.PAID, Status.CANCELLED)


def test_a_staff_member_who_may_not_change_orders_cannot_cancel_them(client, tallying):
    campaign = tallying["campaign"]
    staff = get_user_model().objects.create_user("gudang", password="rahasia-gudang-123", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_campaign", "change_campaign", "view_order"])
    )
    client.force_login(staff)
    page = client.get(_url(campaign)).content.decode()
    assert 'name="order"' not in page
    response = client.post(
        _url(campaign),
        {"action": "cancel_unpaid_confirmed", "order": [tallying["unpaid"][0].pk], "reason": REASON},
    )
    assert response.status_code == 403
    assert order_fresh(tallying["unpaid"][0]).status == Status.PENDING_PAYMENT


def test_the_service_cancels_only_a_tallying_pos_unpaid_orders(tallying):
    campaign, unpaid = tallying["campaign"], tallying["unpaid"]
    with pytest.raises(StepRefused, match="Give a reason"):
        campaign_unpaid_orders_cancel(
            campaign=campaign, order_ids=[unpaid[0].pk], reason="", actor=None, now=timezone.now()
        )
    # An order of another PO, or a paid one, is never touched through this PO.
    other = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    stranger = place_order(other, [(other.items.first(), 1)], plan="full", phone="081299999999")
    cancelled = campaign_unpaid_orders_cancel(
        campaign=campaign,
        order_ids=[unpaid[0].pk, stranger.pk, tallying["paid"].pk],
        reason=REASON,
        actor=None,
        now=timezone.now(),
    )
    assert [order.pk for order in cancelled] == [unpaid[0].pk]
    assert order_fresh(stranger).status == Status.PENDING_PAYMENT

    Payment.objects.filter(order=tallying["proof_waiting"]).update(status=Payment.Status.REJECTED)
    Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() - datetime.timedelta(days=3))
    campaign_production_start(campaign=campaign, now=timezone.now())
    with pytest.raises(StepRefused, match="tallying"):
        campaign_unpaid_orders_cancel(
            campaign=campaign, order_ids=[stranger.pk], reason=REASON, actor=None, now=timezone.now()
        )


def test_the_blocker_counts_one_order_in_the_singular(seller_client, tallying):
    client, campaign = _english_client(seller_client), tallying["campaign"]
    Order.objects.filter(pk__in=[tallying["unpaid"][1].pk, tallying["partly"].pk]).update(status=Status.EXPIRED)
    Payment.objects.filter(order=tallying["proof_waiting"]).update(status=Payment.Status.REJECTED)
    Order.objects.filter(pk=tallying["proof_waiting"].pk).update(status=Status.EXPIRED)
    page = client.get(_url(campaign)).content.decode()
    assert "1 unpaid order may still pay until" in page


def _order_with_notes(campaign, phone, *, line_note: str, order_note: str) -> Order:
    item = campaign.items.first()
    order = order_place(
        campaign_id=campaign.pk,
        lines=[LineRequest(item.pk, 1, note=line_note)],
        buyer=buyer(phone=phone, email=f"{phone}@example.com", note=order_note),
        payment_plan="full",
        terms_accepted=True,
        now=timezone.now(),
    )
    payment_confirm(payment_id=submit_transfer(order, order.first_transfer_idr).pk, now=timezone.now())
    return order


def test_the_production_page_shows_each_orders_own_note_in_a_fixed_number_of_queries(seller_client):
    client = _english_client(seller_client)
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]}, quota_total=None)
    with_both = _order_with_notes(
        campaign, "081211111111", line_note="Bordir: Sekar", order_note="kirim setelah tgl 20"
    )
    only_order = _order_with_notes(campaign, "081211111112", line_note="", order_note="<b>jangan dilipat</b>")
    for number in range(3):
        _order_with_notes(campaign, f"08122222222{number}", line_note=f"Nama {number}", order_note="")
    closes = timezone.now() - datetime.timedelta(days=3)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=closes - datetime.timedelta(days=7), closes_at=closes)
    campaign_close_due(now=timezone.now())
    campaign_production_start(campaign=campaign, now=timezone.now())

    with CaptureQueriesContext(connection) as few:
        page = client.get(_url(campaign)).content.decode()
    # The line's note with its order's own note beside it, then every order's own note.
    assert f"{with_both.number} · 1× · Bordir: Sekar · <em>order note: kirim setelah tgl 20</em>" in page
    assert f"<li data-order-note>{with_both.number} · kirim setelah tgl 20</li>" in page
    assert f"<li data-order-note>{only_order.number} · {escape('<b>jangan dilipat</b>')}</li>" in page
    assert page.count("<li data-order-note>") == 2

    # More notes, the same queries: no query per order or per note.
    Order.objects.filter(campaign=campaign, note="").update(note="catatan")
    client.post(_url(campaign), {"action": "recompute"})
    with CaptureQueriesContext(connection) as more:
        page = client.get(_url(campaign)).content.decode()
    assert page.count("<li data-order-note>") == 5
    assert len(more) == len(few)
