"""Writes to the shared data (the calendar corrections)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from xinkan.audit import services as audit
from xinkan.core.calendar import forget_overrides
from xinkan.core.models import CalendarDay

if TYPE_CHECKING:
    from xinkan.accounts.models import User


@transaction.atomic
def set_calendar_day(
    *, date: dt.date, is_working_day: bool, note: str, by: User | None
) -> CalendarDay:
    day, created = CalendarDay.objects.update_or_create(
        date=date, defaults={"is_working_day": is_working_day, "note": note.strip()[:100]}
    )
    audit.record(
        actor=by,
        action="core.calendar_day.set",
        obj=day,
        data={"date": date, "is_working_day": is_working_day, "note": note, "created": created},
    )
    transaction.on_commit(forget_overrides)
    return day
