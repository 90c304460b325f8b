"""matters.deadlines: which policy applies (the most specific), the statutory defaults, and deadline
arithmetic — hours, calendar days to the end of the day, and working days with Chinese public
holidays and make-up working days (chinese_calendar)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from tests.matters import factories as mf
from xinkan.matters.deadlines import (
    STATUTORY_DEFAULTS,
    ResolvedPolicy,
    add_time,
    is_working_day,
    resolve_policy,
)
from xinkan.matters.models import Deadline, DeadlinePolicy, Stage, TimeUnit

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def policy(stage, amount, time_unit=TimeUnit.DAYS, **values):  # type: ignore[no-untyped-def]
    return DeadlinePolicy.objects.create(stage=stage, amount=amount, time_unit=time_unit, **values)


def summary(resolved: ResolvedPolicy) -> tuple[int, str]:
    return resolved.amount, resolved.time_unit


# --- Policy resolution -------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", Stage.values)
def test_statutory_defaults_apply_when_there_is_no_policy(db, stage):
    DeadlinePolicy.objects.all().delete()

    resolved = resolve_policy(stage, category=None, unit=None)

    amount, time_unit, warn_hours, extension = STATUTORY_DEFAULTS[stage]
    assert (resolved.amount, resolved.time_unit, resolved.warn_hours) == (
        amount,
        time_unit,
        warn_hours,
    )
    assert resolved.max_extension_days == extension


def test_the_statutory_defaults_are_those_of_the_regulation():
    # 《信访工作条例》: accept within 15 days (Art. 22-23), handle within 60 days with at most 30 more
    # (Art. 34), review and re-review decided within 30 days (Art. 35-36).
    assert STATUTORY_DEFAULTS[Stage.ACCEPT][:2] == (15, TimeUnit.DAYS)
    assert STATUTORY_DEFAULTS[Stage.HANDLE][:2] == (60, TimeUnit.DAYS)
    assert STATUTORY_DEFAULTS[Stage.HANDLE][3] == 30
    assert STATUTORY_DEFAULTS[Stage.REVIEW][:2] == (30, TimeUnit.DAYS)
    assert STATUTORY_DEFAULTS[Stage.REREVIEW][:2] == (30, TimeUnit.DAYS)


@pytest.mark.parametrize("stage", Stage.values)
def test_the_installed_default_policies_match_the_statutory_defaults(db, stage):
    row = DeadlinePolicy.objects.get(stage=stage, unit=None, category=None)

    assert (row.amount, row.time_unit, row.warn_hours, row.max_extension_days) == (
        STATUTORY_DEFAULTS[stage]
    )


def test_a_policy_of_a_unit_below_beats_the_districts(cast):
    policy(Stage.ACCEPT, 10, unit=cast.district)
    policy(Stage.ACCEPT, 5, TimeUnit.WORKING_DAYS, unit=cast.community)
    elevator = mf.category()

    assert summary(resolve_policy(Stage.ACCEPT, category=elevator, unit=cast.grid)) == (
        5,
        TimeUnit.WORKING_DAYS,
    )
    assert summary(resolve_policy(Stage.ACCEPT, category=elevator, unit=cast.community)) == (
        5,
        TimeUnit.WORKING_DAYS,
    )
    # The neighbouring community and the other subdistrict have only the district's.
    assert summary(resolve_policy(Stage.ACCEPT, category=elevator, unit=cast.neighbour_grid)) == (
        10,
        TimeUnit.DAYS,
    )
    assert summary(resolve_policy(Stage.ACCEPT, category=elevator, unit=cast.other_grid)) == (
        10,
        TimeUnit.DAYS,
    )
    # A unit above the district still has the general (statutory) one.
    assert summary(resolve_policy(Stage.ACCEPT, category=elevator, unit=None)) == (
        15,
        TimeUnit.DAYS,
    )


def test_a_policy_for_the_category_beats_one_for_no_category(cast):
    elevator = mf.category()
    fees = mf.category("property.fees", "物业收费")
    policy(Stage.HANDLE, 20, unit=cast.district)
    policy(Stage.HANDLE, 3, category=elevator, unit=cast.district)

    assert summary(resolve_policy(Stage.HANDLE, category=elevator, unit=cast.grid)) == (3, "days")
    assert summary(resolve_policy(Stage.HANDLE, category=fees, unit=cast.grid)) == (20, "days")


def test_a_policy_for_the_subcategory_beats_its_parent(cast):
    elevator = mf.category()
    fees = mf.category("property.fees", "物业收费")
    policy(Stage.HANDLE, 7, category=elevator.parent)
    policy(Stage.HANDLE, 2, category=elevator)

    assert resolve_policy(Stage.HANDLE, category=elevator, unit=cast.grid).amount == 2
    assert resolve_policy(Stage.HANDLE, category=fees, unit=cast.grid).amount == 7


def test_the_deeper_unit_wins_before_the_category(cast):
    elevator = mf.category()
    policy(Stage.HANDLE, 3, category=elevator, unit=cast.district)
    policy(Stage.HANDLE, 30, unit=cast.community)

    assert resolve_policy(Stage.HANDLE, category=elevator, unit=cast.grid).amount == 30


def test_unit_and_category_together_beat_the_unit_alone(cast):
    elevator = mf.category()
    policy(Stage.HANDLE, 30, unit=cast.community)
    policy(Stage.HANDLE, 2, TimeUnit.HOURS, unit=cast.community, category=elevator)

    assert summary(resolve_policy(Stage.HANDLE, category=elevator, unit=cast.grid)) == (2, "hours")


def test_a_policy_carries_its_warning_and_extension(cast):
    policy(Stage.HANDLE, 30, unit=cast.community, warn_hours=24, max_extension_days=10)

    resolved = resolve_policy(Stage.HANDLE, category=None, unit=cast.grid)

    assert (resolved.warn_hours, resolved.max_extension_days) == (24, 10)


def test_one_policy_per_stage_category_and_unit(db):
    # The migration installed the general one; "no category, no unit" counts as a value.
    with pytest.raises(IntegrityError), transaction.atomic():
        policy(Stage.ACCEPT, 10)


def test_a_unit_may_answer_within_two_hours(cast):
    """接诉即办: a unit sets a respond-within-2-hours rule for itself."""
    policy(Stage.RESPOND, 2, TimeUnit.HOURS, unit=cast.community, warn_hours=1)

    with time_machine.travel(local(2026, 3, 2, 10, 15), tick=False):
        matter = mf.matter(cast.grid, cast.grid_worker)

    respond = Deadline.objects.get(matter=matter, stage=Stage.RESPOND)
    assert respond.due_at == local(2026, 3, 2, 12, 15)
    assert respond.warn_at == local(2026, 3, 2, 11, 15)


# --- Arithmetic --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 9, 30), True),  # Wednesday
        (dt.date(2026, 10, 1), False),  # National Day, a Thursday
        (dt.date(2026, 10, 7), False),  # the holiday's last day, a Wednesday
        (dt.date(2026, 10, 8), True),
        (dt.date(2026, 10, 10), True),  # Saturday, a make-up working day (调休)
        (dt.date(2026, 9, 20), True),  # Sunday, a make-up working day
        (dt.date(2026, 9, 25), False),  # Mid-autumn Festival, a Friday
        (dt.date(2026, 10, 11), False),  # an ordinary Sunday
        (dt.date(2026, 2, 14), True),  # Saturday before the Spring Festival
        (dt.date(2026, 2, 16), False),  # Spring Festival, a Monday
    ],
)
def test_working_days_follow_the_chinese_calendar(db, day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "working"),
    [(dt.date(2100, 3, 1), True), (dt.date(2100, 3, 6), False), (dt.date(2100, 3, 7), False)],
)
def test_a_year_the_calendar_does_not_know_falls_back_to_monday_to_friday(db, day, working):
    assert is_working_day(day) is working


def test_two_working_days_from_the_eve_of_national_day(db):
    # Registered Wednesday 30 September 2026; 1-7 October are holidays: the 1st and 2nd working
    # days are Thursday 8 and Friday 9 October.
    due = add_time(local(2026, 9, 30, 10, 0), 2, TimeUnit.WORKING_DAYS)

    assert due == local(2026, 10, 9, 23, 59, 59)


def test_a_make_up_saturday_counts_as_a_working_day(db):
    due = add_time(local(2026, 10, 8, 9, 0), 2, TimeUnit.WORKING_DAYS)

    assert due == local(2026, 10, 10, 23, 59, 59)  # Friday 9, then Saturday 10 (调休)


def test_a_make_up_sunday_counts_as_a_working_day(db):
    due = add_time(local(2026, 9, 18, 16, 0), 1, TimeUnit.WORKING_DAYS)  # a Friday

    assert due == local(2026, 9, 20, 23, 59, 59)


def test_a_festival_friday_and_the_weekend_are_skipped(db):
    due = add_time(local(2026, 9, 24, 9, 0), 1, TimeUnit.WORKING_DAYS)  # Thursday before 中秋

    assert due == local(2026, 9, 28, 23, 59, 59)


def test_a_day_count_deadline_ends_at_the_end_of_the_last_local_day(db):
    due = add_time(local(2026, 3, 2, 10, 0), 1, TimeUnit.DAYS)

    assert due == local(2026, 3, 3, 23, 59, 59)
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 3, 3, 15, 59, 59, tzinfo=dt.UTC)


def test_days_are_counted_from_the_local_date(db):
    # 20:00 UTC on 2 March is already 04:00 on 3 March in Shanghai.
    due = add_time(dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC), 1, TimeUnit.DAYS)

    assert due == local(2026, 3, 4, 23, 59, 59)


def test_calendar_days_do_not_skip_holidays(db):
    assert add_time(local(2026, 9, 30, 10, 0), 2, TimeUnit.DAYS) == local(2026, 10, 2, 23, 59, 59)


def test_hours_are_exact(db):
    start = local(2026, 10, 1, 22, 30)

    assert add_time(start, 2, TimeUnit.HOURS) == local(2026, 10, 2, 0, 30)


def test_an_unknown_time_unit_is_an_error(db):
    with pytest.raises(ValueError, match="unknown time unit"):
        add_time(local(2026, 3, 2, 10, 0), 1, "fortnights")


def test_the_warning_comes_before_the_deadline_but_not_before_the_start(db):
    start = local(2026, 3, 2, 10, 0)

    due, warn = ResolvedPolicy(Stage.ACCEPT, 15, TimeUnit.DAYS, 72, 0).due(start)
    assert (due, warn) == (local(2026, 3, 17, 23, 59, 59), local(2026, 3, 14, 23, 59, 59))

    due, warn = ResolvedPolicy(Stage.RESPOND, 2, TimeUnit.HOURS, 48, 0).due(start)
    assert (due, warn) == (local(2026, 3, 2, 12, 0), start)


def test_a_matter_registered_on_30_september_gets_its_deadlines_after_the_holiday(cast):
    with time_machine.travel(local(2026, 9, 30, 10, 0), tick=False):
        matter = mf.matter(cast.grid, cast.grid_worker)

    deadlines = {d.stage: d for d in Deadline.objects.filter(matter=matter)}
    # First response: 2 working days (4 hours' warning); acceptance: 15 calendar days.
    assert deadlines[Stage.RESPOND].due_at == local(2026, 10, 9, 23, 59, 59)
    assert deadlines[Stage.RESPOND].warn_at == local(2026, 10, 9, 19, 59, 59)
    assert deadlines[Stage.ACCEPT].due_at == local(2026, 10, 15, 23, 59, 59)
