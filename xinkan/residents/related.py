"""What other features hold about one resident, for the resident page: pairings, matters and
disputes — each read through its own feature's scope-filtered selector, so the page shows only
what the reader may see there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.residents.models import Resident

SHOWN = 20


def related_to(user: User, resident: Resident) -> dict[str, Any]:
    # Imported here: the archive is below these features in the layering, not beside them.
    from xinkan.matters.selectors import matters_for
    from xinkan.mediation.selectors import disputes_for
    from xinkan.volunteers.selectors import pairings_for

    scope = get_scope(user)
    context: dict[str, Any] = {"pairings": [], "matters": None, "disputes": None}
    if scope.has_perm(Perm.VOLUNTEERS_VIEW):
        context["pairings"] = list(pairings_for(user).filter(resident=resident)[:SHOWN])
    context["paired_needs"] = {
        p.need_id for p in context["pairings"] if p.status == p.Status.ACTIVE
    }
    context["can_pair"] = scope.covers_unit(resident.unit, Perm.VOLUNTEERS_MANAGE)
    if scope.has_perm(Perm.MATTERS_VIEW):
        context["matters"] = list(
            matters_for(user).filter(resident=resident).order_by("-pk")[:SHOWN]
        )
    if scope.has_perm(Perm.MEDIATION_VIEW):
        context["disputes"] = list(
            disputes_for(user).filter(parties__resident=resident).distinct().order_by("-pk")[:SHOWN]
        )
    return context


def paired_needs(need_ids: list[int]) -> set[int]:
    """Which of these needs someone is helping (an active pairing), in one query."""
    from xinkan.volunteers.models import Pairing

    return set(
        Pairing.objects.filter(need_id__in=need_ids, status=Pairing.Status.ACTIVE).values_list(
            "need_id", flat=True
        )
    )
