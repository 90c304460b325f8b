"""Matching proposals for one unit: the specs read from the database, the proposals handed back
with their rows attached for display. Five queries whatever the size (the user's scope, the
unit's ancestors, the units of the area, the needs, the volunteers with their pairing counts).

Which needs: open (not closed) needs of residents filed in the unit's subtree, with no active
pairing (by a volunteer or a team).
Which volunteers: active ones whose home unit lies in the unit's subdistrict (the unit itself
when it is a subdistrict or above) — neighbouring communities can help, scored lower than the
same community or grid — with room left (`max_pairings` minus their active pairings, wherever
those are; pairings held through a team do not count).
Both only where the user holds `volunteers.manage` (proposals are for those who make pairings):
a community worker sees only their community's volunteers, a subdistrict cadre the whole
subdistrict's.

Needs carry no weekdays in the archive (only a free-text frequency), so every need takes any day
and availability counts as the share of the week the volunteer is free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _

from xinkan.org.models import Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.models import Need
from xinkan.volunteers import match_reasons, matching
from xinkan.volunteers.models import Pairing, Volunteer

if TYPE_CHECKING:
    from xinkan.accounts.models import User

# (grid, community, subdistrict) unit ids of a unit: its own id or an ancestor's, or None.
Place = tuple[int | None, int | None, int | None]


@dataclass(frozen=True)
class ProposedPairing:
    """One proposal: `volunteer` for `need`, with the score and the reason codes."""

    need: Need  # with .resident and .resident.unit loaded (the resident's id_number and phone deferred)
    volunteer: Volunteer  # with .unit loaded and .active_pairings (int) annotated
    score: int
    reasons: tuple[matching.Reason, ...]

    @property
    def reasons_json(self) -> list[list[Any]]:
        """As stored in `Pairing.match_reasons` when staff accept the proposal."""
        return matching.Proposal(
            self.need.pk, self.volunteer.pk, self.score, self.reasons
        ).reasons_json()

    @property
    def reason_texts(self) -> list[str]:
        return match_reasons.describe_all(self.reasons)


@dataclass(frozen=True)
class UnmatchedNeed:
    need: Need
    reason: str  # a matching.Unmatched reason code

    @property
    def reason_text(self) -> str:
        return match_reasons.describe_unmatched(self.reason)


@dataclass(frozen=True)
class UnitProposals:
    unit: Unit
    proposals: list[ProposedPairing]  # urgent needs first, then by need id
    unmatched: list[UnmatchedNeed]  # urgent needs first, then by need id
    volunteers_considered: int = 0  # active volunteers in the area, full ones included
    result: matching.MatchResult | None = field(default=None, repr=False)

    @property
    def total_score(self) -> int:
        return sum(p.score for p in self.proposals)


def _area(unit: Unit, levels: dict[int, tuple[str, str]]) -> str:
    """The path of the area volunteers come from: the unit's subdistrict, or the unit itself."""
    if unit.level in (Level.CITY, Level.DISTRICT, Level.SUBDISTRICT):
        return unit.path
    for ancestor_id in reversed(unit.ancestor_ids()):
        level, path = levels.get(ancestor_id, ("", ""))
        if level == Level.SUBDISTRICT:
            return path
    return unit.path


def _places(levels: dict[int, tuple[str, str]]) -> dict[int, Place]:
    places: dict[int, Place] = {}
    for unit_id, (_level, path) in levels.items():
        found: dict[str, int] = {}
        for part in path.strip("/").split("/"):
            if part:
                ancestor = int(part)
                found.setdefault(levels.get(ancestor, ("", ""))[0], ancestor)
        places[unit_id] = (
            found.get(Level.GRID),
            found.get(Level.COMMUNITY),
            found.get(Level.SUBDISTRICT),
        )
    return places


def _days(values: Any) -> frozenset[int]:
    if not isinstance(values, list):
        return frozenset()
    return frozenset(d for d in values if isinstance(d, int) and 0 <= d < 7)


