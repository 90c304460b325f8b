"""Working days: Chinese public holidays and make-up working days (调休).

Local corrections (`CalendarDay`, entered by administrators — e.g. next year's schedule as soon as
the State Council publishes it) come first; then the `chinese_calendar` library; for a year neither
knows, Monday to Friday.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from django.core.cache import cache

_CACHE_KEY = "xinkan:calendar-days"


def _overrides() -> dict[dt.date, bool]:
    cached = cache.get(_CACHE_KEY)
    if cached is None:
        from xinkan.core.models import CalendarDay

        cached = dict(CalendarDay.objects.values_list("date", "is_working_day"))
        cache.set(_CACHE_KEY, cached, 300)
    return cached


def forget_overrides() -> None:
    cache.delete(_CACHE_KEY)


def is_working_day(day: dt.date) -> bool:
    override = _overrides().get(day)
    if override is not None:
        return override
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the library does not know yet
        return day.weekday() < 5
