"""Time limits: the one piece of deadline arithmetic every feature uses (matters, disputes, ...).

Days vs working days are explicit. Working days skip weekends and Chinese public holidays and count
make-up working days (调休): see `xinkan.core.calendar`. A limit counted in days ends at the end of
the last day (23:59:59 local time): something received on Monday with 1 day may be done any time on
Tuesday.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from xinkan.core import calendar

HOURS = "hours"
DAYS = "days"
WORKING_DAYS = "working_days"


def end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def add_time(start: dt.datetime, amount: int, time_unit: str) -> dt.datetime:
    """The moment a limit of `amount` `time_unit`s starting at `start` runs out."""
    if time_unit == HOURS:
        return start + dt.timedelta(hours=amount)
    local_day = timezone.localtime(start).date()
    if time_unit == DAYS:
        return end_of_day(local_day + dt.timedelta(days=amount))
    if time_unit == WORKING_DAYS:
        day, counted = local_day, 0
        while counted < amount:
            day += dt.timedelta(days=1)
            if calendar.is_working_day(day):
                counted += 1
        return end_of_day(day)
    raise ValueError(f"unknown time unit {time_unit}")


def due_and_warning(
    start: dt.datetime, amount: int, time_unit: str, warn_hours: int
) -> tuple[dt.datetime, dt.datetime]:
    """(due_at, warn_at): the warning `warn_hours` before the end, never before the start."""
    due_at = add_time(start, amount, time_unit)
    return due_at, max(start, due_at - dt.timedelta(hours=warn_hours))