def proposals_for_unit(
    user: User,
    unit: Unit,
    *,
    weights: matching.Weights = matching.DEFAULT_WEIGHTS,
    k: int = matching.DEFAULT_K,
) -> UnitProposals:
    """Proposed volunteers for the open, unpaired needs of `unit`'s subtree (module docstring).

    Raises PermissionDenied when the user may not manage volunteers of `unit`. Nothing is written:
    staff accept or change each proposal through the pairing service, which may store
    `ProposedPairing.reasons_json` as the pairing's `match_reasons`.
    """
    perm = Perm.VOLUNTEERS_MANAGE
    scope = get_scope(user)
    if not scope.covers_unit(unit, perm):
        raise PermissionDenied(_("You may not pair volunteers in this unit."))
    roots = scope.unit_paths(perm)

    levels: dict[int, tuple[str, str]] = {
        pk: (level, path)
        for pk, level, path in Unit.objects.filter(pk__in=unit.ancestor_ids()).values_list(
            "pk", "level", "path"
        )
    }
    area = _area(unit, levels)
    units_in_area = list(
        Unit.objects.filter(path__startswith=area).values_list("pk", "level", "path")
    )
    levels.update({pk: (level, path) for pk, level, path in units_in_area})
    places = _places(levels)
    in_scope = [
        (pk, path) for pk, _level, path in units_in_area if any(path.startswith(r) for r in roots)
    ]
    need_units = [pk for pk, path in in_scope if path.startswith(unit.path)]
    volunteer_units = [pk for pk, _path in in_scope]

    active = Pairing.Status.ACTIVE
    needs = list(
        Need.objects.filter(closed_at__isnull=True, resident__unit_id__in=need_units)
        .filter(~Exists(Pairing.objects.filter(need=OuterRef("pk"), status=active)))
        .select_related("resident__unit")
        .defer("resident__id_number", "resident__phone")
        .order_by("pk")
    )
    volunteers = list(
        Volunteer.objects.filter(is_active=True, unit_id__in=volunteer_units)
        .select_related("unit")
        .annotate(active_pairings=Count("pairings", filter=Q(pairings__status=active)))
        .order_by("pk")
    )

    need_specs = []
    for need in needs:
        grid, community, subdistrict = places.get(need.resident.unit_id, (None, None, None))
        need_specs.append(
            matching.NeedSpec(
                id=need.pk,
                need_type=need.need_type,
                urgency=need.urgency,
                grid=grid,
                community=community,
                subdistrict=subdistrict,
            )
        )
    volunteer_specs = []
    for volunteer in volunteers:
        grid, community, subdistrict = places.get(volunteer.unit_id, (None, None, None))
        skills = volunteer.skills if isinstance(volunteer.skills, list) else []
        volunteer_specs.append(
            matching.VolunteerSpec(
                id=volunteer.pk,
                skills=tuple(str(s) for s in skills),
                grid=grid,
                community=community,
                subdistrict=subdistrict,
                days=_days(volunteer.available_days),
                capacity=volunteer.max_pairings - volunteer.active_pairings,
            )
        )

    result = matching.propose(need_specs, volunteer_specs, weights=weights, k=k)
    need_by_id = {need.pk: need for need in needs}
    volunteer_by_id = {volunteer.pk: volunteer for volunteer in volunteers}

    def first(need: Need) -> tuple[bool, int]:
        return (need.urgency != Need.Urgency.URGENT, need.pk)

    proposals = sorted(
        (
            ProposedPairing(
                need=need_by_id[p.need_id],
                volunteer=volunteer_by_id[p.volunteer_id],
                score=p.score,
                reasons=p.reasons,
            )
            for p in result.proposals
        ),
        key=lambda p: first(p.need),
    )
    unmatched = sorted(
        (UnmatchedNeed(need=need_by_id[u.need_id], reason=u.reason) for u in result.unmatched),
        key=lambda u: first(u.need),
    )
    return UnitProposals(
        unit=unit,
        proposals=proposals,
        unmatched=unmatched,
        volunteers_considered=len(volunteers),
        result=result,
    )
