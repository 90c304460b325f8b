"""matters.services.workflow: accepting (受理), declining (不予受理, always with a reason) and the
responsible unit handling a matter itself."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from tests.matters import factories as mf
from tests.matters.checks import assert_refused
from xinkan.matters import services
from xinkan.matters.models import Deadline, Matter, MatterEvent, Stage, State
from xinkan.matters.services import InvalidTransition, MatterError, StaleMatter

ACCEPTORS = ["community_worker", "cadre", "leader"]
NOT_ACCEPTORS = ["grid_worker", "handler", "admin", "outsider"]


@pytest.mark.parametrize("role", ACCEPTORS)
def test_staff_of_the_responsible_unit_and_above_accept(cast, role):
    matter = mf.matter(cast.grid, cast.grid_worker)
    version = matter.version
    now = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)

    with time_machine.travel(now, tick=False):
        services.accept_matter(matter, by=getattr(cast, role), version=version, note="属实，受理")

    stored = Matter.objects.get(pk=matter.pk)
    assert stored.state == State.ACCEPTED
    assert stored.version == version + 1
    assert stored.accepted_at == now
    assert stored.first_response_at == now
    event = MatterEvent.objects.get(matter=matter, action="accepted")
    assert (event.actor, event.from_state, event.to_state) == (
        getattr(cast, role),
        State.REGISTERED,
        State.ACCEPTED,
    )
    assert event.public
    assert event.note == "属实，受理"


def test_accepting_meets_the_response_and_acceptance_deadlines(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)

    services.accept_matter(matter, by=cast.community_worker)

    met = dict(Deadline.objects.filter(matter=matter).values_list("stage", "met_at"))
    assert set(met) == {Stage.RESPOND, Stage.ACCEPT}
    assert all(met.values())


@pytest.mark.parametrize("role", NOT_ACCEPTORS)
def test_others_may_not_accept(cast, role):
    matter = mf.matter(cast.grid, cast.grid_worker)

    assert_refused(
        matter,
        lambda: services.accept_matter(matter, by=getattr(cast, role)),
        PermissionDenied,
        audited="accept",
    )


def test_a_matter_of_another_community_is_out_of_scope(cast):
    matter = mf.matter(cast.neighbour_grid, cast.outsider)

    assert_refused(
        matter,
        lambda: services.accept_matter(matter, by=cast.community_worker),
        PermissionDenied,
        audited="accept",
    )


@pytest.mark.parametrize("make", [mf.accepted, mf.dispatched, mf.replied])
def test_accepting_twice_or_later_is_an_invalid_transition(cast, make):
    matter = make(cast)

    assert_refused(
        matter, lambda: services.accept_matter(matter, by=cast.community_worker), InvalidTransition
    )


def test_accepting_with_a_stale_form_is_refused(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    loaded = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")  # bumps the version

    assert_refused(
        matter,
        lambda: services.accept_matter(matter, by=cast.community_worker, version=loaded),
        StaleMatter,
    )


# --- Decline ---------------------------------------------------------------------------------------


def test_declining_needs_a_reason_the_resident_is_told(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)

    services.decline_matter(
        matter, by=cast.community_worker, reason="  属于法院诉讼程序，请依法起诉  "
    )

    stored = Matter.objects.get(pk=matter.pk)
    assert stored.state == State.DECLINED
    assert stored.closed_at is not None
    assert stored.first_response_at is not None
    event = MatterEvent.objects.get(matter=matter, action="declined")
    assert (event.note, event.public) == ("属于法院诉讼程序，请依法起诉", True)
    assert not Deadline.objects.filter(matter=matter, met_at__isnull=True, cancelled=False).exists()
    assert Deadline.objects.get(matter=matter, stage=Stage.RESPOND).met_at is not None
    assert Deadline.objects.get(matter=matter, stage=Stage.ACCEPT).cancelled


@pytest.mark.parametrize("reason", ["", "   ", "不行"])
def test_declining_without_a_reason_is_refused(cast, reason):
    matter = mf.matter(cast.grid, cast.grid_worker)

    assert_refused(
        matter,
        lambda: services.decline_matter(matter, by=cast.community_worker, reason=reason),
        MatterError,
    )


@pytest.mark.parametrize("role", NOT_ACCEPTORS)
def test_others_may_not_decline(cast, role):
    matter = mf.matter(cast.grid, cast.grid_worker)

    assert_refused(
        matter,
        lambda: services.decline_matter(matter, by=getattr(cast, role), reason="不属于受理范围"),
        PermissionDenied,
        audited="decline",
    )


@pytest.mark.parametrize("make", [mf.accepted, mf.handling])
def test_an_accepted_matter_cannot_be_declined(cast, make):
    matter = make(cast)

    assert_refused(
        matter,
        lambda: services.decline_matter(matter, by=cast.community_worker, reason="不属于受理范围"),
        InvalidTransition,
    )


def test_declining_with_a_stale_form_is_refused(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    loaded = matter.version
    services.register_matter(  # a repeat visit folds in and bumps the version
        mf.intake(cast.grid, description="3号楼电梯已经坏了好几天，老人上下楼太难了，物业不来修"),
        by=cast.grid_worker,
    )
    matter.refresh_from_db()

    assert_refused(
        matter,
        lambda: services.decline_matter(
            matter, by=cast.community_worker, reason="不属于受理范围", version=loaded
        ),
        StaleMatter,
    )


# --- The unit handles it itself --------------------------------------------------------------------


def test_the_community_handles_a_registered_matter_itself(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        matter = mf.matter(cast.grid, cast.grid_worker)
        services.handle_by_unit(matter, by=cast.community_worker, note="社区直接协调物业")

    stored = Matter.objects.get(pk=matter.pk)
    assert stored.state == State.HANDLING
    assert stored.lead_department is None
    actions = list(MatterEvent.objects.filter(matter=matter).values_list("action", flat=True))
    assert actions == ["registered", "accepted", "handling_by_unit"]
    handle = Deadline.objects.get(matter=matter, stage=Stage.HANDLE)
    # 60 calendar days from acceptance (2 March, Shanghai), to the end of the day.
    assert handle.due_at == dt.datetime(2026, 5, 1, 15, 59, 59, tzinfo=dt.UTC)


@pytest.mark.parametrize("role", ["grid_worker", "handler", "leader", "outsider"])
def test_only_the_responsible_unit_handles_a_matter_itself(cast, role):
    matter = mf.matter(cast.grid, cast.grid_worker)

    assert_refused(
        matter,
        lambda: services.handle_by_unit(matter, by=getattr(cast, role)),
        PermissionDenied,
        audited="handle",
    )


def test_a_dispatched_matter_is_not_handled_by_the_unit(cast):
    matter = mf.dispatched(cast)

    assert_refused(
        matter,
        lambda: services.handle_by_unit(matter, by=cast.community_worker),
        InvalidTransition,
    )


def test_handling_from_a_stale_form_is_refused(cast):
    matter = mf.accepted(cast)
    loaded = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")

    assert_refused(
        matter,
        lambda: services.handle_by_unit(matter, by=cast.community_worker, version=loaded),
        StaleMatter,
    )
