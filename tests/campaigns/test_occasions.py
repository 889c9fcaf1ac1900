import datetime

import pytest
from django.utils import translation

from campaigns.occasions import (
    campaign_occasions,
    campaign_warnings,
    holidays_between,
    lebaran_days,
    long_holiday_around,
    paydays_between,
)
from tests.factories import jakarta


@pytest.fixture(autouse=True)
def _indonesian():
    with translation.override("id"):
        yield


def test_lebaran_2027_is_found_with_its_indonesian_name():
    assert datetime.date(2027, 3, 10) in lebaran_days(2027)
    names = [occasion.name for occasion in holidays_between(datetime.date(2027, 3, 8), datetime.date(2027, 3, 15))]
    assert any("Idul Fitri" in name for name in names)
    assert any(name.startswith("Cuti Bersama") for name in names)


def test_a_ship_date_in_lebaran_is_warned_about():
    warnings = campaign_warnings(
        opens_at=jakarta(2027, 2, 1, 10),
        closes_at=jakarta(2027, 2, 14, 21),
        estimated_ship_date=datetime.date(2027, 3, 11),
    )
    assert len(warnings) == 1
    assert "6 Maret 2027" in warnings[0] and "15 Maret 2027" in warnings[0]


def test_the_lebaran_long_holiday_spans_cuti_bersama_and_the_weekend():
    start, end, names = long_holiday_around(datetime.date(2027, 3, 12))
    assert (start, end) == (datetime.date(2027, 3, 6), datetime.date(2027, 3, 15))
    assert "Hari Suci Nyepi" in names


def test_a_plain_weekend_is_not_a_long_holiday():
    assert long_holiday_around(datetime.date(2027, 2, 20)) is None  # a Saturday
    assert long_holiday_around(datetime.date(2027, 2, 17)) is None  # a Wednesday


def test_a_ship_date_just_after_lebaran_is_warned_about_busy_couriers():
    warnings = campaign_warnings(
        opens_at=jakarta(2027, 2, 1, 10),
        closes_at=jakarta(2027, 2, 14, 21),
        estimated_ship_date=datetime.date(2027, 3, 17),
    )
    assert len(warnings) == 1
    assert "10 Maret 2027" in warnings[0]


def test_an_ordinary_ship_date_and_window_give_no_warning():
    assert (
        campaign_warnings(
            opens_at=jakarta(2027, 4, 26, 10),
            closes_at=jakarta(2027, 5, 3, 21),
            estimated_ship_date=datetime.date(2027, 6, 9),
        )
        == []
    )


@pytest.mark.parametrize(("days", "expected"), [(2, 1), (3, 0), (21, 0), (22, 1)])
def test_window_length_warnings_below_3_and_above_21_days(days, expected):
    opens = jakarta(2027, 4, 1, 10)
    warnings = campaign_warnings(
        opens_at=opens, closes_at=opens + datetime.timedelta(days=days), estimated_ship_date=datetime.date(2027, 6, 9)
    )
    assert len(warnings) == expected


def test_paydays_are_the_25th_and_the_1st():
    days = [occasion.day for occasion in paydays_between(datetime.date(2026, 11, 20), datetime.date(2026, 12, 5))]
    assert days == [datetime.date(2026, 11, 25), datetime.date(2026, 12, 1)]


def test_occasions_near_a_christmas_window_list_cuti_bersama_and_paydays():
    occasions = campaign_occasions(
        opens_at=jakarta(2026, 12, 10, 10),
        closes_at=jakarta(2026, 12, 20, 21),
        estimated_ship_date=datetime.date(2027, 1, 4),
    )
    window_days = {occasion.day for occasion in occasions["window"]}
    assert datetime.date(2026, 12, 24) in window_days  # Cuti Bersama Natal
    assert datetime.date(2026, 12, 25) in window_days
    assert datetime.date(2027, 1, 1) not in window_days  # more than a week after closing
    assert datetime.date(2027, 1, 1) in {occasion.day for occasion in occasions["ship"]}


def test_holiday_names_follow_the_language():
    with translation.override("en"):
        names = [
            occasion.name for occasion in holidays_between(datetime.date(2026, 12, 25), datetime.date(2026, 12, 25))
        ]
    assert names == ["Christmas Day"]
