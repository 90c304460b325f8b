"""The administration pages for units: add, change (move), list, no delete — all through the services."""

from __future__ import annotations

import pytest

from tests import factories
from tests.pages import in_english
from xinkan.audit.models import AuditEntry
from xinkan.org.models import Level, Unit

ADD_URL = "/admin/org/unit/add/"


def tree_state() -> list[tuple]:
    return list(
        Unit.objects.order_by("pk").values_list(
            "pk", "code", "name", "level", "parent_id", "path", "depth", "is_active"
        )
    )


def unit_form(**values) -> dict:
    form = {
        "code": "139901001003",
        "name": "春晖社区",
        "level": Level.COMMUNITY,
        "parent": "",
        "address": "",
        "phone": "",
        "is_active": "on",
    }
    form.update(values)
    return form


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


@pytest.fixture
def admin_client(cast, login):
    return login(cast.admin)


@pytest.fixture
def other_district(cast):
    district = factories.unit("临河区", Level.DISTRICT, code="139902")
    factories.unit("河东街道", Level.SUBDISTRICT, district, code="139902001")
    return district


def test_the_administrator_adds_a_unit_through_the_service(cast, admin_client):
    response = admin_client.post(ADD_URL, unit_form(parent=cast.subdistrict.pk))

    assert response.status_code == 302
    unit = Unit.objects.get(code="139901001003")
    assert unit.path == cast.subdistrict.path + f"{unit.pk:08d}/"
    entry = AuditEntry.objects.get(action="org.unit.created", object_id=str(unit.pk))
    assert entry.actor == cast.admin


def test_a_grid_under_a_grid_is_a_form_error_and_saves_nothing(cast, admin_client):
    before, entries = tree_state(), AuditEntry.objects.count()
    in_english(admin_client)
    response = admin_client.post(
        ADD_URL, unit_form(code="X2", level=Level.GRID, parent=cast.grid.pk)
    )

    assert response.status_code == 200
    assert form_errors(response)["parent"] == [
        "A unit of this level cannot be placed under that parent."
    ]
    assert tree_state() == before
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"code": "139901001001"}, "code"),  # taken by 东风里社区
        ({"code": ""}, "code"),
        ({"name": "名" * 101}, "name"),
        ({"level": "county"}, "level"),
    ],
    ids=["duplicate code", "no code", "over-long name", "unknown level"],
)
def test_bad_input_is_a_form_error_and_saves_nothing(cast, admin_client, values, field):
    before = tree_state()
    response = admin_client.post(ADD_URL, unit_form(parent=cast.subdistrict.pk, **values))
    assert response.status_code == 200
    assert field in form_errors(response)
    assert tree_state() == before


def test_a_parent_outside_the_administrators_scope_is_a_form_error(
    cast, admin_client, other_district
):
    before = tree_state()
    response = admin_client.post(
        ADD_URL, unit_form(level=Level.SUBDISTRICT, parent=other_district.pk)
    )
    assert response.status_code == 200
    assert "parent" in form_errors(response)
    assert tree_state() == before


def test_only_a_superuser_adds_a_top_level_unit(cast, admin_client):
    before = tree_state()
    response = admin_client.post(ADD_URL, unit_form(code="139909", level=Level.DISTRICT))
    assert response.status_code == 200
    assert "parent" in form_errors(response)
    assert tree_state() == before


def test_the_administrator_renames_a_unit_and_the_change_is_audited(cast, admin_client):
    url = f"/admin/org/unit/{cast.community.pk}/change/"
    response = admin_client.post(
        url,
        unit_form(
            code=cast.community.code,
            name="东风里新社区",
            level=Level.COMMUNITY,
            parent=cast.subdistrict.pk,
        ),
    )
    assert response.status_code == 302
    assert Unit.objects.get(pk=cast.community.pk).name == "东风里新社区"
    entry = AuditEntry.objects.get(action="org.unit.updated", object_id=str(cast.community.pk))
    assert entry.changes == {"name": ["东风里社区", "东风里新社区"]}
    assert entry.actor == cast.admin


def test_the_administrator_may_edit_their_top_unit_without_a_parent(cast, admin_client):
    url = f"/admin/org/unit/{cast.district.pk}/change/"
    data = unit_form(code=cast.district.code, name="清河新区", level=Level.DISTRICT)
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert Unit.objects.get(pk=cast.district.pk).name == "清河新区"


def test_moving_a_unit_in_the_change_form_moves_its_subtree(cast, admin_client):
    url = f"/admin/org/unit/{cast.neighbour_community.pk}/change/"
    data = unit_form(
        code=cast.neighbour_community.code,
        name=cast.neighbour_community.name,
        level=Level.COMMUNITY,
        parent=cast.other_subdistrict.pk,
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302
    grid = Unit.objects.get(pk=cast.neighbour_grid.pk)
    assert grid.path.startswith(cast.other_subdistrict.path)


def test_moving_a_unit_under_itself_is_a_form_error(cast, admin_client):
    url = f"/admin/org/unit/{cast.subdistrict.pk}/change/"
    before = tree_state()
    data = unit_form(
        code=cast.subdistrict.code,
        name=cast.subdistrict.name,
        level=Level.SUBDISTRICT,
        parent=cast.subdistrict.pk,
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "parent" in form_errors(response)
    assert tree_state() == before


def test_the_unit_list_shows_only_units_in_the_administrators_scope(
    cast, admin_client, other_district
):
    response = admin_client.get("/admin/org/unit/")
    assert response.status_code == 200
    listed = {unit.code for unit in response.context["cl"].result_list}
    assert listed == set(
        Unit.objects.filter(path__startswith=cast.district.path).values_list("code", flat=True)
    )
    assert other_district.code not in listed


def test_a_unit_outside_the_scope_cannot_be_opened_or_changed(cast, admin_client, other_district):
    before = tree_state()
    url = f"/admin/org/unit/{other_district.pk}/change/"
    assert admin_client.get(url).status_code == 302  # "does not exist", back to the index
    admin_client.post(url, unit_form(code=other_district.code, name="改名", level=Level.DISTRICT))
    assert tree_state() == before


def test_autocomplete_offers_only_units_in_scope(cast, admin_client, other_district):
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "org", "model_name": "unit", "field_name": "parent", "term": "河"},
    )
    names = {item["text"] for item in response.json()["results"]}
    assert names == {"清河区"}


def test_a_unit_cannot_be_deleted(cast, admin_client):
    before = tree_state()
    url = f"/admin/org/unit/{cast.grid.pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        "/admin/org/unit/", {"action": "delete_selected", "_selected_action": [cast.grid.pk]}
    )
    assert response.status_code in {200, 302}
    assert tree_state() == before
