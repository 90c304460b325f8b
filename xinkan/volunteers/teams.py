"""Service teams (服务队): created by a unit, volunteers of its area as members, one leader."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.volunteers.models import Skill, Team, Volunteer
from xinkan.volunteers.services import _require

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.org.models import Unit


def create_team(*, by: User, name: str, skill: str, unit: Unit) -> Team:
    _require(by, unit, "team")
    if not name.strip():
        raise ValidationError({"name": [_("Give the team a name.")]})
    if skill not in Skill.values:
        raise ValidationError({"skill": [_("Choose the team's specialty.")]})
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name.strip()[:60], skill=skill, unit=unit)
            audit.record(
                actor=by,
                action="volunteers.team_created",
                obj=team,
                unit=unit,
                data={"skill": skill},
            )
    except IntegrityError as exc:
        raise ValidationError({"name": [_("This unit already has a team of this name.")]}) from exc
    return team


def _within(team: Team, volunteer: Volunteer) -> None:
    if not volunteer.unit.path.startswith(team.unit.path):
        raise ValidationError(
            {
                "volunteer": [
                    _("%(name)s does not belong to this team's area.") % {"name": volunteer}
                ]
            }
        )


def add_member(team: Team, volunteer: Volunteer, *, by: User, leader: bool = False) -> Team:
    """Add a volunteer of the team's area (and make them its leader)."""
    _require(by, team.unit, "team")
    _within(team, volunteer)
    with transaction.atomic():
        team.members.add(volunteer)
        if leader:
            Team.objects.filter(pk=team.pk).update(leader=volunteer)
            team.leader = volunteer
        audit.record(
            actor=by,
            action="volunteers.team_member_added",
            obj=team,
            unit=team.unit,
            data={"volunteer": volunteer.pk, "leader": leader},
        )
    return team


def remove_member(team: Team, volunteer: Volunteer, *, by: User) -> Team:
    _require(by, team.unit, "team")
    with transaction.atomic():
        team.members.remove(volunteer)
        if team.leader_id == volunteer.pk:
            Team.objects.filter(pk=team.pk).update(leader=None)
            team.leader = None
        audit.record(
            actor=by,
            action="volunteers.team_member_removed",
            obj=team,
            unit=team.unit,
            data={"volunteer": volunteer.pk},
        )
    return team


def teams_with_totals(teams: QuerySet[Team]) -> QuerySet[Team]:
    """Each team's members' hours (current records), in the same query."""
    return teams.annotate(
        total_hours=Coalesce(
            Sum("members__records__hours", filter=Q(members__records__superseded=False)),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=10, decimal_places=1),
        )
    )
