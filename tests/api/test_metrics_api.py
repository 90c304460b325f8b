"""/api/v1/metrics: the dashboard's figures and the monthly ranking for systems, with the
dashboard's definitions and scope."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.api.conftest import bearer, issue
from tests.matters import factories as mf
from xinkan.matters import services
from xinkan.matters.models import Rating
from xinkan.metrics import aggregation
from xinkan.org.roles import Perm, Role


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0
    settings.XINKAN_METRICS_MIN_FOLLOW_UPS = 1


def rated(cast):  # type: ignore[no-untyped-def]
    for number, rating in enumerate([Rating.SATISFIED, Rating.DISSATISFIED]):
        matter = mf.replied(cast, contact_phone=f"1390000000{number}", description=f"第{number}件")
        services.record_follow_up(matter, rating=rating, by=cast.community_worker)
    aggregation.refresh()


def test_the_figures_of_ones_community_this_month(cast, api_client):
    rated(cast)
    token = issue(cast)
    body = api_client.get(
        f"/api/v1/metrics/figures?unit={cast.community.pk}", **bearer(token.secret)
    ).json()
    assert body["target"] == "unit" and body["period"] == "month"
    assert body["start"] == timezone.localdate().replace(day=1).isoformat()
    assert body["values"]["registered"] == 2
    assert body["values"]["satisfaction_rate"] == pytest.approx(0.5)
    assert body["labels"]["registered"] == "Matters registered"


def test_another_communitys_figures_are_not_found(cast, api_client):
    token = issue(cast)
    response = api_client.get(
        f"/api/v1/metrics/figures?unit={cast.neighbour_community.pk}", **bearer(token.secret)
    )
    assert response.status_code == 404


def test_the_subdistrict_ranks_its_communities(cast, api_client):
    rated(cast)
    token = issue(cast, role=Role.SUBDISTRICT_CADRE, unit=cast.subdistrict, name="街道大屏")
    month = timezone.localdate().replace(day=1).isoformat()
    body = api_client.get(
        f"/api/v1/metrics/rankings?level=community&month={month}", **bearer(token.secret)
    ).json()
    assert body["level"] == "community"
    assert {row["unit"] for row in body["rows"]} == {"东风里社区", "光明社区"}
    ranked = [row for row in body["rows"] if row["rank"] is not None]
    assert ranked[0]["unit"] == "东风里社区" and ranked[0]["score"] is not None


def test_a_token_without_the_permission_is_refused(cast, api_client):
    token = issue(cast, perms=[Perm.MATTERS_VIEW], name="只看诉求")
    assert api_client.get("/api/v1/metrics/figures", **bearer(token.secret)).status_code == 403


def test_the_figures_of_one_category_and_those_below_it(cast, api_client):
    rated(cast)  # two lift matters (property.elevator)
    lights = mf.category("roads.lights", "路灯不亮")
    mf.replied(cast, category=lights, contact_phone="13900000007", description="路灯坏了三天")
    aggregation.refresh()
    token = issue(cast)
    url = f"/api/v1/metrics/figures?unit={cast.community.pk}"

    everything = api_client.get(url, **bearer(token.secret)).json()
    parent = mf.category().parent
    assert parent is not None
    of_property = api_client.get(f"{url}&category={parent.pk}", **bearer(token.secret)).json()
    of_lights = api_client.get(f"{url}&category={lights.pk}", **bearer(token.secret)).json()

    assert everything["category"] is None and everything["values"]["registered"] == 3
    assert of_property["category"] == parent.code
    assert of_property["values"]["registered"] == 2
    assert of_lights["values"]["registered"] == 1
    assert of_property["provided"] == {}  # mediation, volunteers, square: no category


def test_an_unknown_category_is_refused_with_the_field(cast, api_client):
    token = issue(cast)
    response = api_client.get(
        f"/api/v1/metrics/figures?unit={cast.community.pk}&category=999999",
        **bearer(token.secret),
    )
    assert response.status_code == 400
    assert "category" in response.json()["error"]["fields"]


def test_the_district_ranks_its_departments(cast, api_client):
    rated(cast)  # answered by the district's 住建局
    token = issue(cast, role=Role.LEADER, unit=cast.district, name="区大屏")
    month = timezone.localdate().replace(day=1).isoformat()
    body = api_client.get(
        f"/api/v1/metrics/rankings?kind=departments&level=district&month={month}",
        **bearer(token.secret),
    ).json()
    assert (body["kind"], body["level"]) == ("departments", "district")
    assert [row["department"] for row in body["rows"]] == [cast.department.name]
    row = body["rows"][0]
    assert row["department_id"] == cast.department.pk and row["unit_id"] == cast.district.pk
    assert row["values"]["satisfaction_rate"] == pytest.approx(0.5)
    units = api_client.get(
        f"/api/v1/metrics/rankings?level=subdistrict&month={month}", **bearer(token.secret)
    ).json()
    assert units["kind"] == "units"
    assert all(row["department_id"] is None for row in units["rows"])
