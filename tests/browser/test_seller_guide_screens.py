"""The seller's guide (docs/seller-guide.md) shows the admin as the seller sees it, in Indonesian: this test loads
the demo shop, walks through the pages the guide shows, checks each shows what the guide says (a heading, a
button or an action found by its visible label, as the translation catalogue gives it), and takes each picture.

The pictures go to a temporary folder; with GUIDE_SCREENSHOTS=1 they replace the guide's own in docs/img/:

    GUIDE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_seller_guide_screens.py
"""

import datetime
import io
import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Count
from django.urls import re_path, reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.views.static import serve
from PIL import Image, ImageDraw
from playwright.sync_api import expect

import preorder_shop.urls
from campaigns.models import Campaign, CampaignUpdate
from catalog.models import Product, ShopProfile
from fulfilment.models import ProductionTally
from fulfilment.services import campaign_close_due, campaign_production_due
from orders.models import BankAccount, Message, Order
from orders.outbox import messages_deliver_due
from payments.models import Payment, Refund
from payments.services import payment_submit

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
GUIDE_IMAGES = ROOT / "docs" / "img"
WIDTH, HEIGHT = 1280, 800
IMAGE_MAX_BYTES = 200 * 1024
PASSWORD = "rahasia-pemilik-123"
Stage = Campaign.Stage


def _media(request, path):
    from django.conf import settings  # noqa: PLC0415 - read per request: the test moves MEDIA_ROOT

    return serve(request, path, document_root=settings.MEDIA_ROOT)


# The shop's URLs, and the product pictures served as the proxy serves them in production.
urlpatterns = [*preorder_shop.urls.urlpatterns, re_path(r"^media/(?P<path>.*)$", _media)]


def shown(text: str, **params) -> str:
    """The text as the admin shows it: the Indonesian of the catalogue, or the English until it has one."""
    with translation.override("id"):
        translated = gettext(text)
    return translated % params if params else translated


def shown_count(singular: str, plural: str, count: int) -> str:
    with translation.override("id"):
        return ngettext(singular, plural, count) % {"counter": count}


def label_of(model, plural: bool = False) -> str:
    with translation.override("id"):
        return str(model._meta.verbose_name_plural if plural else model._meta.verbose_name)


class Guide:
    """The seller's browser and where its pictures go."""

    def __init__(self, page, folder: Path):
        self.page = page
        self.folder = folder
        self.taken: list[Path] = []

    def open(self, url: str):
        self.page.goto(url)
        self.page.evaluate("window.scrollTo(0, 0)")

    def action(self, text: str):
        """The changelist's action of this label (its <option>)."""
        return self.page.locator("select[name=action] option", has_text=shown(text))

    def action_field(self, name: str, label: str):
        """A field of the changelist's action bar (a reason, a courier ...), under its label."""
        label_element = self.page.locator("#changelist-form .actions label", has=self.page.locator(f"[name={name}]"))
        expect(label_element).to_contain_text(shown(label))
        return label_element.locator(f"[name={name}]")

    def shoot(self, name: str, *, top=None, bottom=None, most: int = 1100):
        """A picture 1280 wide from the top of `top` (or the page's) to the bottom of `bottom` (or the window's)."""
        self.page.wait_for_function("() => [...document.images].every(image => image.complete)")
        self.page.evaluate("window.scrollTo(0, 0)")
        start = max(0, int(top.bounding_box()["y"]) - 12) if top is not None else 0
        end = int(_bottom(bottom) + 16) if bottom is not None else start + HEIGHT
        height = min(end - start, most)
        raw = self.folder / f"{name}.raw.png"
        self.page.screenshot(path=str(raw), full_page=True, clip={"x": 0, "y": start, "width": WIDTH, "height": height})
        target = self.folder / f"{name}.png"
        with Image.open(raw) as picture:
            picture.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE).save(target, optimize=True)
        raw.unlink()
        assert target.stat().st_size < IMAGE_MAX_BYTES, f"{name}.png is {target.stat().st_size // 1024} KB"
        self.taken.append(target)


