"""Home-page panels about matters: the user's work lists with counts, and unread notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xinkan.core import paging
from xinkan.matters.models import Notification
from xinkan.matters.selectors import Worklist, worklist
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User

# (list, label msgid, permission) — shown when the user holds the permission.
_LISTS = [
    (Worklist.TO_ACCEPT, Perm.MATTERS_ACCEPT),
    (Worklist.TO_DISPATCH, Perm.MATTERS_ACCEPT),
    (Worklist.TO_HANDLE, Perm.MATTERS_HANDLE),
    (Worklist.FOLLOW_UP, Perm.MATTERS_FOLLOW_UP),
    (Worklist.REVIEW, Perm.MATTERS_REVIEW),
    (Worklist.DUE_SOON, Perm.MATTERS_VIEW),
    (Worklist.OVERDUE, Perm.MATTERS_VIEW),
    (Worklist.SUPERVISED, Perm.MATTERS_SUPERVISE),
]


def work_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    if not scope.has_perm(Perm.MATTERS_VIEW):
        return None
    from xinkan.matters.views.worklist import TABS

    labels = {key: label for key, label, _perm in TABS}
    counts = [
        (key, labels[key], *paging.capped_count(worklist(user, key), paging.PANEL_CAP))
        for key, perm in _LISTS
        if scope.has_perm(perm)
    ]
    return {
        "counts": counts,
        "can_register": scope.has_perm(Perm.MATTERS_REGISTER),
        "total": sum(n for _k, _l, n, _capped in counts),
    }


def notifications_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    if not scope.has_perm(Perm.MATTERS_VIEW):
        return None
    unread = list(
        Notification.objects.filter(user=user, read_at__isnull=True)
        .select_related("matter")
        .order_by("-created_at")[:6]
    )
    return {"unread": unread}
