"""From acceptance to the written reply: accept or decline, dispatch (lead and co-handling
departments, 首接负责制), sign for, objections, transfers, returns, extensions, and the reply."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.matters.attachments import check_files
from xinkan.matters.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Deadline,
    ExtensionRequest,
    Matter,
    Objection,
    Outcome,
    Reply,
    Stage,
    State,
)
from xinkan.matters.services import _core
from xinkan.matters.services._core import InvalidTransition, MatterError
from xinkan.matters.services.notify import notify_department_staff, notify_unit_staff, tell_resident
from xinkan.org.models import Department
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User


def _reason(text: str, missing: str) -> str:
    """The cleaned text, or a MatterError with `missing` (a whole sentence) when it is too short."""
    cleaned = text.strip()
    if len(cleaned) < 4:
        raise MatterError(missing)
    return cleaned[:2000]


@_core.atomic_service
def accept_matter(
    matter: Matter, *, by: User, version: int | None = None, note: str = ""
) -> Matter:
    _core.require_unit_perm(by, matter, Perm.MATTERS_ACCEPT, "accept")
    now = timezone.now()
    _core.transition(
        matter,
        to=State.ACCEPTED,
        expected={State.REGISTERED},
        by=by,
        action="accepted",
        version=version,
        note=note,
        public=True,
        updates={"accepted_at": now},
    )
    _core.respond(matter)
    _core.meet_deadlines(matter, Stage.ACCEPT, at=now)
    tell_resident(matter, _("Your matter %(code)s has been accepted.") % {"code": matter.code})
    return matter


@_core.atomic_service
def decline_matter(matter: Matter, *, by: User, reason: str, version: int | None = None) -> Matter:
    """不予受理: always with a reason the resident is told."""
    _core.require_unit_perm(by, matter, Perm.MATTERS_ACCEPT, "decline")
    reason = _reason(reason, _("Say why the matter is not accepted (at least a few words)."))
    _core.transition(
        matter,
        to=State.DECLINED,
        expected={State.REGISTERED},
        by=by,
        action="declined",
        version=version,
        note=reason,
        public=True,
        updates={"closed_at": timezone.now()},
    )
    _core.respond(matter)
    _core.cancel_deadlines(matter)
    tell_resident(
        matter,
        _("Your matter %(code)s was not accepted: %(reason)s")
        % {"code": matter.code, "reason": reason},
    )
    return matter


def _dispatchable(by: User, matter: Matter, department: Department) -> None:
    """A matter goes to a department of the responsible unit or of a unit above it."""
    unit_ids = {*matter.handling_unit.ancestor_ids(), matter.handling_unit.pk}
    if department.unit_id not in unit_ids or not department.is_active:
        raise MatterError(
            _("%(department)s cannot take matters of %(unit)s.")
            % {"department": department.name, "unit": matter.handling_unit.name}
        )


@_core.atomic_service
def dispatch_matter(
    matter: Matter,
    *,
    lead: Department,
    by: User,
    co: list[Department] | None = None,
    version: int | None = None,
    note: str = "",
    due_at: dt.datetime | None = None,
) -> Matter:
    """派单: one matter, one lead department (首接负责), optional co-handlers reporting to it.

    `due_at` is a handling deadline promised to the resident (a department's promise at the public
    affairs square): it replaces the policy's handling time when no handling deadline runs yet."""
    _core.require_unit_perm(by, matter, Perm.MATTERS_ACCEPT, "dispatch")
    co = [department for department in (co or []) if department.pk != lead.pk]
    for department in [lead, *co]:
        _dispatchable(by, matter, department)
    if due_at is not None and due_at <= matter.registered_at:
        raise MatterError(_("The promised deadline must be after the matter was registered."))
    if matter.state == State.REGISTERED:
        accept_matter(matter, by=by, version=version)
        version = None
    _core.transition(
        matter,
        to=State.DISPATCHED,
        expected={State.ACCEPTED},
        by=by,
        action="dispatched",
        version=version,
        note=note,
        data={
            "lead": lead.pk,
            "co": [d.pk for d in co],
            **({"due_at": due_at} if due_at is not None else {}),
        },
        updates={"lead_department": lead},
    )
    # A matter returned for dispatch may still have co-handlers from the last dispatch: this
    # dispatch says anew who takes part.
    Assignment.objects.filter(matter=matter).exclude(state=AssignmentState.WITHDRAWN).update(
        state=AssignmentState.WITHDRAWN
    )
    Assignment.objects.create(matter=matter, department=lead, role=AssignmentRole.LEAD)
    for department in co:
        Assignment.objects.create(matter=matter, department=department, role=AssignmentRole.CO)
    if not Deadline.objects.filter(matter=matter, stage=Stage.HANDLE, cancelled=False).exists():
        if due_at is not None:
            _core.open_deadline_at(matter, Stage.HANDLE, due_at=due_at)
        else:
            _core.open_deadline(matter, Stage.HANDLE, start=matter.accepted_at or timezone.now())
    for department in [lead, *co]:
        notify_department_staff(
            matter,
            department.pk,
            kind="dispatched",
            text=_("Matter %(code)s was dispatched to you: %(title)s")
            % {"code": matter.code, "title": matter.title},
            fact=f"v{matter.version}",
        )
    return matter