def _bottom(locator) -> float:
    box = locator.bounding_box()
    return box["y"] + box["height"]


def _transfer_screenshot(amount_idr: int) -> SimpleUploadedFile:
    """What a buyer sends: their banking app's screen after the transfer."""
    picture = Image.new("RGB", (360, 640), "#ffffff")
    draw = ImageDraw.Draw(picture)
    draw.rectangle([0, 0, 360, 80], fill="#0060af")
    draw.text((20, 30), "m-BCA  Transfer Berhasil", fill="#ffffff")
    draw.text((20, 140), f"Rp {amount_idr:,}".replace(",", "."), fill="#000000")
    draw.text((20, 180), "Ke: 8730123456 Sekar Batik Nusantara", fill="#000000")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return SimpleUploadedFile("bukti.png", buffer.getvalue(), content_type="image/png")


def _bca_statement(credits: list[tuple[datetime.date, int, str]]) -> bytes:
    """A KlikBCA statement export: the account's header, one line per credit, a bank fee (money out)."""
    lines = "".join(
        f"'{day:%d/%m/%Y},TRSF E-BANKING CR {number:04d}/FTSCY/WS95031 {name},'0000,{amount}.00,CR,9000000.00\n"
        for number, (day, amount, name) in enumerate(credits)
    )
    today = timezone.localdate()
    return (
        "No. Rekening,=,'8730123456\nNama,=,SEKAR BATIK NUSANTARA\nMata Uang,=,IDR\n\n"
        "Tanggal,Keterangan,Cabang,Jumlah,,Saldo\n"
        f"{lines}'{today:%d/%m/%Y},BIAYA ADM,'0000,15000.00,DB,8985000.00\n"
        "Saldo Awal,=,0.00\nKredit,=,0.00\nDebet,=,15000.00\nSaldo Akhir,=,0.00\n"
    ).encode()


def _campaign(description: str, queryset) -> Campaign:
    campaign = queryset.first()
    assert campaign is not None, f"The demo shop (manage.py demo_setup) has no {description}; the guide shows one."
    return campaign


@pytest.fixture
def demo_shop(settings, tmp_path):
    """The demo shop as `dev.py start` shows it a minute after starting: loaded, the closing jobs run once, the
    e-mails sent."""
    settings.VAR_DIR = tmp_path / "var"  # the demo seller's password file, away from the developer's own
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.ROOT_URLCONF = __name__
    output = io.StringIO()
    call_command("demo_setup", stdout=output)
    assert "Seller login: penjual / " in output.getvalue()
    now = timezone.now()
    campaign_close_due(now=now)
    campaign_production_due(now=now)
    messages_deliver_due(now=now)  # as the worker does: the e-mails are sent


@pytest.fixture
def guide(browser, live_server, demo_shop, tmp_path):
    get_user_model().objects.create_superuser("pemilik", "pemilik@example.com", PASSWORD)
    folder = GUIDE_IMAGES if os.environ.get("GUIDE_SCREENSHOTS") == "1" else tmp_path / "img"
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, base_url=live_server.url)
    # The admin's menu on the left folds away, as its « button does, so each picture shows the page itself.
    context.add_init_script("window.localStorage.setItem('django.admin.navSidebarIsOpen', 'false');")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield Guide(page, folder)
    context.close()


def test_the_seller_guide_pages_show_what_the_guide_says(guide):
    log_in(guide)
    shop_profile(guide)
    product_and_variants(guide)
    po_form_and_postage(guide)
    remind_me_before_opening(guide)
    publish_and_share(guide)
    orders_while_open(guide)
    payments_and_the_bank_statement(guide)
    messages_to_buyers(guide)
    production(guide)
    delays(guide)
    postage_and_shipping(guide)
    refunds(guide)
    pictures = {path.name for path in guide.taken}
    in_the_guide = (ROOT / "docs" / "seller-guide.md").read_text(encoding="utf-8")
    assert all(f"(img/{name})" in in_the_guide for name in pictures), "a picture the guide does not show"


