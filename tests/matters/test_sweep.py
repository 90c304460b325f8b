"""matters.services.sweep: reminds before a deadline, marks it overdue, raises supervision (督办) to the
level above, closes answered matters after the review window — once, however often and however
many sweeps run."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
import zoneinfo

import pytest
import time_machine
from django.db import connection, connections

from tests.matters import factories as mf
from xinkan.audit.models import AuditEntry
from xinkan.matters import services
from xinkan.matters.models import (
    Deadline,
    Matter,
    MatterEvent,
    Notification,
    Rating,
    Stage,
    State,
    Supervision,
)

sweep_module = importlib.import_module("xinkan.matters.services.sweep")

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def registered_on_national_day_eve(cast):  # type: ignore[no-untyped-def]
    """Registered Wednesday 30 September 2026, 10:00. First response due after the National Day
    holiday (1-7 October): Friday 9 October 23:59:59, reminded from 19:59:59."""
    with time_machine.travel(local(2026, 9, 30, 10, 0), tick=False):
        return mf.matter(cast.grid, cast.grid_worker)


def facts() -> dict[str, object]:
    return {
        "notifications": sorted(Notification.objects.values_list("dedupe_key", flat=True)),
        "supervisions": Supervision.objects.count(),
        "events": MatterEvent.objects.count(),
        "audit": AuditEntry.objects.count(),
        "deadlines": list(
            Deadline.objects.order_by("pk").values_list("reminded_at", "overdue_at", "met_at")
        ),
        "states": list(Matter.objects.order_by("pk").values_list("state", "version")),
    }


def sweep_at(moment: dt.datetime) -> services.SweepReport:
    with time_machine.travel(moment, tick=False):
        return services.sweep()


def kinds(user):  # type: ignore[no-untyped-def]
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


# --- Reminders -----------------------------------------------------------------------------------------


def test_nothing_is_due_during_the_holiday(cast):
    registered_on_national_day_eve(cast)
    before = facts()

    report = sweep_at(local(2026, 10, 5, 12, 0))

    assert (report.reminded, report.overdue, report.supervised, report.closed) == (0, 0, 0, 0)
    assert facts() == before


def test_the_sweep_reminds_once_before_the_deadline(cast):
    matter = registered_on_national_day_eve(cast)

    report = sweep_at(local(2026, 10, 9, 20, 30))

    assert (report.reminded, report.overdue) == (1, 0)
    respond = Deadline.objects.get(matter=matter, stage=Stage.RESPOND)
    assert respond.reminded_at == local(2026, 10, 9, 20, 30)
    assert respond.overdue_at is None
    assert kinds(cast.community_worker) == ["due_soon", "new"]
    assert matter.code in Notification.objects.get(kind="due_soon").text

    before = facts()
    again = sweep_at(local(2026, 10, 9, 21, 0))
    assert (again.reminded, again.overdue) == (0, 0)
    assert facts() == before


def test_a_met_deadline_is_neither_reminded_nor_overdue(cast):
    matter = registered_on_national_day_eve(cast)
    with time_machine.travel(local(2026, 10, 8, 9, 0), tick=False):
        services.accept_matter(matter, by=cast.community_worker)
    before = facts()

    report = sweep_at(local(2026, 10, 20, 9, 0))

    assert (report.reminded, report.overdue, report.supervised) == (0, 0, 0)
    assert facts() == before


def test_a_declined_matter_has_no_deadlines_left(cast):
    matter = registered_on_national_day_eve(cast)
    services.decline_matter(matter, by=cast.community_worker, reason="不属于受理范围")
    before = facts()

    report = sweep_at(local(2026, 10, 20, 9, 0))

    assert report.overdue == 0
    assert facts() == before


# --- Overdue and supervision ------------------------------------------------------------------------------


def test_an_overdue_deadline_is_marked_once_and_supervised_by_the_level_above(cast):
    matter = registered_on_national_day_eve(cast)
    sweep_at(local(2026, 10, 9, 20, 30))  # the reminder

    report = sweep_at(local(2026, 10, 10, 0, 30))

    assert (report.reminded, report.overdue, report.supervised) == (0, 1, 1)
    respond = Deadline.objects.get(matter=matter, stage=Stage.RESPOND)
    assert respond.overdue_at == local(2026, 10, 10, 0, 30)
    supervision = Supervision.objects.get()
    assert (supervision.matter, supervision.deadline, supervision.unit) == (
        matter,
        respond,
        cast.subdistrict,
    )
    actions = list(MatterEvent.objects.filter(matter=matter).values_list("action", flat=True))
    assert actions[-2:] == ["overdue", "supervised"]
    assert kinds(cast.community_worker) == ["due_soon", "new", "overdue"]
    assert kinds(cast.cadre) == ["supervision"]  # the subdistrict's supervisor
    assert kinds(cast.leader) == []  # the district is not the level above the community

    before = facts()
    again = sweep_at(local(2026, 10, 10, 1, 0))
    assert (again.reminded, again.overdue, again.supervised) == (0, 0, 0)
    assert facts() == before


def test_each_overdue_deadline_is_its_own_fact(cast):
    matter = registered_on_national_day_eve(cast)
    sweep_at(local(2026, 10, 10, 0, 30))  # first response overdue

    report = sweep_at(local(2026, 10, 16, 0, 30))  # acceptance (15 days) overdue too

    assert (report.overdue, report.supervised) == (1, 1)
    assert Supervision.objects.filter(matter=matter).count() == 2
    overdue = Notification.objects.filter(user=cast.community_worker, kind="overdue")
    assert overdue.count() == 2
    assert Notification.objects.filter(user=cast.cadre, kind="supervision").count() == 2


def test_an_overdue_handling_deadline_is_told_to_the_lead_department(cast):
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        matter = mf.handling(cast)

    report = sweep_at(local(2026, 5, 2, 0, 30))  # 60 days from acceptance have passed

    assert report.overdue == 1
    assert Deadline.objects.get(matter=matter, stage=Stage.HANDLE).overdue_at is not None
    assert kinds(cast.handler) == ["dispatched", "overdue"]
    assert Supervision.objects.get(matter=matter).unit == cast.subdistrict


def test_an_approved_extension_is_reminded_again_before_the_new_date(cast):
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        matter = mf.handling(cast)
    sweep_at(local(2026, 4, 26, 9, 0))  # reminded a week before 1 May
    request = services.request_extension(matter, by=cast.handler, days=10, reason="需更换电梯主板")
    services.decide_extension(request, by=cast.community_worker, approve=True)

    report = sweep_at(local(2026, 5, 6, 9, 0))  # a week before 11 May

    assert report.reminded == 1
    assert report.overdue == 0
    assert kinds(cast.handler).count("due_soon") == 2


def test_sweep_all_works_through_every_batch(cast, monkeypatch):
    monkeypatch.setattr(sweep_module, "BATCH", 1)
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        for n in range(3):
            mf.matter(
                cast.grid,
                cast.grid_worker,
                contact_phone=f"1380000000{n}",
                description=f"{n}号楼路灯不亮{'了' * n}",
            )

    with time_machine.travel(local(2026, 3, 20, 9, 0), tick=False):
        report = services.sweep_all()

    # Each matter's first response (2 working days) and acceptance (15 days) are overdue.
    assert (report.overdue, report.supervised) == (6, 6)
    assert Deadline.objects.filter(overdue_at__isnull=True).count() == 0


# --- Closing after the review window -------------------------------------------------------------------------


@pytest.mark.parametrize(("rating", "solved"), [(None, None), (Rating.DISSATISFIED, False)])
def test_an_answered_matter_is_closed_once_the_review_window_has_passed(cast, rating, solved):
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        matter = mf.replied(cast)
        if rating:
            services.record_follow_up(matter, rating=rating, by=cast.community_worker)

    within = sweep_at(local(2026, 4, 1, 23, 0))  # the 30th day
    assert within.closed == 0
    assert Matter.objects.get(pk=matter.pk).state == State.REPLIED

    report = sweep_at(local(2026, 4, 2, 0, 30))

    assert report.closed == 1
    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.solved) == (State.RESOLVED, solved)
    assert stored.closed_at == local(2026, 4, 2, 0, 30)
    event = MatterEvent.objects.get(matter=matter, action="closed_without_review")
    assert event.actor is None
    assert event.to_state == State.RESOLVED
    assert not Deadline.objects.filter(matter=matter, met_at__isnull=True, cancelled=False).exists()

    before = facts()
    assert sweep_at(local(2026, 4, 3, 0, 30)).closed == 0
    assert facts() == before


def test_matters_whose_window_is_still_open_never_hold_back_expired_ones(cast, monkeypatch):
    monkeypatch.setattr(sweep_module, "BATCH", 2)
    # Made first (lower ids), answered a day later: past 30×24 h at the sweep, window still open.
    for n in range(2):
        with time_machine.travel(local(2026, 3, 2, 8 + n, 0), tick=False):
            mf.replied(
                cast,
                contact_phone=f"1390000000{n}",
                description=f"{n}号楼门口路灯不亮{'了' * n}",
            )
    with time_machine.travel(local(2026, 3, 1, 10, 0), tick=False):
        expired = mf.replied(cast, contact_phone="13900000009", description="菜市场旁积水严重")

    report = sweep_at(local(2026, 4, 1, 9, 30))

    assert report.closed == 1
    assert Matter.objects.get(pk=expired.pk).state == State.RESOLVED
    assert Matter.objects.filter(state=State.REPLIED).count() == 2


def test_a_matter_under_review_is_not_closed(cast):
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        matter = mf.replied(cast)
        services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")

    report = sweep_at(local(2026, 4, 10, 9, 0))

    assert report.closed == 0
    assert Matter.objects.get(pk=matter.pk).state == State.REVIEW


# --- Several sweeps at once (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time: concurrent sweeps need PostgreSQL",
)
def test_two_sweeps_at_once_supervise_and_notify_once(cast, transactional_db):
    matters = []
    with time_machine.travel(local(2026, 9, 30, 10, 0), tick=False):
        for n in range(3):
            matters.append(
                mf.matter(
                    cast.grid,
                    cast.grid_worker,
                    contact_phone=f"1380000000{n}",
                    description=["电梯坏了三天没人修", "路灯不亮晚上很黑", "垃圾堆放无人清运"][n],
                )
            )
    now = local(2026, 10, 10, 0, 30)  # every first response is overdue
    workers = 4
    start = threading.Barrier(workers)
    reports: list[services.SweepReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reports.append(services.sweep(now))
        except BaseException as error:  # reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(report.overdue for report in reports) == 3
    assert sum(report.supervised for report in reports) == 3
    for matter in matters:
        assert Supervision.objects.filter(matter=matter).count() == 1
        assert MatterEvent.objects.filter(matter=matter, action="overdue").count() == 1
        assert MatterEvent.objects.filter(matter=matter, action="supervised").count() == 1
        for user, kind in [(cast.community_worker, "overdue"), (cast.cadre, "supervision")]:
            assert Notification.objects.filter(matter=matter, user=user, kind=kind).count() == 1
    assert not Notification.objects.filter(
        user__in=[cast.leader, cast.handler, cast.outsider]
    ).exists()
