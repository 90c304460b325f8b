"""Service teams (服务队): created by a unit, members from its area, a leader, hours per team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import login_as
from tests.matters.web import page_text
from xinkan.audit.models import AuditEntry
from xinkan.volunteers import services, teams
from xinkan.volunteers.models import Team


def person(cast, name: str, unit=None):  # type: ignore[no-untyped-def]
    return services.register_volunteer(
        by=cast.cadre, name=name, unit=unit or cast.community, skills=["medical"]
    )


def test_a_team_gathers_volunteers_of_its_area_with_a_leader(cast):
    team = teams.create_team(
        by=cast.community_worker, name="东风里医疗服务队", skill="medical", unit=cast.community
    )
    doctor, nurse = person(cast, "王医生"), person(cast, "李护士")
    teams.add_member(team, doctor, by=cast.community_worker, leader=True)
    teams.add_member(team, nurse, by=cast.community_worker)
    team.refresh_from_db()
    assert team.leader == doctor and set(team.members.all()) == {doctor, nurse}
    teams.remove_member(team, doctor, by=cast.community_worker)
    team.refresh_from_db()
    assert team.leader is None and list(team.members.all()) == [nurse]
    assert AuditEntry.objects.filter(action__startswith="volunteers.team").count() == 4


def test_a_volunteer_from_elsewhere_cannot_join(cast):
    team = teams.create_team(
        by=cast.community_worker, name="医疗队", skill="medical", unit=cast.community
    )
    stranger = person(cast, "张医生", unit=cast.neighbour_community)
    with pytest.raises(ValidationError):
        teams.add_member(team, stranger, by=cast.community_worker)


def test_names_are_unique_in_a_unit_and_strangers_are_refused(cast):
    teams.create_team(by=cast.community_worker, name="医疗队", skill="medical", unit=cast.community)
    with pytest.raises(ValidationError):
        teams.create_team(
            by=cast.community_worker, name="医疗队", skill="repairs", unit=cast.community
        )
    with pytest.raises(PermissionDenied):
        teams.create_team(by=cast.outsider, name="维修队", skill="repairs", unit=cast.community)
    assert Team.objects.count() == 1


def test_a_teams_hours_are_its_members_current_hours(cast):
    team = teams.create_team(
        by=cast.community_worker, name="医疗队", skill="medical", unit=cast.community
    )
    doctor, nurse = person(cast, "王医生"), person(cast, "李护士")
    for member in (doctor, nurse):
        teams.add_member(team, member, by=cast.community_worker)
        services.record_service(
            member,
            by=cast.community_worker,
            organiser=cast.community,
            activity="义诊",
            served_on=timezone.localdate() - dt.timedelta(days=1),
            hours=Decimal("3"),
        )
    assert teams.teams_with_totals(Team.objects.all()).get().total_hours == Decimal("6.0")


def test_the_teams_page(cast, client):
    login_as(client, cast.community_worker)
    response = client.post(
        "/volunteers/teams/",
        {"name": "东风里维修队", "skill": "repairs", "unit": cast.community.pk},
    )
    assert response["Location"] == "/volunteers/teams/"
    team = Team.objects.get()
    helper = person(cast, "郑师傅")
    client.post(f"/volunteers/teams/{team.pk}/members/", {"volunteer": helper.pk, "leader": "on"})
    assert page_text(client.get("/volunteers/teams/")).count("郑师傅") >= 1
    assert Team.objects.get().leader == helper
    login_as(client, cast.outsider)
    assert "东风里维修队" not in page_text(client.get("/volunteers/teams/"))
