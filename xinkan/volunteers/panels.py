"""The home page's volunteer panels: the community's pairings falling behind, and a volunteer's
own pairings and hours."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from xinkan.core import paging
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope
from xinkan.volunteers import selectors
from xinkan.volunteers.models import Pairing

if TYPE_CHECKING:
    from xinkan.accounts.models import User


def pairings_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    if not scope.has_perm(Perm.VOLUNTEERS_VIEW):
        return None
    today = timezone.localdate()
    behind = paging.capped_count(selectors.pairings_behind(user, today), paging.PANEL_CAP)
    active = paging.capped_count(
        selectors.pairings_for(user).filter(status=Pairing.Status.ACTIVE), paging.PANEL_CAP
    )
    return {
        "behind": behind,
        "active": active,
        "can_manage": scope.has_perm(Perm.VOLUNTEERS_MANAGE),
    }


def own_panel(user: User, scope: Scope) -> dict[str, Any] | None:
    volunteer = selectors.own_volunteer(user)
    if volunteer is None:
        return None
    pairings = list(
        selectors.own_pairings(user)
        .filter(status=Pairing.Status.ACTIVE)
        .order_by("next_visit_due")[:5]
    )
    return {"volunteer": volunteer, "pairings": pairings, "today": timezone.localdate()}