def _department_assignment(matter: Matter, by: User, *, role: str | None = None) -> Assignment:
    """The caller's live assignment on this matter (a department they belong to)."""
    departments = get_scope(by).department_ids(Perm.MATTERS_HANDLE)
    assignments = Assignment.objects.filter(matter=matter, department_id__in=departments).exclude(
        state=AssignmentState.WITHDRAWN
    )
    if role:
        assignments = assignments.filter(role=role)
    assignment = assignments.select_related("department").first()
    if assignment is None:
        raise _core.refuse(
            by, matter, "handle", _("This matter is not dispatched to your department.")
        )
    return assignment


@_core.atomic_service
def sign_for(matter: Matter, *, by: User, version: int | None = None) -> Matter:
    """签收: the department takes up its part. The lead's signature starts the handling."""
    assignment = _department_assignment(matter, by)
    if assignment.state != AssignmentState.PENDING:
        raise InvalidTransition(_("Your department has already signed for this matter."))
    Assignment.objects.filter(pk=assignment.pk).update(
        state=AssignmentState.SIGNED, signed_at=timezone.now()
    )
    if assignment.role == AssignmentRole.LEAD:
        _core.transition(
            matter,
            to=State.HANDLING,
            expected={State.DISPATCHED},
            by=by,
            action="signed_for",
            version=version,
            data={"department": assignment.department_id},
            public=True,
        )
    else:
        _core.event(
            matter, by=by, action="co_signed_for", data={"department": assignment.department_id}
        )
        _core.bump_version(matter)
    return matter


@_core.atomic_service
def handle_by_unit(
    matter: Matter, *, by: User, version: int | None = None, note: str = ""
) -> Matter:
    """The responsible unit handles the matter itself (most community matters need no department)."""
    _core.require_unit_perm(by, matter, Perm.MATTERS_HANDLE, "handle")
    if matter.state == State.REGISTERED:
        accept_matter(matter, by=by, version=version)
        version = None
    _core.transition(
        matter,
        to=State.HANDLING,
        expected={State.ACCEPTED},
        by=by,
        action="handling_by_unit",
        version=version,
        note=note,
        public=True,
    )
    if not Deadline.objects.filter(matter=matter, stage=Stage.HANDLE, cancelled=False).exists():
        _core.open_deadline(matter, Stage.HANDLE, start=matter.accepted_at or timezone.now())
    return matter


