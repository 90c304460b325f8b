"""The hot spot pages: ranked, scope-filtered, the count on each link the number of rows behind
it, and a pinned number of queries however many hot spots."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories
from tests.conftest import login_as
from tests.hotspots.helpers import LIFT, LIGHTS, lift_cluster, report
from xinkan.audit.models import AuditEntry
from xinkan.hotspots import services
from xinkan.hotspots.models import HotSpot
from xinkan.org.roles import Role

pytestmark = pytest.mark.django_db

LIST = reverse("hotspots:list")


@pytest.fixture
def spots(cast, second_grid):  # type: ignore[no-untyped-def]
    """A lift hot spot in 东风里社区 (two grids) and a lights one in 和平社区 (胜利街道)."""
    lifts = lift_cluster([cast.grid, second_grid], 6, days_ago=0.5)
    lights = [report(cast.other_grid, t, category="roads.lights", days_ago=1) for t in LIGHTS]
    services.refresh()
    return {
        "lifts": HotSpot.objects.get(category=lifts[0].category),
        "lights": HotSpot.objects.get(category=lights[0].category),
        "lift_matters": lifts,
    }


def _listed(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(pk) for pk in re.findall(r'data-hotspot="(\d+)"', response.content.decode())]


def test_leaders_see_the_ranked_hot_spots_of_their_area(client, cast, spots):
    login_as(client, cast.leader)
    response = client.get(LIST)

    assert response.status_code == 200
    assert _listed(response) == [spots["lifts"].pk, spots["lights"].pk]
    page = response.content.decode()
    assert 'data-rank="1"' in page and "电梯" in page
    assert spots["lift_matters"][0].title in page or spots["lift_matters"][-1].title in page


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("cadre", ["lifts"]),
        ("community_worker", ["lifts"]),
        ("outsider", []),  # the community worker of 光明社区, next door
        ("other_leader", ["lights"]),
        ("handler", []),  # a department: no area of its own
    ],
)
def test_each_role_sees_the_hot_spots_of_its_area_only(client, cast, spots, who, expected):
    if who == "other_leader":
        user = factories.member(Role.LEADER, unit=cast.other_subdistrict, username="leader2")
    else:
        user = getattr(cast, who)
    login_as(client, user)

    response = client.get(LIST)

    assert response.status_code == 200
    assert _listed(response) == [spots[name].pk for name in expected]


def test_staff_without_performance_figures_are_refused(client, cast, spots):
    login_as(client, cast.grid_worker)
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("hotspots:detail", args=[spots["lifts"].pk])).status_code == 403


def test_a_hot_spot_outside_the_area_is_not_found_and_the_attempt_is_audited(client, cast, spots):
    login_as(client, cast.outsider)
    response = client.get(reverse("hotspots:detail", args=[spots["lifts"].pk]))

    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        action="hotspots.denied", actor=cast.outsider, outcome="failure"
    ).exists()
    login_as(client, cast.cadre)
    assert client.get(f"{LIST}?unit={cast.other_subdistrict.pk}").status_code == 404


def test_the_list_narrows_to_a_unit_of_the_area(client, cast, spots):
    login_as(client, cast.leader)

    response = client.get(f"{LIST}?unit={cast.other_subdistrict.pk}")

    assert _listed(response) == [spots["lights"].pk]


def test_the_count_on_the_link_is_the_number_of_matters_on_the_page(client, cast, spots):
    login_as(client, cast.cadre)
    page = client.get(LIST).content.decode()
    [count] = re.findall(rf'href="/hotspots/{spots["lifts"].pk}/" data-count="(\d+)"', page)

    detail = client.get(reverse("hotspots:detail", args=[spots["lifts"].pk])).content.decode()

    rows = re.findall(r'<tr data-matter="(\d+)"', detail)
    assert int(count) == len(rows) == 6
    assert {int(pk) for pk in rows} == {m.pk for m in spots["lift_matters"]}
    assert 'data-growth="6"' in detail


def test_the_actions_shown_follow_the_users_permissions(client, cast, spots):
    url = reverse("hotspots:detail", args=[spots["lifts"].pk])
    login_as(client, cast.cadre)
    page = client.get(url).content.decode()
    assert 'data-testid="act-form"' in page and 'data-testid="campaign-form"' in page
    login_as(client, cast.leader)  # no registering: a campaign only
    page = client.get(url).content.decode()
    assert 'data-testid="act-form"' not in page and 'data-testid="campaign-form"' in page
    login_as(client, cast.community_worker)  # registers, does not run campaigns
    page = client.get(url).content.decode()
    assert 'data-testid="act-form"' in page and 'data-testid="campaign-form"' not in page


def test_the_list_costs_the_same_queries_for_one_hot_spot_or_many(
    client, cast, second_grid, django_assert_max_num_queries
):
    lift_cluster([cast.grid], 3, days_ago=0.5)
    services.refresh()
    login_as(client, cast.leader)
    client.get(LIST)  # warm the session and the scope
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for i, unit in enumerate([cast.other_grid, cast.neighbour_grid, second_grid]):
        for j in range(3):
            report(unit, LIGHTS[j], category="roads.lights", days_ago=0.2 + i)
        report(unit, LIFT[i], days_ago=0.3)
    services.refresh()
    assert HotSpot.objects.count() >= 4
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(LIST)
    assert len(_listed(response)) == HotSpot.objects.count()


def test_before_the_first_run_the_page_says_so(client, cast):
    lift_cluster([cast.grid], 3, days_ago=0.5)
    login_as(client, cast.leader)

    page = client.get(LIST).content.decode()

    assert 'data-testid="not-computed"' in page and "data-hotspot" not in page
