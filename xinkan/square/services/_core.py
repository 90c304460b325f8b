"""What every square service shares: user-facing errors, audited refusals, the permission checks,
and the audit entry of each fact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.square.models import Question, Session

if TYPE_CHECKING:
    from xinkan.accounts.models import User

MIN_REASON = 4


class SquareError(Exception):
    """A refusal the user can understand; the message is shown as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def refuse(by: User, obj: models.Model | None, session: Session | None, attempt: str) -> None:
    """Raise PermissionDenied, audited. Services check before they write, so the audit entry is
    never rolled back with the refused work."""
    audit.record_failure(
        actor=by,
        action="square.denied",
        obj=obj,
        unit=session.unit if session else None,
        data={"attempt": attempt},
    )
    raise PermissionDenied(_("You may not do this for a session outside your area."))


def can_run(by: User, session: Session) -> bool:
    return get_scope(by).covers_unit(session.unit, Perm.SQUARE_RUN)


def require_run(by: User, session: Session, attempt: str, obj: models.Model | None = None) -> None:
    if not can_run(by, session):
        refuse(by, obj or session, session, attempt)


def can_prepare(by: User, question: Question) -> bool:
    """Runners of the session, and the department the question is put to."""
    if can_run(by, question.session):
        return True
    panelist = question.panelist
    return panelist is not None and get_scope(by).covers_department(
        panelist.department, Perm.SQUARE_ANSWER
    )


def record(
    by: User | None,
    action: str,
    obj: models.Model,
    session: Session,
    *,
    changes: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """The audit entry of a square fact (never with the asker's name or phone)."""
    audit.record(
        actor=by,
        actor_label=None if by else "resident",
        action=f"square.{action}",
        obj=obj,
        unit=session.unit,
        changes=changes,
        data=data,
    )


def reason(text: str, missing: str) -> str:
    cleaned = text.strip()
    if len(cleaned) < MIN_REASON:
        raise SquareError(missing)
    return cleaned[:2000]
