"""/api/v1/pairings/{id}: one pairing with its visits; logging a visit (idempotent) by staff, for
a team member, or by the paired volunteer through their own session; ending a pairing — through
volunteers.pairings, with the pages' scope."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.api.conftest import bearer, issue
from tests.conftest import login_as
from tests.scope import Probe, assert_scope
from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Perm, Role
from xinkan.residents import services as residents
from xinkan.residents.models import Need
from xinkan.volunteers import pairings, teams
from xinkan.volunteers import services as volunteers
from xinkan.volunteers.models import Pairing, PairingVisit, ServiceRecord

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def post(client: Client, url: str, body: dict[str, Any], secret: str, **headers: str) -> Any:
    return client.post(
        url, json.dumps(body), content_type="application/json", **bearer(secret, **headers)
    )


def make_pairing(cast: Any, unit: Any = None, team: Any = None, name: str = "周敏") -> Pairing:
    unit = unit or cast.grid
    by = cast.community_worker if unit.path.startswith(cast.community.path) else cast.outsider
    helper = None
    if team is None:
        helper = volunteers.register_volunteer(
            by=by, name=name, unit=unit.parent, skills=["companionship"]
        )
    person = factories.resident(unit, name="李秀英")
    need = residents.open_need(person, by=by, need_type="daily_care")
    return pairings.pair(
        by=by,
        need=need,
        volunteer=helper,
        team=team,
        help_text="每周上门陪伴老人",
        visit_every_days=7,
        starts_on=TODAY() - dt.timedelta(days=20),
        ends_on=TODAY() + dt.timedelta(days=300),
    )


def visit_body(**extra: Any) -> dict[str, Any]:
    body = {"visited_on": str(TODAY()), "notes": "陪老人聊天，帮忙打扫卫生", "hours": "2.5"}
    body.update(extra)
    return body


def test_staff_log_a_visit_and_its_hours_are_service_hours(cast, api_client):
    pairing = make_pairing(cast)
    token = issue(cast)
    response = post(api_client, f"/api/v1/pairings/{pairing.pk}/visits", visit_body(), token.secret)
    assert response.status_code == 201, response.content
    got = response.json()
    assert got["visit"]["hours_certified"] is True and got["visit"]["hours"] == "2.5"
    assert got["pairing"]["next_visit_due"] == str(TODAY() + dt.timedelta(days=7))
    assert got["pairing"]["behind"] is False
    assert ServiceRecord.objects.get().hours == Decimal("2.5")
    entry = AuditEntry.objects.get(action="volunteers.visit.logged")
    assert entry.actor == token.token.user and entry.data["by_volunteer"] is False


def test_a_retried_visit_is_logged_once(cast, api_client):
    pairing = make_pairing(cast)
    token = issue(cast)
    url = f"/api/v1/pairings/{pairing.pk}/visits"
    first = post(api_client, url, visit_body(), token.secret, HTTP_IDEMPOTENCY_KEY="v-1")
    again = post(api_client, url, visit_body(), token.secret, HTTP_IDEMPOTENCY_KEY="v-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert PairingVisit.objects.count() == 1 and ServiceRecord.objects.count() == 1
    other = post(
        api_client, url, visit_body(notes="第二次上门"), token.secret, HTTP_IDEMPOTENCY_KEY="v-1"
    )
    assert other.status_code == 422
    assert PairingVisit.objects.count() == 1


# Values made when the test runs, not when it is collected (a run crossing local midnight).
@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda: {"visited_on": str(TODAY() + dt.timedelta(days=1))}, "visited_on"),
        (lambda: {"notes": " x "}, "notes"),
        (lambda: {"hours": "0.25"}, "hours"),
        (lambda: {"hours": "30"}, "hours"),
        (lambda: {"volunteer": 999999}, "volunteer"),
    ],
)
def test_visit_errors_name_the_field_and_log_nothing(cast, api_client, change, field):
    pairing = make_pairing(cast)
    token = issue(cast)
    url = f"/api/v1/pairings/{pairing.pk}/visits"
    response = post(api_client, url, visit_body(**change()), token.secret)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not PairingVisit.objects.exists()
    pairing.refresh_from_db()
    assert pairing.last_visit_on is None


def test_staff_name_the_team_member_who_visited(cast, api_client):
    team = teams.create_team(
        by=cast.community_worker, name="陪伴服务队", skill="companionship", unit=cast.community
    )
    member = volunteers.register_volunteer(
        by=cast.community_worker, name="钱慧", unit=cast.community, skills=["companionship"]
    )
    teams.add_member(team, member, by=cast.community_worker)
    pairing = make_pairing(cast, team=team)
    token = issue(cast)
    url = f"/api/v1/pairings/{pairing.pk}/visits"
    missing = post(api_client, url, visit_body(), token.secret)
    assert missing.status_code == 400 and "volunteer" in missing.json()["error"]["fields"]
    response = post(api_client, url, visit_body(volunteer=member.pk), token.secret)
    assert response.status_code == 201, response.content
    assert response.json()["visit"]["volunteer_id"] == member.pk


def test_the_paired_volunteer_logs_their_own_visit_by_session(cast):
    pairing = make_pairing(cast)
    account = factories.member(Role.VOLUNTEER, unit=cast.community, username="zm")
    helper = pairing.volunteer
    assert helper is not None
    helper.user = account
    helper.save()
    client = login_as(Client(), account)
    response = client.post(
        f"/api/v1/pairings/{pairing.pk}/visits",
        json.dumps(visit_body()),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["visit"]["hours_certified"] is False  # waits for the unit
    assert not ServiceRecord.objects.exists()
    assert client.get(f"/api/v1/pairings/{pairing.pk}").json()["visits"][0]["notes"]
    # Only staff end a pairing.
    ended = client.post(
        f"/api/v1/pairings/{pairing.pk}/end",
        json.dumps({"reason": "搬家"}),
        content_type="application/json",
    )
    assert ended.status_code == 403


def test_visits_are_scoped_like_the_pairing_page(cast, client):
    pairing = make_pairing(cast)
    assert_scope(
        client,
        Probe(
            "post",
            f"/api/v1/pairings/{pairing.pk}/visits",
            visit_body(),
            content_type="application/json",
        ),
        allowed=[cast.community_worker],
        denied=[cast.outsider, cast.handler],
        state=lambda: PairingVisit.objects.count(),
    )


def test_a_pairing_outside_the_area_is_not_found(cast, api_client):
    elsewhere = make_pairing(cast, unit=cast.neighbour_grid)
    token = issue(cast)
    assert (
        api_client.get(f"/api/v1/pairings/{elsewhere.pk}", **bearer(token.secret)).status_code
        == 404
    )
    response = post(
        api_client, f"/api/v1/pairings/{elsewhere.pk}/visits", visit_body(), token.secret
    )
    assert response.status_code == 404
    assert not PairingVisit.objects.exists()


def test_a_token_that_only_reads_volunteers_logs_no_visit(cast, api_client):
    pairing = make_pairing(cast)
    token = issue(cast, perms=[Perm.VOLUNTEERS_VIEW], name="只读")
    response = post(api_client, f"/api/v1/pairings/{pairing.pk}/visits", visit_body(), token.secret)
    assert response.status_code == 403
    assert not PairingVisit.objects.exists()
    assert AuditEntry.objects.filter(action="volunteers.visit.denied").count() == 1


def test_ending_a_pairing_closes_the_need_when_met_and_only_once(cast, api_client):
    pairing = make_pairing(cast)
    token = issue(cast)
    url = f"/api/v1/pairings/{pairing.pk}/end"
    response = post(api_client, url, {"reason": "老人已入住养老院", "need_met": True}, token.secret)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Pairing.Status.ENDED
    assert Need.objects.get(pk=pairing.need_id).closed_at is not None
    again = post(api_client, url, {"reason": "重复提交"}, token.secret)
    assert again.status_code == 400 and "reason" in again.json()["error"]["fields"]
    assert AuditEntry.objects.filter(action="volunteers.pairing.ended").count() == 1
    late = post(api_client, f"/api/v1/pairings/{pairing.pk}/visits", visit_body(), token.secret)
    assert late.status_code == 400 and not PairingVisit.objects.exists()