def log_in(guide: Guide):
    page = guide.page
    guide.open("/admin/login/")
    page.locator("#id_username").fill("pemilik")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=shown("Log in")).click()
    expect(page.get_by_role("heading", name=shown("Run your pre-orders"))).to_be_visible()
    for app in ("Catalog", "Campaigns", "Orders", "Payments"):
        expect(page.locator("#content-main a.section").get_by_text(shown(app), exact=True)).to_be_visible()
    guide.shoot("admin-home", bottom=page.locator("#content-main"), most=1300)


def shop_profile(guide: Guide):
    page = guide.page
    profile = ShopProfile.objects.first()
    assert profile is not None, "The demo shop has no shop profile; the guide shows it."
    guide.open(reverse("admin:catalog_shopprofile_change", args=[profile.pk]))
    for field in ("legal or owner name", "returns and exchanges", "how a dispute is settled"):
        expect(page.get_by_label(capfirst(shown(field)))).to_be_visible()
    guide.shoot("shop-profile", bottom=page.locator(".submit-row").last)


def product_and_variants(guide: Guide):
    page = guide.page
    product = Product.objects.annotate(variant_total=Count("variants")).order_by("-variant_total", "pk").first()
    guide.open(reverse("admin:catalog_product_change", args=[product.pk]))
    expect(page.get_by_label(shown("Create the variant grid"))).to_be_visible()
    options, variants = page.locator("div.inline-group").nth(1), page.locator("div.inline-group").nth(2)
    expect(
        variants.get_by_role("heading", name=capfirst(label_of(product.variants.model, plural=True)))
    ).to_be_visible()
    expect(variants.locator("tbody tr.has_original")).to_have_count(product.variant_total)
    guide.shoot("product-variants", top=options, bottom=variants)


def _open_po() -> Campaign:
    now = timezone.now()
    open_now = Campaign.objects.filter(stage=Stage.PUBLISHED, opens_at__lte=now, closes_at__gt=now)
    return _campaign(
        "open PO with a minimum goal and a down payment",
        open_now.filter(minimum_goal_units__isnull=False)
        .exclude(payment_terms=Campaign.PaymentTerms.FULL_ONLY)
        .annotate(order_total=Count("orders"))
        .order_by("-order_total", "pk"),
    )


def po_form_and_postage(guide: Guide):
    page = guide.page
    guide.open(reverse("admin:campaigns_campaign_add"))
    expect(page.get_by_role("heading", name=shown("Add %s") % label_of(Campaign))).to_be_visible()
    window = page.locator("fieldset", has=page.get_by_role("heading", name=shown("PO window"), exact=True))
    postage = page.locator("fieldset", has=page.get_by_role("heading", name=shown("Postage (ongkir)"), exact=True))
    for heading in ("Quotas and goal", "Payment terms"):
        expect(page.get_by_role("heading", name=shown(heading), exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=shown("Save and publish"))).to_be_visible()
    guide.shoot("campaign-form", top=window, bottom=postage, most=1700)

    campaign = _open_po()
    guide.open(reverse("admin:campaigns_campaign_postage", args=[campaign.pk]))
    heading = shown("Postage per province: %(campaign)s", campaign=campaign.title)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    guide.shoot("postage-rates")