@_core.atomic_service
def object_to_dispatch(matter: Matter, *, by: User, reason: str) -> Objection:
    """派单异议 (《北京市接诉即办工作条例》 Art. 12): the dispatcher decides."""
    reason = _reason(
        reason, _("Say why your department is not the right one (at least a few words).")
    )
    assignment = _department_assignment(matter, by)
    if assignment.state not in {AssignmentState.PENDING, AssignmentState.SIGNED}:
        raise InvalidTransition(_("An objection can only be raised on a live assignment."))
    if matter.state not in {State.DISPATCHED, State.HANDLING}:
        raise InvalidTransition(
            _("An objection can only be raised while the matter is with departments.")
        )
    Assignment.objects.filter(pk=assignment.pk).update(state=AssignmentState.OBJECTED)
    objection = Objection.objects.create(assignment=assignment, reason=reason, raised_by=by)
    _core.event(
        matter,
        by=by,
        action="dispatch_objected",
        note=reason,
        data={"department": assignment.department_id, "objection": objection.pk},
    )
    _core.bump_version(matter)
    notify_unit_staff(
        matter,
        matter.handling_unit,
        Perm.MATTERS_ACCEPT,
        kind="objection",
        text=_("%(department)s objects to the dispatch of %(code)s")
        % {"department": assignment.department.name, "code": matter.code},
        fact=f"o{objection.pk}",
    )
    return objection


@_core.atomic_service
def decide_objection(
    objection: Objection,
    *,
    by: User,
    upheld: bool,
    note: str = "",
    redirect_to: Department | None = None,
) -> Objection:
    """Upheld: the department is released (and, for the lead, the matter goes to `redirect_to` or
    back for dispatch). Rejected: the department keeps its part."""
    assignment = objection.assignment
    matter = Matter.objects.select_for_update().get(pk=assignment.matter_id)
    _core.require_unit_perm(by, matter, Perm.MATTERS_ACCEPT, "decide_objection")
    changed = Objection.objects.filter(pk=objection.pk, upheld__isnull=True).update(
        upheld=upheld, decided_by=by, decided_at=timezone.now(), decision_note=note.strip()
    )
    if changed != 1:
        raise InvalidTransition(_("This objection has already been decided."))
    objection.refresh_from_db()
    if not upheld:
        restored = AssignmentState.SIGNED if assignment.signed_at else AssignmentState.PENDING
        Assignment.objects.filter(pk=assignment.pk).update(state=restored)
        _core.event(
            matter, by=by, action="objection_rejected", note=note, data={"objection": objection.pk}
        )
        _core.bump_version(matter)
        return objection
    Assignment.objects.filter(pk=assignment.pk).update(state=AssignmentState.WITHDRAWN)
    _core.event(
        matter, by=by, action="objection_upheld", note=note, data={"objection": objection.pk}
    )
    if assignment.role == AssignmentRole.LEAD:
        _replace_lead(matter, by=by, to=redirect_to, reason=note or objection.reason)
    else:
        _core.bump_version(matter)
    return objection


def _replace_lead(matter: Matter, *, by: User, to: Department | None, reason: str) -> None:
    Assignment.objects.filter(matter=matter, role=AssignmentRole.LEAD).exclude(
        state=AssignmentState.WITHDRAWN
    ).update(state=AssignmentState.WITHDRAWN)
    if to is None:
        _core.transition(
            matter,
            to=State.ACCEPTED,
            expected={State.DISPATCHED, State.HANDLING},
            by=by,
            action="returned_for_dispatch",
            note=reason,
            updates={"lead_department": None},
        )
        return
    _dispatchable(by, matter, to)
    Assignment.objects.filter(matter=matter, department=to).exclude(
        state=AssignmentState.WITHDRAWN
    ).update(state=AssignmentState.WITHDRAWN)
    Assignment.objects.create(matter=matter, department=to, role=AssignmentRole.LEAD)
    _core.transition(
        matter,
        to=State.DISPATCHED,
        expected={State.DISPATCHED, State.HANDLING},
        by=by,
        action="transferred",
        note=reason,
        data={"to": to.pk},
        updates={"lead_department": to},
    )
    notify_department_staff(
        matter,
        to.pk,
        kind="dispatched",
        text=_("Matter %(code)s was transferred to you: %(title)s")
        % {"code": matter.code, "title": matter.title},
        fact=f"v{matter.version}",
    )


