"""The mediation sweep with a frozen clock: reminders before a step's limit, overdue steps
supervised by the level above, terms past their date, the window for judicial confirmation;
a second sweep (or two at once) does nothing twice."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from tests.mediation import factories as df
from xinkan.core.sweeps import run_all
from xinkan.matters.models import Notification
from xinkan.mediation import services
from xinkan.mediation.models import DisputeEvent, StepDeadline, StepLimit

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday


def kinds(user) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_a_step_is_reminded_then_overdue_and_supervised_once(
    cast, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(START, tick=False) as clock,
        django_capture_on_commit_callbacks(execute=True),
    ):
        mediator = df.mediator_of(cast.grid)
        dispute = df.dispute(cast.grid, cast.grid_worker)
        deadline = StepDeadline.objects.get(dispute=dispute)
        assert deadline.due_at == dt.datetime(2026, 3, 9, 23, 59, 59, tzinfo=SHANGHAI)  # 7 days

        clock.move_to(dt.datetime(2026, 3, 8, 9, 0, tzinfo=SHANGHAI))
        assert services.sweep().reminded == 1
        assert services.sweep().reminded == 0

        clock.move_to(dt.datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI))
        report = services.sweep()
        again = services.sweep()

    assert kinds(mediator).count("due_soon") == 1
    assert (report.overdue, report.supervised) == (1, 1)
    assert (again.overdue, again.supervised) == (0, 0)
    deadline.refresh_from_db()
    assert deadline.supervised_unit == cast.community
    assert "overdue" in kinds(mediator)
    assert kinds(cast.community_worker).count("supervision") == 1
    assert DisputeEvent.objects.filter(dispute=dispute, action="supervised").count() == 1


def test_a_units_own_limit_applies_to_its_subtree(cast):
    StepLimit.objects.create(step=1, unit=cast.community, amount=3, time_unit="working_days")
    with time_machine.travel(START, tick=False):
        df.mediator_of(cast.grid)
        dispute = df.dispute(cast.grid, cast.grid_worker)
    assert StepDeadline.objects.get(dispute=dispute).due_at.date() == dt.date(2026, 3, 5)


def test_working_days_skip_the_national_day_holiday(cast):
    StepLimit.objects.update_or_create(
        step=1, unit=None, defaults={"amount": 2, "time_unit": "working_days"}
    )
    with time_machine.travel(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), tick=False):
        df.mediator_of(cast.grid)
        dispute = df.dispute(cast.grid, cast.grid_worker)
    assert StepDeadline.objects.get(dispute=dispute).due_at.date() == dt.date(2026, 10, 9)


def test_a_term_past_its_date_and_the_confirmation_window_are_reminded_once(
    cast, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(START, tick=False) as clock,
        django_capture_on_commit_callbacks(execute=True),
    ):
        mediator = df.mediator_of(cast.grid)
        dispute = df.dispute(cast.grid, cast.grid_worker)
        services.settle(dispute, by=mediator, settlement=df.settlement())
        clock.move_to(START + dt.timedelta(days=5))
        assert services.sweep().terms == 1
        assert services.sweep().terms == 0
        clock.move_to(START + dt.timedelta(days=25))
        assert services.sweep().confirmations == 1
        assert services.sweep().confirmations == 0
    assert kinds(mediator).count("term_due") == 1
    assert kinds(mediator).count("confirmation") == 1


def test_the_sweep_command_runs_both_sweeps(cast):
    reports = run_all()
    assert set(reports) >= {"matters", "disputes"}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time: concurrent sweeps need PostgreSQL",
)
def test_two_sweeps_at_once_supervise_once(cast, transactional_db):
    with time_machine.travel(START, tick=False):
        df.mediator_of(cast.grid)
        disputes = [df.dispute(cast.grid, cast.grid_worker) for _ in range(5)]
    later = dt.datetime(2026, 3, 12, 9, 0, tzinfo=SHANGHAI)
    reports, errors = [], []

    def run() -> None:
        try:
            reports.append(services.sweep(later))
        except Exception as exc:  # reported below: a thread's exception would be lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.overdue for r in reports) == len(disputes)
    assert sum(r.supervised for r in reports) == len(disputes)
    assert Notification.objects.filter(kind="supervision").count() == len(disputes)
