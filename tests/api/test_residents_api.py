"""/api/v1/residents, /volunteers and /pairings: the same scope as the pages; numbers masked in
lists and for callers who may not see them in full; sensitive colours only for those permitted;
a resident's record read is audited. Care visits and new household members go through the
residents services (idempotent, audited, refused outside the area)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests import factories
from tests.api.conftest import bearer, issue
from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Perm, Role
from xinkan.residents import services as residents
from xinkan.residents.models import CareVisit, ColourCategory, Resident
from xinkan.volunteers import pairings
from xinkan.volunteers import services as volunteers

ID_NUMBER = "110105195308100020"


def test_residents_are_listed_in_scope_with_numbers_masked(cast, api_client):
    factories.resident(cast.grid, name="李秀英", id_number=ID_NUMBER, phone="13912345678")
    factories.resident(cast.neighbour_grid, name="别处的人")
    token = issue(cast)
    body = api_client.get("/api/v1/residents", **bearer(token.secret)).json()
    assert [item["name"] for item in body["items"]] == ["李秀英"]
    item = body["items"][0]
    assert item["id_number"] == "1101**********0020" and item["phone"] == "139****5678"
    assert body["meta"]["count"] == 1


def test_one_resident_in_full_only_with_the_permission_and_audited(cast, api_client):
    person = factories.resident(cast.grid, name="李秀英", id_number=ID_NUMBER)
    full = issue(cast)  # a community worker's role holds residents.view_personal
    masked = issue(cast, perms=[Perm.RESIDENTS_VIEW], name="只读", role=Role.COMMUNITY_WORKER)
    got = api_client.get(f"/api/v1/residents/{person.pk}", **bearer(full.secret)).json()
    assert got["id_number"] == ID_NUMBER
    got = api_client.get(f"/api/v1/residents/{person.pk}", **bearer(masked.secret)).json()
    assert got["id_number"] == "1101**********0020"
    assert AuditEntry.objects.filter(action="residents.resident.viewed").count() == 2


def test_sensitive_colours_need_their_permission(cast, api_client):
    person = factories.resident(cast.grid, name="李秀英")
    sensitive = ColourCategory.objects.filter(sensitive=True).first()
    plain = ColourCategory.objects.filter(sensitive=False).first()
    assert sensitive is not None and plain is not None
    residents.add_colour(person, category=sensitive, reason="低保户", by=cast.community_worker)
    residents.add_colour(person, category=plain, reason="出租房屋", by=cast.community_worker)
    without = issue(cast, perms=[Perm.RESIDENTS_VIEW], name="无敏感")
    colours = api_client.get(f"/api/v1/residents/{person.pk}", **bearer(without.secret)).json()
    assert [c["colour"] for c in colours["colours"]] == [plain.colour]


def test_another_communitys_resident_is_not_found(cast, api_client):
    elsewhere = factories.resident(cast.neighbour_grid, name="别处的人")
    token = issue(cast)
    response = api_client.get(f"/api/v1/residents/{elsewhere.pk}", **bearer(token.secret))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_volunteers_and_pairings_falling_behind(cast, api_client):
    helper = volunteers.register_volunteer(
        by=cast.community_worker,
        name="周敏",
        unit=cast.community,
        skills=["errands"],
        phone="13611112222",
    )
    need = residents.open_need(
        factories.resident(cast.grid, name="李秀英"),
        by=cast.community_worker,
        need_type="errands",
    )
    today = timezone.localdate()
    pairings.pair(
        by=cast.community_worker,
        need=need,
        volunteer=helper,
        help_text="代购",
        visit_every_days=7,
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=300),
    )
    token = issue(cast)
    listed = api_client.get("/api/v1/volunteers", **bearer(token.secret)).json()
    assert listed["items"][0]["phone"] == "136****2222"
    behind = api_client.get("/api/v1/pairings?behind=true", **bearer(token.secret)).json()
    assert behind["meta"]["count"] == 1 and behind["items"][0]["behind"] is True


def test_a_token_without_the_permission_is_refused(cast, api_client):
    token = issue(cast, perms=[Perm.MATTERS_VIEW], name="只看诉求")
    assert api_client.get("/api/v1/residents", **bearer(token.secret)).status_code == 403
    assert api_client.get("/api/v1/volunteers", **bearer(token.secret)).status_code == 403


# --- Writes: a care visit, a new member of a household ---------------------------------------------


def post(client, url, body, secret, **headers):  # type: ignore[no-untyped-def]
    return client.post(
        url, json.dumps(body), content_type="application/json", **bearer(secret, **headers)
    )


def test_a_care_visit_is_recorded_by_the_token_and_audited(cast, api_client):
    person = factories.resident(cast.grid, name="李秀英")
    token = issue(cast)
    day = timezone.localdate() - dt.timedelta(days=1)
    response = post(
        api_client,
        f"/api/v1/residents/{person.pk}/care-visits",
        {"found": "老人身体尚可，冰箱里缺少蔬菜。", "visited_on": str(day)},
        token.secret,
    )
    assert response.status_code == 201, response.content
    visit = CareVisit.objects.get()
    assert visit.visited_by == token.token.user and visit.visited_on == day
    assert response.json()["id"] == visit.pk
    assert AuditEntry.objects.filter(action="residents.visit.recorded").count() == 1


def test_a_retried_care_visit_is_recorded_once(cast, api_client):
    person = factories.resident(cast.grid, name="李秀英")
    token = issue(cast)
    url = f"/api/v1/residents/{person.pk}/care-visits"
    body = {"found": "老人身体尚可。"}
    first = post(api_client, url, body, token.secret, HTTP_IDEMPOTENCY_KEY="c-1")
    again = post(api_client, url, body, token.secret, HTTP_IDEMPOTENCY_KEY="c-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert CareVisit.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"found": "x"}, "found"),
        ({"found": "老人身体尚可。", "visited_on": "2999-01-01"}, "visited_on"),
        ({"found": "老人身体尚可。", "visited_on": "yesterday"}, "visited_on"),
        ({}, "found"),
    ],
)
def test_care_visit_errors_name_the_field(cast, api_client, body, field):
    person = factories.resident(cast.grid, name="李秀英")
    token = issue(cast)
    response = post(api_client, f"/api/v1/residents/{person.pk}/care-visits", body, token.secret)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not CareVisit.objects.exists()


def test_care_visits_outside_the_area_or_without_the_permission_are_refused(cast, api_client):
    elsewhere = factories.resident(cast.neighbour_grid, name="别处的人")
    mine = factories.resident(cast.grid, name="李秀英")
    token = issue(cast)
    body = {"found": "老人身体尚可。"}
    response = post(api_client, f"/api/v1/residents/{elsewhere.pk}/care-visits", body, token.secret)
    assert response.status_code == 404
    reader = issue(cast, perms=[Perm.RESIDENTS_VIEW], name="只读")
    response = post(api_client, f"/api/v1/residents/{mine.pk}/care-visits", body, reader.secret)
    assert response.status_code == 403
    assert not CareVisit.objects.exists()
    assert AuditEntry.objects.filter(action="residents.visit.denied").count() == 1


def member_body(home, **extra):  # type: ignore[no-untyped-def]
    body = {"household": home.pk, "name": "李秀英", "relation": "户主", "id_number": ID_NUMBER}
    body.update(extra)
    return body


def test_a_member_is_added_to_a_household_with_the_archives_checks(cast, api_client):
    household = factories.household(cast.grid)
    token = issue(cast)
    response = post(api_client, "/api/v1/residents", member_body(household), token.secret)
    assert response.status_code == 201, response.content
    got = response.json()
    person = Resident.objects.get()
    assert got["id"] == person.pk and person.household == household and person.unit == cast.grid
    assert got["birth_date"] == "1953-08-10" and got["gender"] == "female"
    assert got["id_number"] == ID_NUMBER  # the community worker's role sees it in full
    assert AuditEntry.objects.filter(action="residents.resident.created").count() == 1
    twice = post(api_client, "/api/v1/residents", member_body(household), token.secret)
    assert twice.status_code == 400 and "id_number" in twice.json()["error"]["fields"]
    assert Resident.objects.count() == 1


def test_a_retried_member_is_added_once(cast, api_client):
    household = factories.household(cast.grid)
    token = issue(cast)
    body = member_body(household, id_number="")
    first = post(api_client, "/api/v1/residents", body, token.secret, HTTP_IDEMPOTENCY_KEY="r1")
    again = post(api_client, "/api/v1/residents", body, token.secret, HTTP_IDEMPOTENCY_KEY="r1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Resident.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "110105195308100021"}, "id_number"),  # wrong check digit
        ({"phone": "12ab"}, "phone"),
        ({"name": ""}, "name"),
        ({"household": 999999}, "household"),
        ({"gender": "x"}, "gender"),
    ],
)
def test_member_errors_name_the_field_and_add_nobody(cast, api_client, change, field):
    household = factories.household(cast.grid)
    token = issue(cast)
    response = post(api_client, "/api/v1/residents", member_body(household, **change), token.secret)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not Resident.objects.exists()


def test_members_are_added_only_within_the_area(cast, api_client):
    elsewhere = factories.household(cast.neighbour_grid)
    mine = factories.household(cast.grid)
    token = issue(cast)
    response = post(api_client, "/api/v1/residents", member_body(elsewhere), token.secret)
    assert response.status_code == 400 and "household" in response.json()["error"]["fields"]
    reader = issue(cast, perms=[Perm.RESIDENTS_VIEW], name="只读")
    response = post(api_client, "/api/v1/residents", member_body(mine), reader.secret)
    assert response.status_code == 403
    cadre = issue(cast, role=Role.SUBDISTRICT_CADRE, unit=cast.subdistrict, name="街道")
    response = post(api_client, "/api/v1/residents", member_body(mine), cadre.secret)
    assert response.status_code == 403  # a cadre reads the archive but does not keep it
    assert not Resident.objects.exists()