@_core.atomic_service
def transfer_matter(
    matter: Matter, *, to: Department, by: User, reason: str, version: int | None = None
) -> Matter:
    """转办: the dispatcher moves the lead to another department, with a reason."""
    _core.require_unit_perm(by, matter, Perm.MATTERS_ACCEPT, "transfer")
    reason = _reason(reason, _("Say why the matter is transferred (at least a few words)."))
    if version is not None and version != matter.version:
        raise _core.StaleMatter(
            _("This matter was changed by someone else. Reload it and try again.")
        )
    if matter.state not in {State.DISPATCHED, State.HANDLING}:
        raise InvalidTransition(_("Only a dispatched matter can be transferred."))
    _replace_lead(matter, by=by, to=to, reason=reason)
    return matter


@_core.atomic_service
def return_to_dispatcher(
    matter: Matter, *, by: User, reason: str, version: int | None = None
) -> Matter:
    """退回: the lead department gives the matter back to the dispatcher, with a reason."""
    assignment = _department_assignment(matter, by, role=AssignmentRole.LEAD)
    reason = _reason(reason, _("Say why the matter is returned (at least a few words)."))
    if version is not None and version != matter.version:
        raise _core.StaleMatter(
            _("This matter was changed by someone else. Reload it and try again.")
        )
    _replace_lead(matter, by=by, to=None, reason=reason)
    notify_unit_staff(
        matter,
        matter.handling_unit,
        Perm.MATTERS_ACCEPT,
        kind="returned",
        text=_("%(department)s returned %(code)s: %(reason)s")
        % {"department": assignment.department.name, "code": matter.code, "reason": reason[:80]},
        fact=f"v{matter.version}",
    )
    return matter


@_core.atomic_service
def report_as_co_handler(matter: Matter, *, by: User, report: str) -> Assignment:
    """A co-handling department reports its part to the lead department."""
    assignment = _department_assignment(matter, by, role=AssignmentRole.CO)
    report = _reason(report, _("Write what your department did (at least a few words)."))
    if matter.state not in {State.DISPATCHED, State.HANDLING}:
        raise InvalidTransition(_("A report can only be made while the matter is being handled."))
    if assignment.state != AssignmentState.SIGNED:
        raise InvalidTransition(_("Sign for your part of the matter before reporting on it."))
    Assignment.objects.filter(pk=assignment.pk).update(
        state=AssignmentState.REPORTED, report=report
    )
    _core.event(
        matter,
        by=by,
        action="co_reported",
        note=report,
        data={"department": assignment.department_id},
    )
    _core.bump_version(matter)
    if matter.lead_department_id:
        notify_department_staff(
            matter,
            matter.lead_department_id,
            kind="co_report",
            text=_("%(department)s reported on %(code)s")
            % {"department": assignment.department.name, "code": matter.code},
        )
    assignment.refresh_from_db()
    return assignment


def _can_reply(by: User, matter: Matter) -> None:
    if matter.lead_department_id:
        _department_assignment(matter, by, role=AssignmentRole.LEAD)
    else:
        _core.require_unit_perm(by, matter, Perm.MATTERS_HANDLE, "reply")


@_core.atomic_service
def reply_to_matter(
    matter: Matter,
    *,
    by: User,
    text: str,
    outcome: str,
    attachments: list[Any] | None = None,
    version: int | None = None,
) -> Reply:
    """The written answer (Art. 32: supported / explained / not supported)."""
    _can_reply(by, matter)
    if outcome not in Outcome.values:
        raise MatterError(_("Choose whether the request is supported, explained or not supported."))
    text = text.strip()
    if len(text) < 10:
        raise MatterError(_("Write the answer the resident will read (at least 10 characters)."))
    checked = check_files(attachments or [])
    now = timezone.now()
    _core.transition(
        matter,
        to=State.REPLIED,
        expected={State.HANDLING},
        by=by,
        action="replied",
        version=version,
        note=text,
        data={"outcome": outcome},
        public=True,
        updates={"replied_at": now},
    )
    reply = Reply.objects.create(
        matter=matter,
        round=matter.review_round,
        outcome=outcome,
        text=text,
        by=by,
        department_id=matter.lead_department_id,
        unit=matter.handling_unit,
        at=now,
    )
    from xinkan.matters.services.intake import save_attachment

    for item in checked:
        save_attachment(matter, item, by=by, reply=reply)
    _core.meet_deadlines(matter, Stage.HANDLE, Stage.PROXY, at=now)
    _core.open_deadline(matter, Stage.FOLLOW_UP, start=now)
    notify_unit_staff(
        matter,
        matter.handling_unit,
        Perm.MATTERS_FOLLOW_UP,
        kind="replied",
        text=_("%(code)s was answered; follow up with the resident") % {"code": matter.code},
    )
    tell_resident(
        matter,
        _(
            "Your matter %(code)s has been answered. Check the answer and tell us if you are satisfied."
        )
        % {"code": matter.code},
    )
    return reply


