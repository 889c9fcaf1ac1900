import pytest
from django.template import Context, Template

from catalog.money import format_rupiah, percent_of


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0, "Rp0"),
        (500, "Rp500"),
        (1_000, "Rp1.000"),
        (150_000, "Rp150.000"),
        (12_345_678, "Rp12.345.678"),
        (-5_000, "-Rp5.000"),
    ],
)
def test_rupiah_is_shown_with_dots_and_no_decimals(amount, shown):
    assert format_rupiah(amount) == shown


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [(150_000, 50, 75_000), (99_999, 50, 50_000), (99_997, 30, 29_999), (1, 50, 1), (3, 50, 2), (100_000, 0, 0)],
)
def test_percentages_round_half_up_to_whole_rupiah(amount, percent, expected):
    assert percent_of(amount, percent) == expected
    assert isinstance(percent_of(amount, percent), int)


def test_rupiah_filter_in_templates():
    rendered = Template("{% load rupiah %}{{ amount|rupiah }}").render(Context({"amount": 350000}))
    assert rendered == "Rp350.000"
