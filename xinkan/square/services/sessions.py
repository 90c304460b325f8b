"""Sessions: planned, opened for questions, held live, finished — and who answers at them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.org.models import Department, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.square.models import Panelist, Session, SessionState
from xinkan.square.services._core import SquareError, record, refuse, require_run

if TYPE_CHECKING:
    from xinkan.accounts.models import User

DETAIL_FIELDS = (
    "theme",
    "description",
    "starts_at",
    "ends_at",
    "place",
    "unit",
    "broadcast_media",
    "broadcast_url",
)
MAX_ATTENDANCE = 1_000_000


@dataclass
class SessionDetails:
    theme: str
    starts_at: dt.datetime
    place: str
    unit: Unit
    description: str = ""
    ends_at: dt.datetime | None = None
    broadcast_media: str = ""
    broadcast_url: str = ""


def _validate(details: SessionDetails) -> None:
    if not details.theme.strip():
        raise SquareError(_("Give the session a theme."))
    if not details.place.strip():
        raise SquareError(_("Say where the session is held."))
    if details.ends_at is not None and details.ends_at <= details.starts_at:
        raise SquareError(_("The session must end after it starts."))
    if not details.unit.is_active:
        raise SquareError(_("This unit is no longer in use."))


def _values(details: SessionDetails) -> dict[str, Any]:
    return {
        "theme": details.theme.strip(),
        "description": details.description.strip(),
        "starts_at": details.starts_at,
        "ends_at": details.ends_at,
        "place": details.place.strip(),
        "unit": details.unit,
        "broadcast_media": details.broadcast_media.strip(),
        "broadcast_url": details.broadcast_url.strip(),
    }


def plan_session(
    details: SessionDetails, *, by: User, idempotency_key: str | None = None
) -> Session:
    """A new session of a unit the user runs sessions for. A retried form returns the first one."""
    if not get_scope(by).covers_unit(details.unit, Perm.SQUARE_RUN):
        refuse(by, None, None, "plan")
    _validate(details)
    if idempotency_key:
        existing = Session.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            session = Session.objects.create(
                **_values(details), created_by=by, idempotency_key=idempotency_key or None
            )
            record(by, "session.planned", session, session, data={"starts_at": session.starts_at})
    except IntegrityError:
        existing = Session.objects.filter(idempotency_key=idempotency_key).first()
        if idempotency_key and existing is not None:
            return existing
        raise
    return session


def change_session(session: Session, details: SessionDetails, *, by: User) -> Session:
    require_run(by, session, "change")
    if not get_scope(by).covers_unit(details.unit, Perm.SQUARE_RUN):
        refuse(by, session, session, "change")
    _validate(details)
    if session.state == SessionState.FINISHED:
        raise SquareError(_("A finished session cannot be changed."))
    before = audit.snapshot(session, DETAIL_FIELDS)
    values = _values(details)
    for key, value in values.items():
        setattr(session, key, value)
    changes = audit.diff(before, audit.snapshot(session, DETAIL_FIELDS))
    if not changes:
        return session
    with transaction.atomic():
        Session.objects.filter(pk=session.pk).update(**values)
        record(by, "session.changed", session, session, changes=changes)
    return session


def _dept_fits(session: Session, department: Department) -> bool:
    """Departments of the organising unit or of a unit above it: a promise is then dispatched to
    them like any matter of that unit."""
    return department.is_active and department.unit_id in {
        *session.unit.ancestor_ids(),
        session.unit_id,
    }


def add_panelist(
    session: Session, *, department: Department, leader_name: str, by: User, leader_title: str = ""
) -> Panelist:
    require_run(by, session, "add_panelist")
    if session.state == SessionState.FINISHED:
        raise SquareError(_("A finished session cannot be changed."))
    if not _dept_fits(session, department):
        raise SquareError(
            _("%(department)s does not answer for %(unit)s.")
            % {"department": department.name, "unit": session.unit.name}
        )
    leader_name = leader_name.strip()
    if not leader_name:
        raise SquareError(_("Name the leader who answers for the department."))
    if Panelist.objects.filter(session=session, department=department).exists():
        raise SquareError(_("This department already takes part in the session."))
    with transaction.atomic():
        panelist = Panelist.objects.create(
            session=session,
            department=department,
            leader_name=leader_name[:60],
            leader_title=leader_title.strip()[:60],
        )
        record(by, "panelist.added", session, session, data={"department": department.pk})
    return panelist


def remove_panelist(panelist: Panelist, *, by: User) -> None:
    session = panelist.session
    require_run(by, session, "remove_panelist")
    if panelist.questions.exists():
        raise SquareError(
            _("Questions are put to this department; assign them to another one first.")
        )
    with transaction.atomic():
        department_id = panelist.department_id
        panelist.delete()
        record(by, "panelist.removed", session, session, data={"department": department_id})


def _move(
    session: Session,
    *,
    by: User,
    to: str,
    expected: Iterable[str],
    action: str,
    stamp: str,
    **values: Any,
) -> Session:
    """The one place a session's state changes: a conditional update, so two people pressing the
    same button at once change it once."""
    require_run(by, session, action)
    if session.state == to:
        return session  # pressed twice: nothing changes
    now = timezone.now()
    with transaction.atomic():
        changed = Session.objects.filter(pk=session.pk, state__in=list(expected)).update(
            state=to, **{stamp: now}, **values
        )
        if changed != 1:
            raise SquareError(
                _("This cannot be done while the session is “%(state)s”.")
                % {"state": SessionState(session.state).label}
            )
        before = session.state
        session.state = to
        setattr(session, stamp, now)
        for key, value in values.items():
            setattr(session, key, value)
        record(by, f"session.{action}", session, session, changes={"state": [before, to]})
    return session


def open_for_questions(session: Session, *, by: User) -> Session:
    """Announced on the portal; residents may send in questions."""
    return _move(
        session,
        by=by,
        to=SessionState.OPEN,
        expected={SessionState.PLANNED},
        action="opened",
        stamp="opened_at",
    )


def go_live(session: Session, *, by: User) -> Session:
    return _move(
        session,
        by=by,
        to=SessionState.LIVE,
        expected={SessionState.PLANNED, SessionState.OPEN},
        action="live",
        stamp="started_at",
    )


def finish_session(session: Session, *, by: User, attendance: int | None = None) -> Session:
    """The session ends; its results are published. Unanswered questions stay in the queue and
    may still be answered afterwards (an answer given in writing, a promise made later)."""
    if attendance is not None:
        _check_attendance(attendance)
    extra: dict[str, Any] = {"current": None}
    if attendance is not None:
        extra["attendance"] = attendance
    return _move(
        session,
        by=by,
        to=SessionState.FINISHED,
        expected={SessionState.LIVE},
        action="finished",
        stamp="finished_at",
        **extra,
    )


def _check_attendance(attendance: int) -> None:
    if attendance < 0 or attendance > MAX_ATTENDANCE:
        raise SquareError(_("Give the number of participants."))


def record_attendance(session: Session, *, attendance: int, by: User) -> Session:
    require_run(by, session, "attendance")
    _check_attendance(attendance)
    if session.state not in {SessionState.LIVE, SessionState.FINISHED}:
        raise SquareError(_("Participants are counted once the session has started."))
    if session.attendance == attendance:
        return session
    with transaction.atomic():
        Session.objects.filter(pk=session.pk).update(attendance=attendance)
        record(
            by,
            "session.attendance",
            session,
            session,
            changes={"attendance": [session.attendance, attendance]},
        )
        session.attendance = attendance
    return session
