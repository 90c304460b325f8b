"""Which actions a user may take on a matter now — to show only the forms that can succeed.

The services check again when the action is taken; this module never grants anything by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from xinkan.matters.models import (
    CLOSED_STATES,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Companion,
    Matter,
    Rating,
    State,
)
from xinkan.org.models import Department
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User


@dataclass(frozen=True)
class Allowed:
    accept: bool = False
    dispatch: bool = False
    handle_by_unit: bool = False
    transfer: bool = False
    sign_for: bool = False
    object: bool = False
    return_: bool = False
    co_report: bool = False
    reply: bool = False
    extension: bool = False
    decide_extension: bool = False
    decide_objection: bool = False
    follow_up: bool = False
    request_review: bool = False
    decide_review: bool = False
    take: bool = False
    record_visit: bool = False
    link: bool = False
    # Take the matter to mediation as a dispute (the mediation feature's registration form).
    mediate: bool = False
    view_personal: bool = False

    @property
    def any(self) -> bool:
        return any(
            getattr(self, name) for name in self.__dataclass_fields__ if name != "view_personal"
        )


def allowed_actions(
    user: User,
    matter: Matter,
    assignments: list[Assignment],
    companions: list[Companion],
    *,
    pending_extensions: bool = False,
    pending_objections: bool = False,
    candidate_links: bool = False,
) -> Allowed:
    """What `user` may do now. The decisions (extension, objection, linking a candidate) are only
    offered when something waits for that decision."""
    scope = get_scope(user)
    handling = matter.handling_unit
    accept = scope.covers_unit(handling, Perm.MATTERS_ACCEPT)
    handle_unit = scope.covers_unit(handling, Perm.MATTERS_HANDLE)
    follow = scope.covers_unit(matter.unit, Perm.MATTERS_FOLLOW_UP) or scope.covers_unit(
        handling, Perm.MATTERS_FOLLOW_UP
    )
    my_departments = scope.department_ids(Perm.MATTERS_HANDLE)
    mine = [
        a
        for a in assignments
        if a.department_id in my_departments and a.state != AssignmentState.WITHDRAWN
    ]
    my_lead = next((a for a in mine if a.role == AssignmentRole.LEAD), None)
    my_co = next((a for a in mine if a.role == AssignmentRole.CO), None)
    state = matter.state
    with_departments = state in {State.DISPATCHED, State.HANDLING}
    can_reply = state == State.HANDLING and (
        (matter.lead_department_id is not None and my_lead is not None)
        or (matter.lead_department_id is None and handle_unit)
    )
    my_companion = next((c for c in companions if c.cadre_id == user.pk and c.active), None)
    return Allowed(
        accept=accept and state == State.REGISTERED,
        dispatch=accept and state in {State.REGISTERED, State.ACCEPTED},
        handle_by_unit=handle_unit and state in {State.REGISTERED, State.ACCEPTED},
        transfer=accept and with_departments and matter.lead_department_id is not None,
        sign_for=with_departments and any(a.state == AssignmentState.PENDING for a in mine),
        object=with_departments
        and any(a.state in {AssignmentState.PENDING, AssignmentState.SIGNED} for a in mine),
        return_=with_departments and my_lead is not None,
        co_report=state == State.HANDLING
        and my_co is not None
        and my_co.state == AssignmentState.SIGNED,
        reply=can_reply,
        extension=can_reply,
        decide_extension=accept
        and pending_extensions
        and state in {State.DISPATCHED, State.HANDLING},
        decide_objection=accept and pending_objections,
        follow_up=follow and state == State.REPLIED and matter.last_rating != Rating.DISSATISFIED,
        request_review=follow and state == State.REPLIED and matter.review_round < 2,
        decide_review=scope.covers_unit(handling, Perm.MATTERS_REVIEW)
        and state in {State.REVIEW, State.REREVIEW},
        take=(
            scope.covers_unit(matter.unit, Perm.MATTERS_ACCOMPANY)
            or scope.covers_unit(handling, Perm.MATTERS_ACCOMPANY)
        )
        and state not in CLOSED_STATES
        and my_companion is None,
        record_visit=my_companion is not None,
        link=accept and candidate_links,
        mediate=state not in CLOSED_STATES
        and scope.covers_unit(matter.unit, Perm.MEDIATION_REGISTER),
        view_personal=scope.covers_unit(matter.unit, Perm.RESIDENTS_VIEW_PERSONAL)
        or scope.covers_unit(handling, Perm.RESIDENTS_VIEW_PERSONAL),
    )


def dispatch_targets(matter: Matter) -> QuerySet[Department]:
    """Departments that may take a matter of this responsible unit: its own and those above."""
    unit_ids = [*matter.handling_unit.ancestor_ids(), matter.handling_unit.pk]
    return (
        Department.objects.filter(unit_id__in=unit_ids, is_active=True)
        .select_related("unit")
        .order_by("unit__depth", "code")
    )
