"""residents.services: households and residents are written in scope, validated and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests import factories
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.residents import services
from xinkan.residents.models import Gender, Household, Resident


def archive_state() -> tuple[int, int, int]:
    return Household.objects.count(), Resident.objects.count(), AuditEntry.objects.count()


def test_a_household_is_created_and_audited(cast):
    household = services.create_household(
        code=" H0001 ", unit=cast.grid, address=" 建设路1号 ", by=cast.grid_worker
    )
    assert (household.code, household.address) == ("H0001", "建设路1号")
    entry = AuditEntry.objects.get(action="residents.household.created")
    assert entry.actor == cast.grid_worker
    assert entry.unit_id == cast.grid.pk
    assert entry.changes == {"code": [None, "H0001"], "address": [None, "建设路1号"]}


def test_a_resident_is_registered_and_audited_with_its_values(cast):
    household = factories.household(cast.grid, "建设路1号")
    resident = services.register_resident(
        name=" 张东风 ",
        unit=cast.grid,
        household=household,
        relation="户主",
        gender=Gender.MALE,
        birth_date=dt.date(1960, 5, 1),
        by=cast.community_worker,
    )
    assert resident.name == "张东风"
    assert resident.address == "建设路1号"  # the household's, when none is given
    entry = AuditEntry.objects.get(action="residents.resident.created")
    assert entry.actor == cast.community_worker
    assert entry.changes["name"] == [None, "张东风"]
    assert entry.changes["birth_date"] == [None, "1960-05-01"]
    assert entry.changes["household"] == [None, household.pk]


@pytest.mark.parametrize(
    ("role", "unit"),
    [
        ("grid_worker", "neighbour_grid"),  # another community
        ("community_worker", "neighbour_grid"),
        ("outsider", "grid"),
        ("cadre", "grid"),  # reads residents, does not register them
        ("leader", "grid"),
        ("admin", "grid"),
        ("handler", "grid"),
    ],
)
def test_registering_outside_ones_area_is_refused_and_audited(cast, role, unit):
    person = getattr(cast, role)
    households, residents, _ = archive_state()
    with pytest.raises(PermissionDenied):
        services.register_resident(name="越界", unit=getattr(cast, unit), by=person)
    with pytest.raises(PermissionDenied):
        services.create_household(code="H9", unit=getattr(cast, unit), address="x", by=person)
    assert archive_state()[:2] == (households, residents)
    denials = AuditEntry.objects.filter(action="residents.manage.denied", actor=person)
    assert denials.count() == 2
    assert {entry.outcome for entry in denials} == {Outcome.FAILURE}


def test_a_resident_cannot_be_linked_to_a_household_outside_ones_area(cast):
    elsewhere = factories.household(cast.neighbour_grid, "光明路2号")
    households, residents, _ = archive_state()
    with pytest.raises(PermissionDenied):
        services.register_resident(
            name="张东风", unit=cast.grid, household=elsewhere, by=cast.grid_worker
        )
    assert archive_state()[:2] == (households, residents)


@pytest.mark.parametrize(
    "values",
    [{"name": ""}, {"name": "名" * 61}, {"gender": "other"}, {"address": "址" * 201}],
    ids=["empty name", "over-long name", "unknown gender", "over-long address"],
)
def test_bad_resident_data_is_refused_and_nothing_is_written(cast, values):
    before = archive_state()
    data = {"name": "张东风", "unit": cast.grid, "by": cast.grid_worker} | values
    with pytest.raises(ValidationError):
        services.register_resident(**data)
    assert archive_state() == before


def test_a_duplicate_household_number_is_refused(cast):
    factories.household(cast.grid, code="H0001")
    before = archive_state()
    with pytest.raises(ValidationError):
        services.create_household(code="H0001", unit=cast.grid, address="x", by=cast.grid_worker)
    assert archive_state() == before
