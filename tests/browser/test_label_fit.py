"""The fullest address labels, laid out by Chromium as it prints them: no line of a parcel is cut off."""

import pytest
from django.utils import translation

from tests.fulfilment.test_export_labels import FULLEST, labels_html


@pytest.fixture
def chromium_page(browser):
    page = browser.new_page()
    page.emulate_media(media="print")
    with translation.override("en"):
        yield page
    page.close()


def test_the_fullest_labels_fit_in_chromium(chromium_page):
    chromium_page.set_content(
        labels_html(FULLEST, shop_address="Jl. Malioboro No. 55, Sosromenduran, Gedong Tengen, Kota Yogyakarta 55271")
    )
    overflows = chromium_page.evaluate(
        """() => [...document.querySelectorAll('.label')].map(label => {
            const box = label.getBoundingClientRect();
            const bottom = box.bottom - parseFloat(getComputedStyle(label).paddingBottom);
            const cut = [...label.querySelectorAll('li, .more, .courier, .order-number, address')]
                .filter(part => part.getBoundingClientRect().bottom > bottom + 0.5)
                .map(part => part.textContent.trim().slice(0, 40));
            return {number: label.querySelector('.order-number').textContent, cut,
                    overflow: label.scrollHeight - label.clientHeight, shown: label.querySelectorAll('li').length};
        })"""
    )
    assert [label["number"] for label in overflows] == [label.order_number for label in FULLEST]
    for label in overflows:
        assert label["cut"] == [] and label["overflow"] <= 0, label
    assert [label["shown"] for label in overflows] == [len(label.items_shown) for label in FULLEST]
    # Only the short one lists all its lines; the others say how many more the packing list has.
    assert chromium_page.locator(".more").count() == 4
    # The longest address and name take smaller type, and leave their lines to the packing list.
    assert chromium_page.locator(".label.tight").count() == 1
    assert [len(label.items_shown) for label in FULLEST[1:]] == [3, 3, 4, 2]
