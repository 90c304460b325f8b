"""matters.services.companions: 带办陪访 — a cadre handles a matter for the resident (代办, with its own
deadline) or accompanies them (陪办), records the visits, and goes up with the matter on review."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tests.matters import factories as mf
from tests.matters.checks import assert_refused
from xinkan.matters import services
from xinkan.matters.models import (
    AccompaniedVisit,
    Companion,
    CompanionMode,
    Deadline,
    Matter,
    MatterEvent,
    Outcome,
    Rating,
    Stage,
)
from xinkan.matters.services import InvalidTransition, MatterError


def visit(companion, by, **values):  # type: ignore[no-untyped-def]
    defaults = {
        "at": timezone.now() - dt.timedelta(hours=1),
        "place": "清河区住建局信访接待室",
        "summary": "陪同居民向住建局反映电梯问题，接待人员答应三日内派人查看",
    }
    defaults.update(values)
    return services.record_visit(companion, by=by, **defaults)


def test_handling_for_the_resident_opens_a_proxy_deadline(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    version = Matter.objects.get(pk=matter.pk).version

    # From Monday 2 March 2026 (the day itself not counted), the 15th working day is Monday 23 March.
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        companion = services.take_matter(matter, by=cast.cadre, mode=CompanionMode.PROXY)

    assert (companion.cadre, companion.mode, companion.active) == (
        cast.cadre,
        CompanionMode.PROXY,
        True,
    )
    proxy = Deadline.objects.get(matter=matter, stage=Stage.PROXY)
    assert proxy.due_at == dt.datetime(2026, 3, 23, 15, 59, 59, tzinfo=dt.UTC)
    event = MatterEvent.objects.get(matter=matter, action="taken_for_resident")
    assert (event.actor, event.public, event.data) == (cast.cadre, True, {"mode": "proxy"})
    assert Matter.objects.get(pk=matter.pk).version == version + 1


def test_accompanying_has_no_deadline_of_its_own(cast):
    matter = mf.handling(cast)

    services.take_matter(matter, by=cast.community_worker, mode=CompanionMode.ACCOMPANY)

    assert not Deadline.objects.filter(matter=matter, stage=Stage.PROXY).exists()
    assert MatterEvent.objects.filter(matter=matter, action="accompanied").count() == 1


def test_a_cadre_is_with_a_matter_once(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    services.take_matter(matter, by=cast.cadre, mode=CompanionMode.PROXY)

    assert_refused(
        matter,
        lambda: services.take_matter(matter, by=cast.cadre, mode=CompanionMode.ACCOMPANY),
        InvalidTransition,
    )


def test_two_cadres_may_be_with_the_same_matter(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)

    services.take_matter(matter, by=cast.cadre, mode=CompanionMode.PROXY)
    services.take_matter(matter, by=cast.community_worker, mode=CompanionMode.ACCOMPANY)

    assert Companion.objects.filter(matter=matter, active=True).count() == 2


def test_an_unknown_mode_is_refused(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)

    assert_refused(
        matter, lambda: services.take_matter(matter, by=cast.cadre, mode="carry"), MatterError
    )


@pytest.mark.parametrize("role", ["grid_worker", "handler", "leader", "outsider"])
def test_only_cadres_of_the_area_take_a_matter(cast, role):
    matter = mf.matter(cast.grid, cast.grid_worker)

    assert_refused(
        matter,
        lambda: services.take_matter(matter, by=getattr(cast, role), mode=CompanionMode.PROXY),
        PermissionDenied,
        audited="accompany",
    )


def test_a_closed_matter_is_not_taken(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    services.decline_matter(matter, by=cast.community_worker, reason="不属于受理范围")

    assert_refused(
        matter,
        lambda: services.take_matter(matter, by=cast.cadre, mode=CompanionMode.PROXY),
        InvalidTransition,
    )


# --- Visits ----------------------------------------------------------------------------------------


def test_the_cadre_records_a_visit(cast):
    matter = mf.handling(cast)
    companion = services.take_matter(matter, by=cast.cadre, mode=CompanionMode.ACCOMPANY)

    recorded = visit(companion, cast.cadre, department=cast.department, met="赵科长")

    stored = AccompaniedVisit.objects.get(pk=recorded.pk)
    assert (stored.companion, stored.department, stored.met) == (
        companion,
        cast.department,
        "赵科长",
    )
    event = MatterEvent.objects.get(matter=matter, action="accompanied_visit")
    assert event.actor == cast.cadre
    assert event.data == {
        "place": "清河区住建局信访接待室",
        "department": cast.department.pk,
        "met": "赵科长",
    }


@pytest.mark.parametrize("role", ["community_worker", "handler", "outsider"])
def test_visits_are_recorded_only_by_the_accompanying_cadre(cast, role):
    matter = mf.handling(cast)
    companion = services.take_matter(matter, by=cast.cadre, mode=CompanionMode.ACCOMPANY)

    assert_refused(
        matter,
        lambda: visit(companion, getattr(cast, role)),
        PermissionDenied,
        audited="record_visit",
    )


def test_a_released_cadre_records_no_more_visits(cast):
    matter = mf.handling(cast)
    companion = services.take_matter(matter, by=cast.cadre, mode=CompanionMode.ACCOMPANY)
    services.release_matter(companion, by=cast.cadre)
    companion.refresh_from_db()

    assert_refused(
        matter, lambda: visit(companion, cast.cadre), PermissionDenied, audited="record_visit"
    )


@pytest.mark.parametrize(
    "values",
    [
        {"place": "  "},
        {"summary": "去了"},
        {"at": dt.datetime(2100, 1, 1, tzinfo=dt.UTC)},  # in the future
    ],
)
def test_a_visit_says_where_when_and_what(cast, values):
    matter = mf.handling(cast)
    companion = services.take_matter(matter, by=cast.cadre, mode=CompanionMode.ACCOMPANY)

    assert_refused(matter, lambda: visit(companion, cast.cadre, **values), MatterError)


# --- Up the levels, and stepping back --------------------------------------------------------------------


def test_the_companion_goes_up_with_a_review(cast):
    matter = mf.replied(cast)
    services.take_matter(matter, by=cast.community_worker, mode=CompanionMode.ACCOMPANY)

    services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")

    event = MatterEvent.objects.get(matter=matter, action="companion_goes_up")
    assert event.actor == cast.community_worker
    assert cast.subdistrict.name in event.note
    assert Companion.objects.get(matter=matter).active


def test_the_answer_meets_the_proxy_deadline(cast):
    matter = mf.handled_by_unit(cast)
    services.take_matter(matter, by=cast.cadre, mode=CompanionMode.PROXY)

    services.reply_to_matter(
        matter, by=cast.community_worker, text=mf.REPLY, outcome=Outcome.SUPPORTED
    )

    assert Deadline.objects.get(matter=matter, stage=Stage.PROXY).met_at is not None


def test_a_solved_matter_releases_its_companions(cast):
    matter = mf.replied(cast)
    services.take_matter(matter, by=cast.cadre, mode=CompanionMode.ACCOMPANY)

    services.record_follow_up(matter, rating=Rating.SATISFIED, by=cast.community_worker)

    assert not Companion.objects.get(matter=matter).active


def test_the_cadre_steps_back(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    companion = services.take_matter(matter, by=cast.cadre, mode=CompanionMode.PROXY)

    services.release_matter(companion, by=cast.cadre, note="居民已自行办理")

    assert not Companion.objects.get(pk=companion.pk).active
    assert Deadline.objects.get(matter=matter, stage=Stage.PROXY).cancelled
    event = MatterEvent.objects.get(matter=matter, action="companion_released")
    assert event.note == "居民已自行办理"
    # Stepping back twice changes nothing more.
    services.release_matter(companion, by=cast.cadre)
    assert MatterEvent.objects.filter(matter=matter, action="companion_released").count() == 1


def test_only_the_cadre_steps_back(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    companion = services.take_matter(matter, by=cast.cadre, mode=CompanionMode.PROXY)

    assert_refused(
        matter,
        lambda: services.release_matter(companion, by=cast.community_worker),
        PermissionDenied,
        audited="release",
    )