@_core.atomic_service
def request_extension(matter: Matter, *, by: User, days: int, reason: str) -> ExtensionRequest:
    """延期: asked with a reason, approved by the responsible unit (Art. 34: at most 30 days)."""
    _can_reply(by, matter)
    reason = _reason(reason, _("Say why more time is needed (at least a few words)."))
    deadline = (
        Deadline.objects.filter(
            matter=matter, stage=Stage.HANDLE, met_at__isnull=True, cancelled=False
        )
        .order_by("-due_at")
        .first()
    )
    if deadline is None:
        raise InvalidTransition(_("There is no open handling deadline to extend."))
    from xinkan.matters.deadlines import resolve_policy

    limit = resolve_policy(
        Stage.HANDLE, category=matter.category, unit=matter.handling_unit
    ).max_extension_days
    if days < 1 or deadline.extended_days + days > limit:
        raise MatterError(
            _("The handling time may be extended by at most %(n)d days in all.") % {"n": limit}
        )
    if ExtensionRequest.objects.filter(matter=matter, approved__isnull=True).exists():
        raise InvalidTransition(_("An extension request is already waiting for a decision."))
    request = ExtensionRequest.objects.create(
        matter=matter, days=days, reason=reason, requested_by=by
    )
    _core.event(matter, by=by, action="extension_requested", note=reason, data={"days": days})
    _core.bump_version(matter)
    notify_unit_staff(
        matter,
        matter.handling_unit,
        Perm.MATTERS_ACCEPT,
        kind="extension",
        text=_("Extension of %(n)d days asked for %(code)s") % {"n": days, "code": matter.code},
        fact=f"x{request.pk}",
    )
    return request


@_core.atomic_service
def decide_extension(
    request: ExtensionRequest, *, by: User, approve: bool, note: str = ""
) -> ExtensionRequest:
    matter = Matter.objects.select_for_update().get(pk=request.matter_id)
    _core.require_unit_perm(by, matter, Perm.MATTERS_ACCEPT, "decide_extension")
    if request.requested_by_id == by.pk:
        raise _core.refuse(
            by, matter, "decide_extension", _("You cannot approve your own request.")
        )
    changed = ExtensionRequest.objects.filter(pk=request.pk, approved__isnull=True).update(
        approved=approve, decided_by=by, decided_at=timezone.now(), decision_note=note.strip()
    )
    if changed != 1:
        raise InvalidTransition(_("This request has already been decided."))
    request.refresh_from_db()
    if approve:
        deadline = (
            Deadline.objects.select_for_update()
            .filter(matter=matter, stage=Stage.HANDLE, met_at__isnull=True, cancelled=False)
            .order_by("-due_at")
            .first()
        )
        if deadline is None:
            raise InvalidTransition(_("There is no open handling deadline to extend."))
        Deadline.objects.filter(pk=deadline.pk).update(
            due_at=F("due_at") + dt.timedelta(days=request.days),
            warn_at=F("warn_at") + dt.timedelta(days=request.days),
            extended_days=F("extended_days") + request.days,
            reminded_at=None,
        )
        tell_resident(
            matter,
            _("The handling of %(code)s takes %(n)d days longer: %(reason)s")
            % {"code": matter.code, "n": request.days, "reason": request.reason},
        )
    _core.event(
        matter,
        by=by,
        action="extension_approved" if approve else "extension_refused",
        note=note,
        data={"days": request.days},
        public=approve,
    )
    _core.bump_version(matter)
    return request
