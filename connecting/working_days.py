"""Working days in the partner's nation: weekends and that nation's bank holidays are not worked.

Bank holidays come from the `holidays` package, which keeps the UK's four calendars (England,
Wales, Scotland, Northern Ireland) including one-off days such as coronations.
"""

import datetime
from functools import lru_cache

import holidays
from django.utils import timezone

from partners.models import Nation

_SUBDIVISION = {
    Nation.ENGLAND: "ENG",
    Nation.WALES: "WLS",
    Nation.SCOTLAND: "SCT",
    Nation.NORTHERN_IRELAND: "NIR",
}


@lru_cache(maxsize=64)
def _bank_holidays(nation: str, year: int) -> dict[datetime.date, str]:
    return dict(holidays.UK(subdiv=_SUBDIVISION[Nation(nation)], years=year).items())


def bank_holiday_name(day: datetime.date, nation: str) -> str | None:
    return _bank_holidays(nation, day.year).get(day)


def is_working_day(day: datetime.date, nation: str) -> bool:
    return day.weekday() < 5 and bank_holiday_name(day, nation) is None


def working_days_between(start: datetime.date, end: datetime.date, nation: str) -> int:
    """Working days after `start` up to and including `end` (0 when end is not after start)."""
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        count += is_working_day(day, nation)
    return count


def add_working_days(start: datetime.date, days: int, nation: str) -> datetime.date:
    """The date `days` working days after `start`."""
    day = start
    while days > 0:
        day += datetime.timedelta(days=1)
        days -= is_working_day(day, nation)
    return day


def subtract_working_days(start: datetime.date, days: int, nation: str) -> datetime.date:
    """The date `days` working days before `start`."""
    day = start
    while days > 0:
        day -= datetime.timedelta(days=1)
        days -= is_working_day(day, nation)
    return day


def london_at(day: datetime.date, hour: int = 0) -> datetime.datetime:
    """`hour` o'clock on `day` in London (the portal's TIME_ZONE), as an aware datetime: midnight
    by default, the start of a London day for date-range filters."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
