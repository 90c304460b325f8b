"""The home page's disputes panel: what waits for the user to mediate, what is overdue, and the
station's next sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from xinkan.core import paging
from xinkan.mediation import selectors
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User


def work_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    if not scope.has_perm(Perm.MEDIATION_WORK):
        return None
    counts = [
        (key, *paging.capped_count(selectors.worklist(user, key), paging.PANEL_CAP))
        for key in (selectors.Worklist.MINE, selectors.Worklist.OVERDUE)
    ]
    sessions = list(selectors.station_sessions(user, start=timezone.localdate(), days=7)[:3])
    return {
        "mine": counts[0][1:],
        "overdue": counts[1][1:],
        "sessions": [s for s in sessions if not s.held],
        "can_register": scope.has_perm(Perm.MEDIATION_REGISTER),
    }
