"""square.services.sessions: a session planned for a unit one runs sessions for, the departments
that answer at it, and its states (planned → open for questions → live → finished), each change
audited and made once however many press the button."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tests import factories
from tests.square import factories as sf
from xinkan.audit.models import AuditEntry
from xinkan.square import services
from xinkan.square.models import Session, SessionState
from xinkan.square.services import SquareError


def details(unit, **values):  # type: ignore[no-untyped-def]
    data = {
        "theme": "城市管理专场",
        "starts_at": timezone.now() + dt.timedelta(days=3),
        "place": "东风街道党群服务中心",
        "unit": unit,
    }
    data.update(values)
    return services.SessionDetails(**data)


@pytest.mark.parametrize("role", ["leader", "cadre"])
def test_leaders_and_cadres_plan_sessions_of_their_units(cast, role):
    session = services.plan_session(details(cast.subdistrict), by=getattr(cast, role))

    assert session.state == SessionState.PLANNED
    assert AuditEntry.objects.filter(
        action="square.session.planned", object_id=str(session.pk)
    ).exists()


@pytest.mark.parametrize("role", ["cadre", "handler", "community_worker", "outsider"])
def test_a_session_outside_ones_units_is_refused_and_audited(cast, role):
    user = getattr(cast, role)

    with pytest.raises(PermissionDenied):
        services.plan_session(details(cast.district), by=user)

    assert not Session.objects.exists()
    assert AuditEntry.objects.filter(action="square.denied", actor=user).exists()


def test_a_session_ends_after_it_starts(cast):
    start = timezone.now() + dt.timedelta(days=3)

    with pytest.raises(SquareError):
        services.plan_session(
            details(cast.district, starts_at=start, ends_at=start), by=cast.leader
        )


def test_the_states_in_order_each_once(cast):
    session = sf.session(cast, state="planned")

    services.open_for_questions(session, by=cast.leader)
    services.go_live(session, by=cast.leader)
    services.go_live(session, by=cast.leader)  # pressed twice
    services.finish_session(session, by=cast.leader, attendance=120)

    stored = Session.objects.get(pk=session.pk)
    assert (stored.state, stored.attendance) == (SessionState.FINISHED, 120)
    assert stored.opened_at and stored.started_at and stored.finished_at
    actions = list(
        AuditEntry.objects.filter(action__startswith="square.session.", object_id=str(session.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "square.session.planned",
        "square.session.opened",
        "square.session.live",
        "square.session.finished",
    ]


def test_a_finished_session_does_not_go_back(cast):
    session = sf.session(cast, state="finished")

    with pytest.raises(SquareError):
        services.open_for_questions(session, by=cast.leader)

    assert Session.objects.get(pk=session.pk).state == SessionState.FINISHED


def test_departments_answer_for_the_organising_unit_or_a_unit_above(cast):
    session = sf.session(cast, unit=cast.subdistrict, by=cast.cadre)  # 住建局 is the district's
    street_office = factories.department("胜利街道城管科", cast.other_subdistrict, code="X-CG")

    with pytest.raises(SquareError):
        services.add_panelist(
            session, department=street_office, leader_name="李科长", by=cast.cadre
        )
    with pytest.raises(SquareError):  # already taking part
        services.add_panelist(
            session, department=cast.department, leader_name="王局长", by=cast.cadre
        )

    assert session.panelists.count() == 1


def test_a_department_with_questions_is_not_removed(cast):
    session = sf.session(cast)
    sf.queued(session, cast.leader)

    with pytest.raises(SquareError):
        services.remove_panelist(sf.panelist(session), by=cast.leader)

    assert session.panelists.count() == 1


def test_attendance_is_recorded_once_the_session_has_started(cast):
    session = sf.session(cast)

    with pytest.raises(SquareError):
        services.record_attendance(session, attendance=100, by=cast.leader)
    services.go_live(session, by=cast.leader)
    services.record_attendance(session, attendance=100, by=cast.leader)

    assert Session.objects.get(pk=session.pk).attendance == 100
