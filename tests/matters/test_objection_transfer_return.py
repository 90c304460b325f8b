"""matters.services.workflow: a department objects to a dispatch (派单异议) and the dispatcher decides;
transfers (转办) with a reason; the lead returns a matter (退回); co-handlers report to the lead."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from tests import factories
from tests.matters import factories as mf
from tests.matters.checks import assert_refused, snapshot
from xinkan.matters import services
from xinkan.matters.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Matter,
    MatterEvent,
    Notification,
    Objection,
    State,
)
from xinkan.matters.services import InvalidTransition, MatterError, StaleMatter

REASON = "该事项属于物业服务合同纠纷，不属于本局职责"


@pytest.fixture
def civil_affairs(cast):  # type: ignore[no-untyped-def]
    department = factories.department("清河区民政局", cast.district, code="139901-MZJ")
    department.handler = mf.handler_of(department, "mzj")
    return department


def live(matter):  # type: ignore[no-untyped-def]
    return sorted(
        Assignment.objects.filter(matter=matter)
        .exclude(state=AssignmentState.WITHDRAWN)
        .values_list("department_id", "role", "state")
    )


# --- Objections ------------------------------------------------------------------------------------


def test_the_lead_department_objects_and_the_dispatcher_is_told(cast):
    matter = mf.dispatched(cast)
    version = Matter.objects.get(pk=matter.pk).version

    objection = services.object_to_dispatch(matter, by=cast.handler, reason=REASON)

    assert (objection.reason, objection.raised_by, objection.upheld) == (REASON, cast.handler, None)
    assert objection.assignment.department == cast.department
    assert Assignment.objects.get(pk=objection.assignment.pk).state == AssignmentState.OBJECTED
    stored = Matter.objects.get(pk=matter.pk)
    assert stored.state == State.DISPATCHED
    assert stored.version == version + 1
    event = MatterEvent.objects.get(matter=matter, action="dispatch_objected")
    assert event.data == {"department": cast.department.pk, "objection": objection.pk}
    notice = Notification.objects.get(matter=matter, kind="objection")
    assert notice.user == cast.community_worker


@pytest.mark.parametrize("reason", ["", "不对"])
def test_an_objection_needs_a_reason(cast, reason):
    matter = mf.dispatched(cast)

    assert_refused(
        matter,
        lambda: services.object_to_dispatch(matter, by=cast.handler, reason=reason),
        MatterError,
    )


def test_a_department_the_matter_did_not_go_to_cannot_object(cast, civil_affairs):
    matter = mf.dispatched(cast)

    assert_refused(
        matter,
        lambda: services.object_to_dispatch(matter, by=civil_affairs.handler, reason=REASON),
        PermissionDenied,
        audited="handle",
    )


def test_an_answered_matter_cannot_be_objected_to(cast):
    matter = mf.replied(cast)

    assert_refused(
        matter,
        lambda: services.object_to_dispatch(matter, by=cast.handler, reason=REASON),
        InvalidTransition,
    )


def test_one_objection_at_a_time(cast):
    matter = mf.dispatched(cast)
    services.object_to_dispatch(matter, by=cast.handler, reason=REASON)

    assert_refused(
        matter,
        lambda: services.object_to_dispatch(matter, by=cast.handler, reason=REASON),
        InvalidTransition,
    )


def test_an_upheld_objection_with_a_redirect_sends_the_matter_to_the_right_department(
    cast, civil_affairs
):
    matter = mf.handling(cast)
    objection = services.object_to_dispatch(matter, by=cast.handler, reason=REASON)

    services.decide_objection(
        objection,
        by=cast.community_worker,
        upheld=True,
        note="同意，改派民政局",
        redirect_to=civil_affairs,
    )

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.lead_department) == (State.DISPATCHED, civil_affairs)
    assert live(matter) == [(civil_affairs.pk, AssignmentRole.LEAD, AssignmentState.PENDING)]
    decided = Objection.objects.get(pk=objection.pk)
    assert (decided.upheld, decided.decided_by, decided.decision_note) == (
        True,
        cast.community_worker,
        "同意，改派民政局",
    )
    actions = list(MatterEvent.objects.filter(matter=matter).values_list("action", flat=True))
    assert actions[-2:] == ["objection_upheld", "transferred"]
    assert Notification.objects.filter(
        matter=matter, user=civil_affairs.handler, kind="dispatched"
    ).exists()


@pytest.mark.parametrize("make", [mf.dispatched, mf.handling])
def test_an_upheld_objection_without_a_redirect_goes_back_for_dispatch(cast, make):
    matter = make(cast)
    state = Matter.objects.get(pk=matter.pk).state
    objection = services.object_to_dispatch(matter, by=cast.handler, reason=REASON)

    services.decide_objection(objection, by=cast.community_worker, upheld=True)

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.lead_department) == (State.ACCEPTED, None)
    assert live(matter) == []
    event = MatterEvent.objects.get(matter=matter, action="returned_for_dispatch")
    assert (event.from_state, event.to_state) == (state, State.ACCEPTED)
    assert event.note == REASON  # the objection's reason when the decision gives none


@pytest.mark.parametrize(
    ("make", "restored"),
    [
        (mf.dispatched, AssignmentState.PENDING),
        (mf.handling, AssignmentState.SIGNED),
    ],
)
def test_a_rejected_objection_restores_the_assignment(cast, make, restored):
    matter = make(cast)
    state = Matter.objects.get(pk=matter.pk).state
    objection = services.object_to_dispatch(matter, by=cast.handler, reason=REASON)

    services.decide_objection(
        objection, by=cast.community_worker, upheld=False, note="属于住建局职责"
    )

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.lead_department) == (state, cast.department)
    assert live(matter) == [(cast.department.pk, AssignmentRole.LEAD, restored)]
    assert Objection.objects.get(pk=objection.pk).upheld is False
    assert MatterEvent.objects.filter(matter=matter, action="objection_rejected").count() == 1


def test_an_upheld_objection_of_a_co_handler_releases_only_it(cast, civil_affairs):
    matter = mf.handling(cast, co=[civil_affairs])
    objection = services.object_to_dispatch(matter, by=civil_affairs.handler, reason=REASON)

    services.decide_objection(objection, by=cast.community_worker, upheld=True)

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.lead_department) == (State.HANDLING, cast.department)
    assert live(matter) == [(cast.department.pk, AssignmentRole.LEAD, AssignmentState.SIGNED)]


def test_an_objection_is_decided_once(cast):
    matter = mf.dispatched(cast)
    objection = services.object_to_dispatch(matter, by=cast.handler, reason=REASON)
    services.decide_objection(objection, by=cast.community_worker, upheld=False)

    assert_refused(
        matter,
        lambda: services.decide_objection(objection, by=cast.community_worker, upheld=True),
        InvalidTransition,
    )


@pytest.mark.parametrize("role", ["handler", "grid_worker", "outsider", "admin"])
def test_only_the_dispatcher_decides_an_objection(cast, role):
    matter = mf.dispatched(cast)
    objection = services.object_to_dispatch(matter, by=cast.handler, reason=REASON)

    assert_refused(
        matter,
        lambda: services.decide_objection(objection, by=getattr(cast, role), upheld=True),
        PermissionDenied,
        audited="decide_objection",
    )
    assert Objection.objects.get(pk=objection.pk).upheld is None


def test_a_redirect_to_a_department_that_cannot_take_it_changes_nothing(cast):
    elsewhere = factories.department("胜利街道城管科", cast.other_subdistrict, code="139901002-CG")
    matter = mf.dispatched(cast)
    objection = services.object_to_dispatch(matter, by=cast.handler, reason=REASON)

    assert_refused(
        matter,
        lambda: services.decide_objection(
            objection, by=cast.community_worker, upheld=True, redirect_to=elsewhere
        ),
        MatterError,
    )
    assert Objection.objects.get(pk=objection.pk).upheld is None


# --- Transfer ----------------------------------------------------------------------------------------


def test_the_dispatcher_transfers_the_lead_with_a_reason(cast, civil_affairs):
    matter = mf.handling(cast)
    version = Matter.objects.get(pk=matter.pk).version

    services.transfer_matter(
        matter,
        to=civil_affairs,
        by=cast.community_worker,
        reason="涉及低保救助，改由民政局牵头",
        version=version,
    )

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.lead_department) == (State.DISPATCHED, civil_affairs)
    assert stored.version == version + 1
    assert live(matter) == [(civil_affairs.pk, AssignmentRole.LEAD, AssignmentState.PENDING)]
    event = MatterEvent.objects.get(matter=matter, action="transferred")
    assert (event.note, event.data, event.from_state) == (
        "涉及低保救助，改由民政局牵头",
        {"to": civil_affairs.pk},
        State.HANDLING,
    )
    assert Notification.objects.filter(matter=matter, user=civil_affairs.handler).exists()


def test_a_co_handler_can_become_the_lead(cast, civil_affairs):
    matter = mf.handling(cast, co=[civil_affairs])

    services.transfer_matter(
        matter, to=civil_affairs, by=cast.community_worker, reason="改由民政局牵头"
    )

    assert live(matter) == [(civil_affairs.pk, AssignmentRole.LEAD, AssignmentState.PENDING)]


@pytest.mark.parametrize("reason", ["", "改派"])
def test_a_transfer_needs_a_reason(cast, civil_affairs, reason):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.transfer_matter(
            matter, to=civil_affairs, by=cast.community_worker, reason=reason
        ),
        MatterError,
    )


@pytest.mark.parametrize("make", [mf.accepted, mf.replied])
def test_only_a_matter_with_departments_is_transferred(cast, civil_affairs, make):
    matter = make(cast)

    assert_refused(
        matter,
        lambda: services.transfer_matter(
            matter, to=civil_affairs, by=cast.community_worker, reason="改由民政局牵头"
        ),
        InvalidTransition,
    )


def test_a_transfer_to_a_department_that_cannot_take_it_changes_nothing(cast):
    elsewhere = factories.department("胜利街道城管科", cast.other_subdistrict, code="139901002-CG")
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.transfer_matter(
            matter, to=elsewhere, by=cast.community_worker, reason="改由城管科处理"
        ),
        MatterError,
    )


@pytest.mark.parametrize("role", ["handler", "grid_worker", "outsider"])
def test_only_the_dispatcher_transfers(cast, civil_affairs, role):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.transfer_matter(
            matter, to=civil_affairs, by=getattr(cast, role), reason="改由民政局牵头"
        ),
        PermissionDenied,
        audited="transfer",
    )


def test_a_transfer_from_a_stale_form_is_refused(cast, civil_affairs):
    matter = mf.handling(cast)
    loaded = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")

    assert_refused(
        matter,
        lambda: services.transfer_matter(
            matter,
            to=civil_affairs,
            by=cast.community_worker,
            reason="改由民政局牵头",
            version=loaded,
        ),
        StaleMatter,
    )


# --- Return to the dispatcher ------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [mf.dispatched, mf.handling])
def test_the_lead_returns_the_matter_to_the_dispatcher(cast, make):
    matter = make(cast)

    services.return_to_dispatcher(matter, by=cast.handler, reason=REASON)

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.lead_department) == (State.ACCEPTED, None)
    assert live(matter) == []
    event = MatterEvent.objects.get(matter=matter, action="returned_for_dispatch")
    assert (event.note, event.to_state, event.actor) == (REASON, State.ACCEPTED, cast.handler)
    notice = Notification.objects.get(matter=matter, kind="returned")
    assert notice.user == cast.community_worker


@pytest.mark.parametrize("reason", ["", "退回"])
def test_a_return_needs_a_reason(cast, reason):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.return_to_dispatcher(matter, by=cast.handler, reason=reason),
        MatterError,
    )


def test_a_co_handler_cannot_return_the_matter(cast, civil_affairs):
    matter = mf.handling(cast, co=[civil_affairs])

    assert_refused(
        matter,
        lambda: services.return_to_dispatcher(matter, by=civil_affairs.handler, reason=REASON),
        PermissionDenied,
        audited="handle",
    )


@pytest.mark.parametrize("role", ["community_worker", "cadre", "outsider"])
def test_only_the_lead_department_returns_the_matter(cast, role):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.return_to_dispatcher(matter, by=getattr(cast, role), reason=REASON),
        PermissionDenied,
        audited="handle",
    )


def test_an_answered_matter_is_not_returned(cast):
    matter = mf.replied(cast)

    assert_refused(
        matter,
        lambda: services.return_to_dispatcher(matter, by=cast.handler, reason=REASON),
        InvalidTransition,
    )


def test_a_return_from_a_stale_form_is_refused(cast):
    matter = mf.handling(cast)
    loaded = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")

    assert_refused(
        matter,
        lambda: services.return_to_dispatcher(
            matter, by=cast.handler, reason=REASON, version=loaded
        ),
        StaleMatter,
    )


# --- Co-handlers report to the lead ------------------------------------------------------------------------


def test_a_co_handler_reports_its_part_to_the_lead(cast, civil_affairs):
    matter = mf.handling(cast, co=[civil_affairs])
    services.sign_for(matter, by=civil_affairs.handler)
    version = Matter.objects.get(pk=matter.pk).version

    assignment = services.report_as_co_handler(
        matter, by=civil_affairs.handler, report="已核实该户符合临时救助条件，已发放救助金"
    )

    assert (assignment.state, assignment.report) == (
        AssignmentState.REPORTED,
        "已核实该户符合临时救助条件，已发放救助金",
    )
    stored = Matter.objects.get(pk=matter.pk)
    assert stored.state == State.HANDLING
    assert stored.version == version + 1
    assert MatterEvent.objects.get(matter=matter, action="co_reported").data == {
        "department": civil_affairs.pk
    }
    notice = Notification.objects.get(matter=matter, kind="co_report")
    assert notice.user == cast.handler


@pytest.mark.parametrize("report", ["", "已办"])
def test_a_co_report_needs_content(cast, civil_affairs, report):
    matter = mf.handling(cast, co=[civil_affairs])
    services.sign_for(matter, by=civil_affairs.handler)

    assert_refused(
        matter,
        lambda: services.report_as_co_handler(matter, by=civil_affairs.handler, report=report),
        MatterError,
    )


@pytest.mark.parametrize("role", ["handler", "community_worker", "outsider"])
def test_only_a_co_handler_reports_as_one(cast, civil_affairs, role):
    matter = mf.handling(cast, co=[civil_affairs])

    assert_refused(
        matter,
        lambda: services.report_as_co_handler(
            matter, by=getattr(cast, role), report="已核实并处理完毕"
        ),
        PermissionDenied,
        audited="handle",
    )


def test_a_co_handler_signs_for_its_part_before_reporting(cast, civil_affairs):
    matter = mf.handling(cast, co=[civil_affairs])

    assert_refused(
        matter,
        lambda: services.report_as_co_handler(
            matter, by=civil_affairs.handler, report="已核实并处理完毕"
        ),
        InvalidTransition,
    )


def test_a_co_report_after_the_answer_is_refused(cast, civil_affairs):
    matter = mf.handling(cast, co=[civil_affairs])
    services.sign_for(matter, by=civil_affairs.handler)
    services.reply_to_matter(matter, by=cast.handler, text=mf.REPLY, outcome="supported")
    before = snapshot(matter)

    with pytest.raises(InvalidTransition):
        services.report_as_co_handler(matter, by=civil_affairs.handler, report="已核实并处理完毕")

    assert snapshot(matter) == before


# --- Every dispatch, objection and return is told, also when it happens again -------------------------------


def test_a_department_the_matter_comes_back_to_is_told_again(cast, civil_affairs):
    matter = mf.handling(cast)
    services.transfer_matter(
        matter, to=civil_affairs, by=cast.community_worker, reason="改由民政局牵头"
    )

    services.transfer_matter(
        matter, to=cast.department, by=cast.community_worker, reason="仍由住建局牵头"
    )

    told = Notification.objects.filter(matter=matter, user=cast.handler, kind="dispatched")
    assert told.count() == 2


def test_a_second_objection_and_a_second_return_are_told_again(cast):
    matter = mf.handling(cast)
    first = services.object_to_dispatch(matter, by=cast.handler, reason=REASON)
    services.decide_objection(first, by=cast.community_worker, upheld=False)
    services.object_to_dispatch(matter, by=cast.handler, reason="补充材料表明确属物业合同纠纷")

    assert Notification.objects.filter(matter=matter, kind="objection").count() == 2

    matter = mf.handling(cast, contact_phone="13900001111", description="小区路灯坏了一个月没人修")
    services.return_to_dispatcher(matter, by=cast.handler, reason=REASON)
    services.dispatch_matter(matter, lead=cast.department, by=cast.community_worker)
    services.return_to_dispatcher(matter, by=cast.handler, reason="路灯归城管部门管理")

    assert Notification.objects.filter(matter=matter, kind="returned").count() == 2
