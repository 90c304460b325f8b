"""The unit pages (/units/ and /units/<id>/): only units in the reader's scope."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import login_as
from tests.pages import in_english, text_of
from tests.scope import Probe, assert_scope
from xinkan.org.models import Level, Unit
from xinkan.org.roles import Role


def unit_state(unit: Unit) -> tuple:
    unit.refresh_from_db()
    return (unit.name, unit.parent_id, unit.path, unit.updated_at)


def test_a_community_and_its_grid_are_open_to_its_worker_and_the_subdistrict(cast, client):
    for unit in (cast.community, cast.grid):
        assert_scope(
            client,
            Probe("get", f"/units/{unit.pk}/"),
            allowed=[cast.community_worker, cast.cadre, cast.leader],
            denied=[cast.outsider, cast.handler],
            state=lambda unit=unit: unit_state(unit),
        )


def test_the_neighbouring_community_is_closed_to_the_community_worker(cast, client):
    assert_scope(
        client,
        Probe("get", f"/units/{cast.neighbour_community.pk}/"),
        allowed=[cast.outsider, cast.cadre, cast.leader],
        denied=[cast.community_worker, cast.grid_worker],
        state=lambda: unit_state(cast.neighbour_community),
    )


def test_a_grid_worker_sees_only_their_grid(cast, client):
    assert_scope(
        client,
        Probe("get", f"/units/{cast.grid.pk}/"),
        allowed=[cast.grid_worker],
        denied=[],
    )
    assert_scope(
        client,
        Probe("get", f"/units/{cast.community.pk}/"),
        allowed=[],
        denied=[cast.grid_worker],
    )


def test_another_subdistrict_is_closed_to_the_cadre(cast, client):
    assert_scope(
        client,
        Probe("get", f"/units/{cast.other_community.pk}/"),
        allowed=[cast.leader, cast.admin],
        denied=[cast.cadre, cast.community_worker, cast.outsider],
    )


def test_an_unknown_unit_is_not_found(cast, client):
    login_as(client, cast.leader)
    assert client.get("/units/999999/").status_code == 404


def test_the_page_shows_units_departments_and_staff_below(cast, client):
    login_as(client, cast.leader)
    in_english(client)
    text = text_of(client.get(f"/units/{cast.district.pk}/"))
    assert cast.subdistrict.name in text
    assert cast.other_subdistrict.name in text
    assert "2 units below" in text  # 东风街道 has two communities
    assert cast.department.name in text
    assert "1 staff member" in text
    assert cast.leader.display_name in text
    assert cast.admin.display_name in text


def test_the_residents_link_appears_only_for_readers_of_residents(cast, client):
    link = f"/residents/?unit={cast.community.pk}"
    login_as(client, cast.community_worker)
    assert link in client.get(f"/units/{cast.community.pk}/").content.decode()
    client.logout()
    login_as(client, cast.admin)
    assert link not in client.get(f"/units/{cast.community.pk}/").content.decode()


def test_the_breadcrumb_names_only_ancestors_within_scope(cast, client):
    login_as(client, cast.community_worker)
    html = client.get(f"/units/{cast.grid.pk}/").content.decode()
    assert f'href="/units/{cast.community.pk}/"' in html
    assert f'href="/units/{cast.subdistrict.pk}/"' not in html
    assert cast.subdistrict.name not in html


def test_empty_sections_say_so(cast, client):
    login_as(client, cast.grid_worker)
    in_english(client)
    text = text_of(client.get(f"/units/{cast.grid.pk}/"))
    assert "No units below this one." in text
    assert "No functional departments belong to this unit." in text


def test_the_unit_list_shows_the_readers_own_units(cast, client):
    login_as(client, cast.cadre)
    text = text_of(client.get("/units/"))
    assert cast.subdistrict.name in text
    assert cast.district.name not in text


def test_a_department_handler_has_no_units_to_list(cast, client):
    login_as(client, cast.handler)
    in_english(client)
    response = client.get("/units/")
    assert response.status_code == 200
    assert "You are not assigned to any unit." in text_of(response)


def test_people_without_an_organisational_role_may_not_browse_units(cast, client):
    volunteer = factories.member(Role.VOLUNTEER, unit=cast.community, username="volunteer")
    login_as(client, volunteer)
    assert client.get("/units/").status_code == 403
    assert client.get(f"/units/{cast.community.pk}/").status_code == 404


def _grow(cast, n: int) -> None:
    """n child units under the community, each with a resident, a grandchild and a staff member."""
    for number in range(n):
        child = factories.unit(f"第{number}网格", Level.GRID, cast.community)
        factories.resident(child, f"居民{number:02d}")
        factories.member(Role.GRID_WORKER, unit=cast.community, username=f"gw{number}")


@pytest.mark.parametrize("n", [5, 60])
def test_the_number_of_queries_does_not_grow_with_the_children(
    cast, client, django_assert_num_queries, n
):
    _grow(cast, n)
    factories.department("东风里社区服务站", cast.community)
    login_as(client, cast.cadre)
    url = f"/units/{cast.community.pk}/"
    client.get(url)  # warm up: the first request after login writes the session
    # session, user, device, scope, the unit, children, ancestors, departments, staff
    with django_assert_num_queries(9):
        response = client.get(url)
    assert len(response.context["children"]) == n + 1
    assert len(response.context["staff"]) == n + 1