def remind_me_before_opening(guide: Guide):
    page = guide.page
    coming = _campaign(
        "PO coming soon",
        Campaign.objects.filter(stage=Stage.PUBLISHED, opens_at__gt=timezone.now()).order_by("opens_at", "pk"),
    )
    guide.open(coming.get_absolute_url())
    form = page.locator("section.interest")
    expect(form.get_by_role("heading", name=shown("Remind me when it opens"))).to_be_visible()
    first_item = coming.items.order_by("position", "pk").first()
    page.locator(f"#qty-{first_item.pk}").fill("2")
    form.get_by_label(shown("WhatsApp number")).fill("0812 3456 7890")
    guide.shoot("remind-me", top=page.locator("main h1").first, bottom=form, most=1400)
    form.get_by_role("button", name=shown("Remind me")).click()
    expect(page.locator("ul.messages")).to_contain_text(
        shown("Done: you will be told once when this PO opens, by e-mail if you gave one, else on WhatsApp.")
    )

    guide.open(reverse("admin:campaigns_campaign_change", args=[coming.pk]))
    quotas = page.locator("fieldset", has=page.get_by_role("heading", name=shown("Quotas and goal"), exact=True))
    expect(quotas.get_by_role("link", name=shown("Who asked"))).to_be_visible()
    expect(quotas.locator(f'[data-interest-item="{first_item.pk}"] [data-units]')).not_to_have_text("0")
    items = page.locator("div.inline-group", has=page.locator("input[name$='-quota']"))
    expect(items.get_by_role("columnheader", name=capfirst(shown("wanted (interest)")))).to_be_visible()
    guide.shoot("campaign-interest", top=quotas, bottom=quotas)


def publish_and_share(guide: Guide):
    page = guide.page
    guide.open(reverse("admin:campaigns_campaign_changelist"))
    heading = shown("Select %s to change") % label_of(Campaign)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    for action in (
        "Publish (opens at its time)",
        "Back to draft (not opened yet)",
        "Open the next batch (a draft copy carrying the waitlist and unmet interest)",
        "Take the tally and start production (after closing)",
        "Start shipping",
        "Mark completed (every order has ended)",
        "Cancel the PO and refund every buyer (give a reason)",
    ):
        expect(guide.action(action)).to_have_count(1)
    expect(page.get_by_role("button", name=shown("Run the chosen action on the selected rows"))).to_be_visible()
    guide.shoot("campaign-list", bottom=page.locator("#result_list"))


