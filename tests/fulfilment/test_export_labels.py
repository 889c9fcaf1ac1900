"""The address labels: eight per A4 sheet, the courier and resi when known, and a parcel's lines never cut
off ("+3 more, see the packing list"). The fullest labels are measured in Chromium when it is installed
(REQUIRE_BROWSER makes its absence a failure, as for the browser tests)."""

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from fulfilment.exports import AddressLabel, address_labels
from orders.models import Order
from tests.fulfilment.test_export_data import ADDRESS_LINES, COURIER, PHONE, campaign_made, items_of, orders_placed


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def labels_html(labels, *, campaign=None, shop_address="Jl. Malioboro 5, Yogyakarta") -> str:
    return render_to_string(
        "fulfilment/address_labels.html",
        {
            "shop_name": "Toko Batik Sekar",
            "shop_address": shop_address,
            "campaign": campaign or {"title": "PO Batik"},
            "labels": labels,
        },
    )


def label_made(number: int = 1, *, count: int = 1, **fields) -> AddressLabel:
    """A label of `count` short lines, or of the `items` given."""
    values = {
        "order_number": f"PO-2601-{number:05d}",
        "recipient_name": f"Pembeli {number}",
        "phone": PHONE,
        "address_lines": ("Jl. Solo 1", "Depok, Sleman", "DI Yogyakarta 55281"),
        "items": tuple(f"{step + 1}x Kemeja Batik Tulis (M / Sogan {step})" for step in range(count)),
    }
    return AddressLabel(**{**values, **fields})


@pytest.mark.django_db
def test_address_labels():
    campaign = campaign_made()
    placed = orders_placed(campaign, items_of(campaign))
    Order.objects.filter(pk=placed["full"].order.pk).update(status=Order.Status.SHIPPED)  # already on its way
    labels = address_labels(campaign=campaign)
    dp, balance = placed["dp"].order, placed["dp_then_balance"].order
    assert [label.order_number for label in labels] == sorted([dp.number, balance.number])
    label = next(label for label in labels if label.order_number == dp.number)
    product_name = dp.lines.first().product_name
    assert label.recipient_name == "=Rina"
    assert label.phone == PHONE
    assert label.address_lines == ADDRESS_LINES
    assert label.items == (f"3x {product_name} (M / Sogan)", f"1x {product_name} (L / Biru)")
    assert label.contents == f"3x {product_name} (M / Sogan), 1x {product_name} (L / Biru)"
    assert (label.items_shown, label.items_more) == (label.items, 0)
    # A DP-paid parcel is marked: the balance comes before shipping.
    balance_label = next(label for label in labels if label.order_number == balance.number)
    assert (label.balance_outstanding, balance_label.balance_outstanding) == (True, False)
    # The courier and resi once the seller has them.
    assert (label.courier, balance_label.courier) == ("", f"JNE, resi {COURIER[1]}")

    html = labels_html(labels, campaign=campaign)
    assert '<html lang="en">' in html
    assert "=Rina" in html and "Citra &amp; Ayu" in html
    assert "Ani Lestari" not in html and "Dodi" not in html
    assert html.count("From: Toko Batik Sekar, Jl. Malioboro 5, Yogyakarta") == 2
    assert html.count("BALANCE NOT PAID YET") == 1
    assert html.count(f"Courier: JNE, resi {COURIER[1]}") == 1
    assert dp.number in html and f"<li>3x {product_name} (M / Sogan)</li>" in html
    assert 'class="more"' not in html
    assert "@page { size: A4; margin: 10mm; }" in html
    # No inline script: the Print button's script is a static file.
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts == [""] and 'src="/static/js/print.js"' in html
    assert "data-print" in html


def test_address_labels_eight_per_sheet():
    html = labels_html([label_made(number) for number in range(9)], shop_address="")
    assert html.count('<section class="sheet">') == html.count("</section>") == 2
    assert html.count('<article class="label">') == 9
    assert "From: Toko Batik Sekar</p>" in html


def test_a_parcel_with_many_lines_lists_the_first_and_leaves_the_rest_to_the_packing_list():
    label = label_made(count=12)
    shown = label.items_shown
    assert 2 <= len(shown) < 12 and shown == label.items[: len(shown)]
    assert label.items_more == 12 - len(shown)
    html = labels_html([label])
    for item in shown:
        assert f"<li>{item}</li>" in html
    assert label.items[len(shown)] not in html
    assert f"+{label.items_more} more, see the packing list" in html
    # A label with more on it (balance, courier, a longer address) has room for fewer lines.
    fuller = label_made(
        count=12,
        balance_outstanding=True,
        courier="J&T Express, resi JT0001234567",
        address_lines=("Perumahan Griya Asri Blok C-12 No. 7, RT 004/RW 011", *ADDRESS_LINES),
    )
    assert len(fuller.items_shown) < len(shown)
    assert len(label_made(count=len(shown)).items_shown) == len(shown)


def test_labels_are_in_indonesian():
    label = label_made(count=12, courier="JNE, resi JX1")
    with translation.override("id"):
        html = labels_html([label])
    assert f"+{label.items_more} lagi, lihat daftar packing" in html
    assert "Kurir: JNE, resi JX1" in html


FULLEST = [
    # The longest of each part a buyer may type: a name of 120 characters, a street of 300.
    label_made(
        1,
        count=12,
        recipient_name="Raden Ayu " + "Sekarwangi Kusumaningrum " * 4,
        address_lines=(
            "Perumahan Griya Asri Blok C-12 No. 7, RT 004/RW 011, " * 5,
            "Kec. Gondokusuman, Kota Yogyakarta",
        )
        + ("DI Yogyakarta 55223",),
        balance_outstanding=True,
        courier="J&T Express, resi JT0001234567890123",
    ),
    label_made(2, count=30, courier="JNE, resi JX1"),
    label_made(3, count=3),
    label_made(4, count=6, recipient_name="Ani", address_lines=("Jl. Solo 1", "Sleman"), balance_outstanding=True),
    label_made(
        5,
        items=tuple(
            f"{number}x Kemeja Batik Tulis Lengan Panjang Motif Parang Rusak Barong ({number} / Biru)"
            for number in range(1, 6)
        ),
    ),
]
