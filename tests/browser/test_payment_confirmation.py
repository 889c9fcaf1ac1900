import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from campaigns.demo import demo_seller_ensure
from campaigns.models import CampaignItem
from orders.models import BankAccount, Order
from tests.factories import campaign_with_products, place_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def order(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    BankAccount.objects.create(bank_name="BCA", account_number="8730123456", account_holder="Sekar Batik")
    campaign = campaign_with_products(products=1, options={"Ukuran": ["M"]}, dp_percent=50)
    CampaignItem.objects.filter(campaign=campaign).update(price_idr=300_000)
    return place_order(campaign, [(campaign.items.get(), 2)], plan="dp")


def _screenshot_png(path):
    buffer = io.BytesIO()
    Image.new("RGB", (360, 640), "#0060af").save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_buyer_uploads_a_proof_seller_confirms_buyer_sees_dp_paid_and_the_balance(
    phone, browser, live_server, order, tmp_path
):
    phone.goto(order.get_absolute_url())
    phone.fill("#id_amount_idr", str(order.first_transfer_idr))
    phone.fill("#id_from_bank", "BCA")
    phone.fill("#id_from_account_name", "Siti Rahmawati")
    phone.set_input_files("#id_proof", str(_screenshot_png(tmp_path / "bukti transfer.png")))
    phone.locator("form[action$='/bayar/'] button[type=submit]").click()
    expect(phone.locator("[data-payment-status='pending']")).to_be_visible()

    demo_seller_ensure(password="rahasia-penjual-123")
    seller = browser.new_context(base_url=live_server.url).new_page()
    seller.goto("/admin/login/")
    seller.fill("#id_username", "penjual")
    seller.fill("#id_password", "rahasia-penjual-123")
    seller.locator("input[type=submit]").click()
    seller.goto("/admin/payments/payment/")
    proof = seller.locator("td.field-preview img")
    expect(proof).to_be_visible()
    assert seller.evaluate("(image) => image.naturalWidth", proof.element_handle()) == 360
    seller.locator("input[name=_selected_action]").check()
    seller.select_option("select[name=action]", "confirm_payments")
    seller.locator("button[name=index]").click()
    expect(seller.locator("ul.messagelist li.success")).to_be_visible()
    seller.context.close()

    phone.reload()
    order.refresh_from_db()
    assert order.status == Order.Status.DP_PAID
    expect(phone.locator("[data-order-status]")).to_have_text("DP sudah dibayar")
    balance = 600_000 - order.first_payment_idr  # the kode unik pays no part of the balance
    expect(phone.locator("[data-balance-amount]")).to_have_text(f"Rp{balance:,}".replace(",", "."))
    expect(phone.locator("[data-payment-status='confirmed']")).to_be_visible()
