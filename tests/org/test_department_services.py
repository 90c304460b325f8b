"""org.services.create_department / update_department."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests import factories
from xinkan.audit.models import AuditEntry
from xinkan.org import services
from xinkan.org.models import Department, Level


def departments_state() -> list[tuple]:
    return list(
        Department.objects.order_by("pk").values_list("pk", "code", "name", "unit_id", "is_active")
    )


def test_create_department_audits_the_new_values(cast):
    department = services.create_department(
        code=" 139901-MZJ ",
        name="清河区民政局",
        short_name="民政局",
        unit=cast.district,
        by=cast.admin,
    )
    assert department.code == "139901-MZJ"
    entry = AuditEntry.objects.get(action="org.department.created", object_id=str(department.pk))
    assert entry.actor == cast.admin
    assert entry.unit_id == cast.district.pk
    assert entry.changes["name"] == [None, "清河区民政局"]
    assert entry.changes["unit"] == [None, cast.district.pk]


@pytest.mark.parametrize(
    ("code", "name"),
    [("139901-ZJJ", "另一个局"), ("139901-NEW", "清河区住房和城乡建设局")],
    ids=["duplicate code", "duplicate name in the unit"],
)
def test_a_duplicate_department_is_refused(cast, code, name):
    before, entries = departments_state(), AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        services.create_department(code=code, name=name, unit=cast.district, by=cast.admin)
    assert departments_state() == before
    assert AuditEntry.objects.count() == entries


def test_update_department_audits_only_what_changed(cast):
    services.update_department(cast.department, by=cast.admin, short_name="住建局")
    services.update_department(cast.department, by=cast.admin, short_name="住建局")
    [entry] = AuditEntry.objects.filter(action="org.department.updated")
    assert entry.changes == {"short_name": ["", "住建局"]}


def test_an_administrator_cannot_add_or_move_a_department_outside_their_scope(cast):
    district2 = factories.unit("临河区", Level.DISTRICT, code="139902")
    before = departments_state()
    with pytest.raises(PermissionDenied):
        services.create_department(code="D2", name="临河区民政局", unit=district2, by=cast.admin)
    with pytest.raises(PermissionDenied):
        services.update_department(cast.department, by=cast.admin, unit=district2)
    assert departments_state() == before
    assert AuditEntry.objects.filter(action="org.manage.denied", actor=cast.admin).count() == 2


def test_a_department_handler_cannot_change_their_department(cast):
    before = departments_state()
    with pytest.raises(PermissionDenied):
        services.update_department(cast.department, by=cast.handler, name="改名局")
    assert departments_state() == before
