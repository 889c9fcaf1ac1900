"""Indonesian holidays, cuti bersama and paydays around a campaign.

Sellers open POs around paydays and before holidays, and couriers and
workshops stop over long holidays such as Lebaran: these helpers tell the
seller in admin what falls near the window and the ship date.
"""

import datetime
from dataclasses import dataclass

import holidays
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

SHORTEST_WINDOW_DAYS = 3
LONGEST_WINDOW_DAYS = 21
# Days off in a row (holidays, cuti bersama and weekends) that make a long holiday.
LONG_HOLIDAY_DAYS = 4
NEAR_DAYS = 7
PAYDAYS = (25, 1)
LEBARAN_MARKER = "Idul Fitri"


@dataclass(frozen=True)
class Occasion:
    day: datetime.date
    name: str
    is_payday: bool = False


def _day(day: datetime.date) -> str:
    return date_format(day, "j F Y")


def _holiday_calendar(years) -> holidays.HolidayBase:
    language = "en_US" if translation.get_language() == "en" else "id"
    return holidays.Indonesia(years=years, language=language, categories=("public", "government"))


def _years(start: datetime.date, end: datetime.date) -> range:
    return range(start.year - 1, end.year + 2)


def holidays_between(start: datetime.date, end: datetime.date) -> list[Occasion]:
    calendar = _holiday_calendar(_years(start, end))
    return [Occasion(day=day, name=name) for day, name in sorted(calendar.items()) if start <= day <= end]


def paydays_between(start: datetime.date, end: datetime.date) -> list[Occasion]:
    days = []
    day = start
    while day <= end:
        if day.day in PAYDAYS:
            days.append(Occasion(day=day, name=_("Payday (the %(day)s)") % {"day": day.day}, is_payday=True))
        day += datetime.timedelta(days=1)
    return days


def long_holiday_around(day: datetime.date) -> tuple[datetime.date, datetime.date, list[str]] | None:
    """The run of days off (at least LONG_HOLIDAY_DAYS) that contains `day`, if any."""
    calendar = _holiday_calendar(_years(day, day))

    def is_day_off(candidate: datetime.date) -> bool:
        return candidate in calendar or candidate.weekday() >= 5

    if not is_day_off(day):
        return None
    start = end = day
    while is_day_off(start - datetime.timedelta(days=1)):
        start -= datetime.timedelta(days=1)
    while is_day_off(end + datetime.timedelta(days=1)):
        end += datetime.timedelta(days=1)
    if (end - start).days + 1 < LONG_HOLIDAY_DAYS:
        return None
    names = []
    for name in (calendar.get(start + datetime.timedelta(days=offset)) for offset in range((end - start).days + 1)):
        if name and name not in names:
            names.append(name)
    return start, end, names


def lebaran_days(year: int) -> list[datetime.date]:
    calendar = holidays.Indonesia(years=year, language="id", categories=("public", "government"))
    return sorted(day for day, name in calendar.items() if LEBARAN_MARKER in name and "Cuti" not in name)


def campaign_warnings(
    *, opens_at: datetime.datetime, closes_at: datetime.datetime, estimated_ship_date: datetime.date | None
) -> list[str]:
    """What the seller should look at again; none of it stops saving."""
    warnings = []
    window_days = (closes_at - opens_at).total_seconds() / 86400
    if window_days < SHORTEST_WINDOW_DAYS:
        warnings.append(
            ngettext(
                "The PO window is shorter than %(days)d day: buyers may miss it.",
                "The PO window is shorter than %(days)d days: buyers may miss it.",
                SHORTEST_WINDOW_DAYS,
            )
            % {"days": SHORTEST_WINDOW_DAYS}
        )
    elif window_days > LONGEST_WINDOW_DAYS:
        warnings.append(
            _("The PO window is longer than %(days)d days: buyers lose interest and production waits.")
            % {"days": LONGEST_WINDOW_DAYS}
        )
    if estimated_ship_date:
        long_holiday = long_holiday_around(estimated_ship_date)
        if long_holiday:
            start, end, names = long_holiday
            warnings.append(
                _(
                    "The ship date falls in a long holiday (%(start)s to %(end)s: %(names)s); couriers and workshops may be closed."
                )
                % {"start": _day(start), "end": _day(end), "names": ", ".join(names)}
            )
        for lebaran in lebaran_days(estimated_ship_date.year):
            if abs((estimated_ship_date - lebaran).days) <= NEAR_DAYS and not long_holiday:
                warnings.append(
                    _("The ship date is within a week of Idul Fitri (%(day)s): couriers are at their busiest.")
                    % {"day": _day(lebaran)}
                )
                break
    return warnings


def campaign_occasions(
    *, opens_at: datetime.datetime, closes_at: datetime.datetime, estimated_ship_date: datetime.date | None
) -> dict[str, list[Occasion]]:
    """Holidays and paydays near the window, and holidays near the ship date."""
    opens_day = timezone.localdate(opens_at)
    closes_day = timezone.localdate(closes_at)
    near = datetime.timedelta(days=NEAR_DAYS)
    result = {
        "window": sorted(
            holidays_between(opens_day - near, closes_day + near)
            + paydays_between(opens_day - near, closes_day + near),
            key=lambda occasion: occasion.day,
        ),
        "ship": [],
    }
    if estimated_ship_date:
        result["ship"] = holidays_between(estimated_ship_date - near, estimated_ship_date + near)
    return result