def orders_while_open(guide: Guide):
    page = guide.page
    campaign = _open_po()
    guide.open(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    overview = page.locator("fieldset", has=page.get_by_role("heading", name=shown("This PO at a glance")))
    steps = page.get_by_role("navigation", name=shown("Common steps for this PO"))
    for link in (
        "Post an update for buyers",
        "Production, lists and labels",
        "Postage per province",
        "Orders",
        "Messages to buyers",
        "Demand per variant",
    ):
        expect(steps.get_by_role("link", name=shown(link), exact=True)).to_be_visible()
    page.wait_for_function(
        "() => { const chart = window.Chart && Chart.getChart('orders-per-day-chart');"
        " return chart && !Chart.animator.running(chart); }"
    )
    guide.shoot("po-overview", bottom=overview, most=1000)

    order = Order.objects.filter(campaign=campaign).annotate(paid=Count("payments")).order_by("-paid", "pk").first()
    assert order is not None, f"The demo's {campaign.title} has no orders; the guide shows one."
    guide.open(reverse("admin:orders_order_change", args=[order.pk]))
    money = page.locator("fieldset", has=page.get_by_role("heading", name=shown("Money"), exact=True))
    expect(money).to_be_visible()
    expect(page.get_by_role("link", name=shown("Messages to this buyer (e-mail and WhatsApp)"))).to_be_visible()
    payments = page.locator("div.inline-group", has_text=capfirst(label_of(Payment, plural=True)))
    guide.shoot("order-detail", top=money, bottom=payments.last, most=1500)


def payments_and_the_bank_statement(guide: Guide):
    page = guide.page
    now = timezone.now()
    unpaid = Order.objects.filter(
        status=Order.Status.PENDING_PAYMENT, payment_deadline__gt=now, campaign__stage=Stage.PUBLISHED
    ).order_by("pk")
    if not Payment.objects.filter(status=Payment.Status.PENDING).exists():
        # As a buyer does on the order page: the transfer and its proof, for the seller to check.
        buyer = unpaid.exclude(payments__isnull=False).first()
        assert buyer is not None, "The demo shop has no unpaid order to send a transfer proof for."
        payment_submit(
            order=buyer,
            amount_idr=buyer.first_transfer_idr,
            paid_on=timezone.localdate(now),
            from_bank="BCA",
            from_account_name=buyer.buyer_name,
            proof_file=_transfer_screenshot(buyer.first_transfer_idr),
            now=now,
        )
    guide.open(reverse("admin:payments_payment_changelist"))
    expect(guide.action("Confirm the selected payments")).to_have_count(1)
    expect(guide.action("Reject the selected payments (give the reason above)")).to_have_count(1)
    proof = page.locator("#result_list img").first
    expect(proof).to_be_visible()
    page.wait_for_function("proof => proof.complete && proof.naturalWidth > 0", arg=proof.element_handle())
    guide.shoot("payments", bottom=page.locator("#result_list"))

    guide.open(reverse("admin:payments_bankstatementimport_import"))
    expect(page.get_by_role("heading", name=shown("Import a bank statement"))).to_be_visible()
    account = _campaign("BCA bank account", BankAccount.objects.filter(is_active=True, bank_name="BCA"))
    page.get_by_label(shown("Bank account")).select_option(value=str(account.pk))
    page.get_by_label(shown("The file is")).select_option(value="bca")
    exact = unpaid.filter(payments__isnull=True).first()
    near = unpaid.exclude(pk=getattr(exact, "pk", None)).first()
    assert exact and near, "The demo shop needs two unpaid orders, one without a proof, for the statement's picture."
    today = timezone.localdate(now)
    credits = [
        (today, exact.first_transfer_idr, exact.buyer_name.upper()),  # to the rupiah: confirmed
        (today, near.first_payment_idr, near.buyer_name.upper()),  # without the kode unik: a suggestion
        (today, 77_777, "SETORAN TUNAI"),  # nobody's
    ]
    page.get_by_label(shown("Statement file (CSV, XLSX or MT940)")).set_input_files(
        files=[{"name": "mutasi-bca.csv", "mimeType": "text/csv", "buffer": _bca_statement(credits)}]
    )
    guide.shoot("statement-upload", bottom=page.locator(".submit-row"))
    page.get_by_role("button", name=shown("Read the file")).click()

    import_button = page.get_by_role("button", name=shown("Import"), exact=True)
    expect(import_button).to_be_visible()
    expect(page.locator("#statement-preview tbody tr")).to_have_count(len(credits) + 1)
    guide.shoot("statement-preview", bottom=page.locator("#statement-preview"))
    import_button.click()
    expect(guide.action("Confirm the match (one order, or the only suggestion)")).to_have_count(1)
    expect(guide.action("Confirm with the order typed above")).to_have_count(1)
    expect(page.get_by_label(shown("Order number"))).to_be_visible()
    guide.shoot("statement-lines", bottom=page.locator("#result_list"))


def messages_to_buyers(guide: Guide):
    page = guide.page
    guide.open(reverse("admin:orders_message_changelist"))
    assert Message.objects.exclude(to_phone="").exists(), "The demo shop has no message to a buyer."
    expect(page.get_by_role("link", name=shown("Send on WhatsApp")).first).to_be_visible()
    expect(guide.action("Send the failed e-mails again")).to_have_count(1)
    guide.shoot("messages")


def production(guide: Guide):
    page = guide.page
    tally = ProductionTally.objects.filter(campaign__stage=Stage.IN_PRODUCTION).order_by("-units", "pk").first()
    assert tally is not None, (
        "The demo shop (manage.py demo_setup) has no PO in production, and the closing jobs put none there; "
        "the guide shows one."
    )
    campaign = tally.campaign
    guide.open(reverse("admin:campaigns_campaign_production", args=[campaign.pk]))
    expect(page.get_by_role("heading", name=shown("Production: %(campaign)s", campaign=campaign.title))).to_be_visible()
    expect(page.get_by_role("button", name=shown("Count the tally again"))).to_be_visible()
    for link in ("Production list (Excel)", "Packing list (Excel)", "Address labels (print)"):
        expect(page.get_by_role("link", name=shown(link))).to_be_visible()
    guide.shoot("production", bottom=page.locator("#content"), most=1000)


def delays(guide: Guide):
    page = guide.page
    update = CampaignUpdate.objects.filter(new_estimated_ship_date__isnull=False).order_by("-posted_at", "-pk").first()
    assert update is not None, "The demo shop has no PO with a delay announced; the guide shows one."
    guide.open(reverse("admin:campaigns_campaign_change", args=[update.campaign_id]))
    page.get_by_role("link", name=shown("Post an update for buyers")).click()
    heading = shown("Post an update for buyers: %(campaign)s", campaign=update.campaign.title)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_label(capfirst(shown("new estimated ship date")))).to_be_visible()
    expect(page.get_by_role("button", name=shown("Post and tell the buyers"))).to_be_visible()
    expect(page.locator("[data-update]").first).to_contain_text(update.message[:40])
    guide.shoot("campaign-updates", bottom=page.locator("#content"), most=900)


