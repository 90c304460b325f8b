"""/api/v1/residents, /volunteers and /pairings: the same scope as the pages; numbers masked in
lists and for callers who may not see them in full; sensitive colours only for those permitted;
a resident's record read is audited."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests import factories
from tests.api.conftest import bearer, issue
from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Perm, Role
from xinkan.residents import services as residents
from xinkan.residents.models import ColourCategory
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
