"""What every matter service shares: the one place a state changes, history rows, permission checks,
deadline bookkeeping."""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.matters.deadlines import resolve_policy
from xinkan.matters.models import Deadline, Matter, MatterEvent, Stage
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User


class MatterError(Exception):
    """A refusal the user can understand; the message is shown as it is."""

    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidTransition(MatterError):
    code = "invalid_state"


class StaleMatter(MatterError):
    """Someone else changed the matter since the form was loaded."""

    code = "stale"


def actor_label(by: User | None, fallback: str = "resident") -> str:
    return by.get_username() if by is not None else fallback


class Refused(PermissionDenied):
    """A permission refusal whose audit entry is still to be written (see `atomic_service`)."""

    def __init__(self, message: str, audit_entry: dict[str, Any]) -> None:
        super().__init__(message)
        self.audit_entry = audit_entry


# How many `atomic_service` calls are running in this thread or task.
_service_depth: contextvars.ContextVar[int] = contextvars.ContextVar(
    "matters_service_depth", default=0
)

P = ParamSpec("P")
R = TypeVar("R")


def atomic_service(func: Callable[P, R]) -> Callable[P, R]:
    """Run a service in one transaction. A refusal's audit entry must outlive the rollback that the
    PermissionDenied causes, so `refuse` leaves it to the outermost service, which writes it once
    its own transaction has been rolled back."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        depth = _service_depth.get()
        token = _service_depth.set(depth + 1)
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except Refused as exc:
            if depth == 0:
                audit.record_failure(**exc.audit_entry)
            raise
        finally:
            _service_depth.reset(token)

    return wrapper


def refuse(by: User | None, matter: Matter | None, action: str, message: str) -> PermissionDenied:
    entry: dict[str, Any] = {
        "actor": by,
        "actor_label": None if by else "resident",
        "action": f"matters.{action}.denied",
        "obj": matter,
        "unit": matter.handling_unit if matter else None,
    }
    if _service_depth.get() == 0:  # not inside a service's transaction: nothing will roll it back
        audit.record_failure(**entry)
        return PermissionDenied(message)
    return Refused(message, entry)


def require_unit_perm(
    by: User, matter: Matter, perm: str, action: str, *, on: str = "handling"
) -> None:
    unit = matter.handling_unit if on == "handling" else matter.unit
    if not get_scope(by).covers_unit(unit, perm):
        raise refuse(by, matter, action, _("You may not do this for a matter outside your area."))


def state_label(state: str) -> str:
    from xinkan.matters.models import State

    return str(State(state).label)


def transition(
    matter: Matter,
    *,
    to: str,
    expected: Iterable[str],
    by: User | None,
    action: str,
    version: int | None = None,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    public: bool = False,
    updates: Mapping[str, Any] | None = None,
) -> MatterEvent:
    """Move `matter` to state `to` if it is in one of `expected` states (and, when given, still at
    `version`): a conditional UPDATE, so two people acting at once cannot both succeed."""
    expected = frozenset(expected)
    if version is not None and version != matter.version:
        raise StaleMatter(_("This matter was changed by someone else. Reload it and try again."))
    if matter.state not in expected:
        raise InvalidTransition(
            _("This cannot be done while the matter is “%(state)s”.")
            % {"state": state_label(matter.state)}
        )
    now = timezone.now()
    values = dict(updates or {})
    changed = Matter.objects.filter(
        pk=matter.pk, state=matter.state, version=matter.version
    ).update(state=to, version=F("version") + 1, updated_at=now, **values)
    if changed != 1:
        raise StaleMatter(_("This matter was changed by someone else. Reload it and try again."))
    from_state = matter.state
    matter.state = to
    matter.version += 1
    for key, value in values.items():
        setattr(matter, key, value)
    return event(
        matter,
        by=by,
        action=action,
        from_state=from_state,
        to_state=to,
        note=note,
        data=data,
        public=public,
    )


def event(
    matter: Matter,
    *,
    by: User | None,
    action: str,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: Mapping[str, Any] | None = None,
    public: bool = False,
) -> MatterEvent:
    """A history row and its audit entry, written together."""
    row = MatterEvent.objects.create(
        matter=matter,
        actor=by,
        actor_label=actor_label(by),
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=audit.jsonable(dict(data or {})),
        public=public,
    )
    changes = {"state": [from_state, to_state]} if from_state != to_state else {}
    audit.record(
        actor=by,
        actor_label=None if by else "resident",
        action=f"matters.{action}",
        obj=matter,
        unit=matter.handling_unit,
        changes=changes,
        data=dict(data or {}),
    )
    return row


def bump_version(matter: Matter) -> None:
    """A change that is not a state transition still makes open forms stale."""
    Matter.objects.filter(pk=matter.pk).update(version=F("version") + 1, updated_at=timezone.now())
    matter.version += 1


# --- Deadlines -----------------------------------------------------------------------------------


def open_deadline(
    matter: Matter, stage: str, *, start: dt.datetime | None = None, unit: Any = None
) -> Deadline:
    policy = resolve_policy(stage, category=matter.category, unit=unit or matter.handling_unit)
    due_at, warn_at = policy.due(start or timezone.now())
    return Deadline.objects.create(matter=matter, stage=stage, due_at=due_at, warn_at=warn_at)


def open_deadline_at(matter: Matter, stage: str, *, due_at: dt.datetime) -> Deadline:
    """A deadline set by a promise rather than by the policy; the reminder comes as early before
    it as the policy says, never before now."""
    policy = resolve_policy(stage, category=matter.category, unit=matter.handling_unit)
    warn_at = max(timezone.now(), due_at - dt.timedelta(hours=policy.warn_hours))
    return Deadline.objects.create(
        matter=matter, stage=stage, due_at=due_at, warn_at=min(warn_at, due_at)
    )


def meet_deadlines(matter: Matter, *stages: str, at: dt.datetime | None = None) -> None:
    """Mark the open deadlines of these stages as met (on time or late: `overdue_at` tells)."""
    Deadline.objects.filter(
        matter=matter, stage__in=stages, met_at__isnull=True, cancelled=False
    ).update(met_at=at or timezone.now())


def cancel_deadlines(matter: Matter, *stages: str) -> None:
    query = Deadline.objects.filter(matter=matter, met_at__isnull=True, cancelled=False)
    if stages:
        query = query.filter(stage__in=stages)
    query.update(cancelled=True)


def respond(matter: Matter) -> None:
    """The first action on a matter meets its response deadline."""
    if matter.first_response_at is None:
        now = timezone.now()
        Matter.objects.filter(pk=matter.pk, first_response_at__isnull=True).update(
            first_response_at=now
        )
        matter.first_response_at = now
        meet_deadlines(matter, Stage.RESPOND, at=now)