def postage_and_shipping(guide: Guide):
    page = guide.page
    shipping = Campaign.objects.filter(stage=Stage.SHIPPING).order_by("pk").first()
    url = reverse("admin:orders_order_changelist")
    guide.open(f"{url}?campaign__id__exact={shipping.pk}" if shipping else url)
    for action in (
        "Mark shipped (choose the courier, type the resi)",
        "Set the postage after weighing (type the amount)",
        "Cancel the selected orders, refunding what they paid (give a reason)",
        "Delete the buyer's personal data (on request; ended orders)",
    ):
        expect(guide.action(action)).to_have_count(1)
    for name, label in (("courier", "Courier"), ("resi", "Resi"), ("postage", "Postage (Rp)"), ("reason", "Reason")):
        guide.action_field(name, label)
    guide.shoot("orders-actions", bottom=page.locator("#result_list"), most=700)

    paid = list(Order.objects.filter(status=Order.Status.PAID).order_by("campaign_id", "pk")[:3])
    assert paid, "The demo shop has no order paid in full to ship; the guide ships some from a file."
    rows = "".join(f"{order.number},JNE,JNE{8800120000 + number}\n" for number, order in enumerate(paid))
    guide.open(reverse("admin:orders_order_changelist"))
    page.locator(".object-tools").get_by_role("link", name=shown("Import"), exact=True).click()
    page.get_by_label(shown("Shipping file (CSV or XLSX)")).set_input_files(
        files=[{"name": "resi.csv", "mimeType": "text/csv", "buffer": f"Nomor pesanan,Kurir,No resi\n{rows}".encode()}]
    )
    file_format = page.get_by_label(shown("File format"))
    csv = next(text for text in file_format.locator("option").all_inner_texts() if "csv" in text.lower())
    file_format.select_option(label=csv)
    page.get_by_role("button", name=shown("Check the file")).click()
    heading = shown_count(
        "Check %(counter)s order before it ships", "Check %(counter)s orders before they ship", len(paid)
    )
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("[data-shipment-rows] tbody tr")).to_have_count(len(paid))
    ship = shown_count("Ship this order", "Ship these %(counter)s orders", len(paid))
    expect(page.get_by_role("button", name=ship)).to_be_visible()
    guide.shoot("shipping-import", bottom=page.locator("#content"), most=800)


def refunds(guide: Guide):
    page = guide.page
    assert Refund.objects.exists(), (
        "The demo shop has no refund (its failed PO refunds its buyers); the guide shows some."
    )
    guide.open(reverse("admin:payments_refund_changelist"))
    expect(guide.action("Mark the selected refunds as sent (give method and reference)")).to_have_count(1)
    guide.action_field("method", "Method")
    guide.action_field("reference", "Reference")
    guide.shoot("refunds", bottom=page.locator("#result_list"), most=700)
