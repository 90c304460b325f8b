from __future__ import annotations

import datetime as dt

from django.utils import timezone

from xinkan.core import services
from xinkan.core.calendar import forget_overrides, is_working_day
from xinkan.matters.deadlines import add_time
from xinkan.matters.models import TimeUnit


def test_library_knows_the_national_day_holiday_and_its_make_up_days(db):
    forget_overrides()
    assert not is_working_day(dt.date(2026, 10, 1))
    assert is_working_day(dt.date(2026, 9, 30))


def test_a_year_the_library_does_not_know_falls_back_to_weekdays(db):
    forget_overrides()
    assert is_working_day(dt.date(2031, 1, 6))  # a Monday
    assert not is_working_day(dt.date(2031, 1, 5))  # a Sunday


def test_local_corrections_come_first_and_change_deadlines(db):
    forget_overrides()
    monday = dt.date(2031, 1, 6)
    start = timezone.make_aware(dt.datetime(2031, 1, 3, 10, 0))  # Friday
    assert timezone.localtime(add_time(start, 1, TimeUnit.WORKING_DAYS)).date() == monday
    services.set_calendar_day(date=monday, is_working_day=False, note="元旦调休", by=None)
    forget_overrides()  # on_commit does it in production; tests roll back instead of committing
    assert not is_working_day(monday)
    assert timezone.localtime(add_time(start, 1, TimeUnit.WORKING_DAYS)).date() == dt.date(
        2031, 1, 7
    )
