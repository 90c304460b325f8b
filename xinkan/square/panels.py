"""The home page's square panel: the coming sessions of one's area, what waits for moderation, and
the questions put to one's department."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q

from xinkan.core import paging
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope
from xinkan.square import selectors
from xinkan.square.models import QuestionState, SessionState

if TYPE_CHECKING:
    from xinkan.accounts.models import User


def sessions_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    if not scope.has_perm(Perm.SQUARE_VIEW):
        return None
    coming = list(
        selectors.sessions_for(user)
        .exclude(state=SessionState.FINISHED)
        .annotate(pending=Count("questions", filter=Q(questions__state=QuestionState.PENDING)))
        .order_by("starts_at", "pk")[:3]
    )
    to_prepare = (
        paging.capped_count(selectors.department_questions(user), paging.PANEL_CAP)
        if scope.has_perm(Perm.SQUARE_ANSWER) and scope.department_ids(Perm.SQUARE_ANSWER)
        else None
    )
    return {
        "coming": coming,
        "to_prepare": to_prepare,
        "can_plan": bool(scope.unit_paths(Perm.SQUARE_RUN)),
    }
