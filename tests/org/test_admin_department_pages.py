"""The administration pages for functional departments."""

from __future__ import annotations

import pytest

from tests import factories
from xinkan.audit.models import AuditEntry
from xinkan.org.models import Department, Level

ADD_URL = "/admin/org/department/add/"


def departments_state() -> list[tuple]:
    return list(
        Department.objects.order_by("pk").values_list("pk", "code", "name", "unit_id", "is_active")
    )


def department_form(unit, **values) -> dict:
    form = {
        "code": "139901-MZJ",
        "name": "清河区民政局",
        "short_name": "民政局",
        "unit": unit.pk,
        "phone": "",
        "is_active": "on",
    }
    form.update(values)
    return form


@pytest.fixture
def admin_client(cast, login):
    return login(cast.admin)


def test_the_administrator_adds_a_department_through_the_service(cast, admin_client):
    response = admin_client.post(ADD_URL, department_form(cast.district))
    assert response.status_code == 302
    department = Department.objects.get(code="139901-MZJ")
    entry = AuditEntry.objects.get(action="org.department.created", object_id=str(department.pk))
    assert entry.actor == cast.admin


@pytest.mark.parametrize(
    "values",
    [{"code": "139901-ZJJ"}, {"name": "清河区住房和城乡建设局"}, {"code": ""}],
    ids=["duplicate code", "duplicate name in the unit", "no code"],
)
def test_bad_input_is_a_form_error_and_saves_nothing(cast, admin_client, values):
    before = departments_state()
    response = admin_client.post(ADD_URL, department_form(cast.district, **values))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert departments_state() == before


def test_a_unit_outside_the_administrators_scope_is_a_form_error(cast, admin_client):
    district2 = factories.unit("临河区", Level.DISTRICT, code="139902")
    before = departments_state()
    response = admin_client.post(ADD_URL, department_form(district2))
    assert response.status_code == 200
    assert "unit" in response.context["adminform"].form.errors
    assert departments_state() == before


def test_a_change_is_audited_with_before_and_after(cast, admin_client):
    url = f"/admin/org/department/{cast.department.pk}/change/"
    response = admin_client.post(
        url,
        department_form(
            cast.district, code=cast.department.code, name=cast.department.name, short_name="住建局"
        ),
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="org.department.updated")
    assert entry.changes == {"short_name": ["", "住建局"]}


def test_a_department_cannot_be_deleted(cast, admin_client):
    before = departments_state()
    url = f"/admin/org/department/{cast.department.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert departments_state() == before
