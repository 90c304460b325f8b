"""matters.services.workflow: dispatching (派单) to a lead department and co-handlers (首接负责制),
and departments signing for their part (签收)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from tests import factories
from tests.matters import factories as mf
from tests.matters.checks import assert_refused
from xinkan.matters import services
from xinkan.matters.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Deadline,
    Matter,
    MatterEvent,
    Notification,
    Stage,
    State,
)
from xinkan.matters.services import InvalidTransition, MatterError, StaleMatter


@pytest.fixture
def civil_affairs(cast):  # type: ignore[no-untyped-def]
    """A second district department (民政局) with its own handler."""
    department = factories.department("清河区民政局", cast.district, code="139901-MZJ")
    department.handler = mf.handler_of(department, "mzj")
    return department


@pytest.fixture
def street_office(cast):  # type: ignore[no-untyped-def]
    """A department of the subdistrict (东风街道城管科)."""
    department = factories.department("东风街道城管科", cast.subdistrict, code="139901001-CG")
    department.handler = mf.handler_of(department, "cgk")
    return department


def assignments(matter):  # type: ignore[no-untyped-def]
    return list(
        Assignment.objects.filter(matter=matter)
        .order_by("pk")
        .values_list("department_id", "role", "state")
    )


# --- Dispatch ------------------------------------------------------------------------------------


def test_dispatch_names_one_lead_and_co_handling_departments(cast, civil_affairs, street_office):
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        matter = mf.accepted(cast)
    version = Matter.objects.get(pk=matter.pk).version

    services.dispatch_matter(
        matter,
        lead=cast.department,
        co=[civil_affairs, street_office, cast.department],  # the lead is not also a co-handler
        by=cast.community_worker,
        version=version,
        note="请住建局牵头",
    )

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.lead_department) == (State.DISPATCHED, cast.department)
    assert stored.version == version + 1
    assert assignments(matter) == [
        (cast.department.pk, AssignmentRole.LEAD, AssignmentState.PENDING),
        (civil_affairs.pk, AssignmentRole.CO, AssignmentState.PENDING),
        (street_office.pk, AssignmentRole.CO, AssignmentState.PENDING),
    ]
    event = MatterEvent.objects.get(matter=matter, action="dispatched")
    assert event.data == {"lead": cast.department.pk, "co": [civil_affairs.pk, street_office.pk]}
    assert event.note == "请住建局牵头"
    # The handling time (60 days) runs from the acceptance.
    handle = Deadline.objects.get(matter=matter, stage=Stage.HANDLE)
    assert handle.due_at == dt.datetime(2026, 5, 1, 15, 59, 59, tzinfo=dt.UTC)
    told = set(
        Notification.objects.filter(matter=matter, kind="dispatched").values_list("user", flat=True)
    )
    assert told == {cast.handler.pk, civil_affairs.handler.pk, street_office.handler.pk}


def test_dispatching_a_registered_matter_accepts_it_first(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)

    services.dispatch_matter(matter, lead=cast.department, by=cast.community_worker)

    stored = Matter.objects.get(pk=matter.pk)
    assert stored.state == State.DISPATCHED
    assert stored.accepted_at is not None
    actions = list(MatterEvent.objects.filter(matter=matter).values_list("action", flat=True))
    assert actions == ["registered", "accepted", "dispatched"]


def test_a_department_of_the_subdistrict_above_may_lead(cast, street_office):
    matter = mf.accepted(cast)

    services.dispatch_matter(matter, lead=street_office, by=cast.community_worker)

    assert Matter.objects.get(pk=matter.pk).lead_department == street_office


@pytest.mark.parametrize("as_co", [False, True])
def test_a_department_of_another_subdistrict_cannot_take_the_matter(cast, as_co):
    elsewhere = factories.department("胜利街道城管科", cast.other_subdistrict, code="139901002-CG")
    matter = mf.accepted(cast)
    lead, co = (cast.department, [elsewhere]) if as_co else (elsewhere, [])

    assert_refused(
        matter,
        lambda: services.dispatch_matter(matter, lead=lead, co=co, by=cast.community_worker),
        MatterError,
    )


def test_an_inactive_department_cannot_take_the_matter(cast, civil_affairs):
    civil_affairs.is_active = False
    civil_affairs.save()
    matter = mf.accepted(cast)

    assert_refused(
        matter,
        lambda: services.dispatch_matter(matter, lead=civil_affairs, by=cast.community_worker),
        MatterError,
    )


@pytest.mark.parametrize("role", ["grid_worker", "handler", "admin", "outsider"])
def test_only_the_responsible_unit_and_above_dispatch(cast, role):
    matter = mf.accepted(cast)

    assert_refused(
        matter,
        lambda: services.dispatch_matter(matter, lead=cast.department, by=getattr(cast, role)),
        PermissionDenied,
        audited="dispatch",
    )


@pytest.mark.parametrize("role", ["cadre", "leader"])
def test_the_levels_above_may_dispatch_too(cast, role):
    matter = mf.accepted(cast)

    services.dispatch_matter(matter, lead=cast.department, by=getattr(cast, role))

    assert Matter.objects.get(pk=matter.pk).state == State.DISPATCHED


@pytest.mark.parametrize("make", [mf.dispatched, mf.handling, mf.replied])
def test_a_matter_with_departments_is_not_dispatched_again(cast, make, civil_affairs):
    matter = make(cast)

    assert_refused(
        matter,
        lambda: services.dispatch_matter(matter, lead=civil_affairs, by=cast.community_worker),
        InvalidTransition,
    )


def test_a_declined_matter_is_not_dispatched(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    services.decline_matter(matter, by=cast.community_worker, reason="不属于受理范围")

    assert_refused(
        matter,
        lambda: services.dispatch_matter(matter, lead=cast.department, by=cast.community_worker),
        InvalidTransition,
    )


@pytest.mark.parametrize("make", [mf.accepted, lambda cast: mf.matter(cast.grid, cast.grid_worker)])
def test_dispatching_from_a_stale_form_is_refused(cast, make):
    matter = make(cast)
    loaded = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")  # someone else changed it

    assert_refused(
        matter,
        lambda: services.dispatch_matter(
            matter, lead=cast.department, by=cast.community_worker, version=loaded
        ),
        StaleMatter,
    )


def test_redispatch_after_the_lead_returned_it_keeps_one_part_per_department(cast, civil_affairs):
    matter = mf.dispatched(cast, co=[civil_affairs])
    services.return_to_dispatcher(matter, by=cast.handler, reason="不属于本局职责")

    services.dispatch_matter(
        matter, lead=civil_affairs, co=[cast.department], by=cast.community_worker
    )

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.lead_department) == (State.DISPATCHED, civil_affairs)
    live = Assignment.objects.filter(matter=matter).exclude(state=AssignmentState.WITHDRAWN)
    assert sorted(live.values_list("department_id", "role")) == sorted(
        [(civil_affairs.pk, AssignmentRole.LEAD), (cast.department.pk, AssignmentRole.CO)]
    )
    # One handling deadline, still counted from the first acceptance.
    assert Deadline.objects.filter(matter=matter, stage=Stage.HANDLE).count() == 1


# --- Sign for --------------------------------------------------------------------------------------


def test_the_lead_signing_for_starts_the_handling(cast):
    matter = mf.dispatched(cast)
    version = Matter.objects.get(pk=matter.pk).version

    services.sign_for(matter, by=cast.handler, version=version)

    stored = Matter.objects.get(pk=matter.pk)
    assert stored.state == State.HANDLING
    assert stored.version == version + 1
    lead = Assignment.objects.get(matter=matter, role=AssignmentRole.LEAD)
    assert lead.state == AssignmentState.SIGNED
    assert lead.signed_at is not None
    event = MatterEvent.objects.get(matter=matter, action="signed_for")
    assert (event.from_state, event.to_state, event.actor) == (
        State.DISPATCHED,
        State.HANDLING,
        cast.handler,
    )


def test_a_co_handler_signing_for_does_not_start_the_handling(cast, civil_affairs):
    matter = mf.dispatched(cast, co=[civil_affairs])
    version = Matter.objects.get(pk=matter.pk).version

    services.sign_for(matter, by=civil_affairs.handler)

    stored = Matter.objects.get(pk=matter.pk)
    assert stored.state == State.DISPATCHED
    assert stored.version == version + 1  # open forms are stale all the same
    co = Assignment.objects.get(matter=matter, role=AssignmentRole.CO)
    assert co.state == AssignmentState.SIGNED
    assert MatterEvent.objects.filter(matter=matter, action="co_signed_for").count() == 1
    assert Assignment.objects.get(matter=matter, role=AssignmentRole.LEAD).state == (
        AssignmentState.PENDING
    )


def test_signing_for_twice_is_an_invalid_transition(cast):
    matter = mf.handling(cast)

    assert_refused(matter, lambda: services.sign_for(matter, by=cast.handler), InvalidTransition)


@pytest.mark.parametrize("role", ["community_worker", "cadre", "leader", "grid_worker", "outsider"])
def test_only_a_department_the_matter_went_to_signs_for_it(cast, role):
    matter = mf.dispatched(cast)

    assert_refused(
        matter,
        lambda: services.sign_for(matter, by=getattr(cast, role)),
        PermissionDenied,
        audited="handle",
    )


def test_another_departments_handler_cannot_sign_for(cast, civil_affairs):
    matter = mf.dispatched(cast)

    assert_refused(
        matter,
        lambda: services.sign_for(matter, by=civil_affairs.handler),
        PermissionDenied,
        audited="handle",
    )


def test_signing_for_from_a_stale_form_is_refused(cast):
    matter = mf.dispatched(cast)
    loaded = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")

    assert_refused(
        matter,
        lambda: services.sign_for(matter, by=cast.handler, version=loaded),
        StaleMatter,
    )
