"""org.services.create_unit / update_unit: the materialized path, level rules, moves, audit, scope."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from tests import factories
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.org import services
from xinkan.org.models import Level, Unit
from xinkan.org.roles import Perm, Role
from xinkan.org.scope import build_scope


def seg(unit: Unit) -> str:
    return f"{unit.pk:08d}/"


def tree_state() -> list[tuple]:
    """Everything a refused or failed write must leave as it was."""
    return list(
        Unit.objects.order_by("pk").values_list(
            "pk", "code", "name", "level", "parent_id", "path", "depth", "is_active"
        )
    )


def audit_count() -> int:
    return AuditEntry.objects.count()


@pytest.fixture
def other_district(cast):
    """A second district with its own administrator, outside the cast's district."""
    district = factories.unit("临河区", Level.DISTRICT, code="139902")
    subdistrict = factories.unit("河东街道", Level.SUBDISTRICT, district, code="139902001")
    admin = factories.member(Role.ADMIN, unit=district, username="admin2")
    return district, subdistrict, admin


# --- Creating ------------------------------------------------------------------------------------


def test_create_unit_builds_the_path_from_its_ancestors_ids(cast):
    unit = services.create_unit(
        code="139901001003",
        name="春晖社区",
        level=Level.COMMUNITY,
        parent=cast.subdistrict,
        by=None,
    )
    unit.refresh_from_db()
    assert unit.path == seg(cast.district) + seg(cast.subdistrict) + seg(unit)
    assert unit.depth == 2
    assert unit.ancestor_ids() == [cast.district.pk, cast.subdistrict.pk]
    assert unit.parent == cast.subdistrict


def test_a_root_unit_has_its_own_id_as_path(db):
    unit = services.create_unit(
        code="139909", name="新区", level=Level.DISTRICT, parent=None, by=None
    )
    unit.refresh_from_db()
    assert unit.path == seg(unit)
    assert unit.depth == 0


def test_create_unit_strips_code_and_name(cast):
    unit = services.create_unit(
        code="  139901001009 ",
        name=" 新村 ",
        level=Level.COMMUNITY,
        parent=cast.subdistrict,
        by=None,
    )
    assert (unit.code, unit.name) == ("139901001009", "新村")


def test_create_unit_writes_an_audit_entry_with_the_new_values(cast):
    unit = services.create_unit(
        code="X1",
        name="春晖社区",
        level=Level.COMMUNITY,
        parent=cast.subdistrict,
        by=cast.admin,
        phone="0311-1234",
    )
    entry = AuditEntry.objects.get(action="org.unit.created", object_id=str(unit.pk))
    assert entry.actor == cast.admin
    assert entry.unit_id == unit.pk
    assert entry.outcome == Outcome.SUCCESS
    assert entry.changes["name"] == [None, "春晖社区"]
    assert entry.changes["parent"] == [None, cast.subdistrict.pk]
    assert entry.changes["phone"] == [None, "0311-1234"]


@pytest.mark.parametrize(
    ("level", "parent_attr"),
    [
        (Level.GRID, "grid"),  # a grid under a grid
        (Level.COMMUNITY, "community"),  # same level
        (Level.SUBDISTRICT, "community"),  # above its parent
        (Level.DISTRICT, "subdistrict"),
    ],
)
def test_a_child_level_not_below_its_parent_is_refused(cast, level, parent_attr):
    before, entries = tree_state(), audit_count()
    with pytest.raises(ValidationError) as caught:
        services.create_unit(
            code="BAD", name="错层", level=level, parent=getattr(cast, parent_attr), by=None
        )
    assert "level" in caught.value.message_dict
    assert tree_state() == before
    assert audit_count() == entries


def test_an_unknown_level_is_refused(cast):
    before = tree_state()
    with pytest.raises(ValidationError):
        services.create_unit(code="BAD", name="x", level="county", parent=cast.district, by=None)
    assert tree_state() == before


def test_a_duplicate_code_is_refused(cast):
    before, entries = tree_state(), audit_count()
    with pytest.raises(ValidationError) as caught:
        services.create_unit(
            code=cast.community.code,
            name="重复",
            level=Level.COMMUNITY,
            parent=cast.subdistrict,
            by=None,
        )
    assert "code" in caught.value.message_dict
    assert tree_state() == before
    assert audit_count() == entries


def test_an_over_long_name_is_refused(cast):
    before = tree_state()
    with pytest.raises(ValidationError) as caught:
        services.create_unit(
            code="LONG", name="名" * 101, level=Level.COMMUNITY, parent=cast.subdistrict, by=None
        )
    assert "name" in caught.value.message_dict
    assert tree_state() == before


def test_the_unit_and_its_audit_entry_are_written_in_one_transaction(cast, monkeypatch):
    def broken_record(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("xinkan.audit.services.record", broken_record)
    with pytest.raises(RuntimeError):
        services.create_unit(
            code="X1", name="春晖社区", level=Level.COMMUNITY, parent=cast.subdistrict, by=None
        )
    assert not Unit.objects.filter(code="X1").exists()


def test_a_rolled_back_caller_takes_the_audit_entry_with_it(cast):
    entries = audit_count()

    def create_then_fail() -> None:
        with transaction.atomic():
            services.create_unit(
                code="X1", name="春晖社区", level=Level.COMMUNITY, parent=cast.subdistrict, by=None
            )
            raise RuntimeError("the caller fails afterwards")

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert not Unit.objects.filter(code="X1").exists()
    assert audit_count() == entries


# --- Updating and moving -------------------------------------------------------------------------


def test_update_unit_records_the_changed_fields_before_and_after(cast):
    services.update_unit(cast.community, by=cast.admin, name="东风里新社区", phone="0311-5555")
    entry = AuditEntry.objects.get(action="org.unit.updated", object_id=str(cast.community.pk))
    assert entry.actor == cast.admin
    assert entry.changes == {
        "name": ["东风里社区", "东风里新社区"],
        "phone": ["", "0311-5555"],
    }
    assert Unit.objects.get(pk=cast.community.pk).name == "东风里新社区"


def test_an_update_that_changes_nothing_writes_no_audit_entry(cast):
    entries = audit_count()
    services.update_unit(cast.community, by=cast.admin, name=cast.community.name)
    assert audit_count() == entries


def test_moving_a_unit_rewrites_the_path_and_depth_of_its_whole_subtree(cast):
    community, grid = cast.neighbour_community, cast.neighbour_grid
    services.update_unit(community, by=cast.admin, parent=cast.other_subdistrict)

    community.refresh_from_db()
    grid.refresh_from_db()
    base = seg(cast.district) + seg(cast.other_subdistrict)
    assert community.parent == cast.other_subdistrict
    assert community.path == base + seg(community)
    assert grid.path == base + seg(community) + seg(grid)
    assert (community.depth, grid.depth) == (2, 3)
    # Subtree queries follow the move at once.
    under_other = set(
        Unit.objects.filter(path__startswith=cast.other_subdistrict.path).values_list(
            "code", flat=True
        )
    )
    assert under_other == {
        cast.other_subdistrict.code,
        cast.other_community.code,
        cast.other_grid.code,
        community.code,
        grid.code,
    }
    assert not Unit.objects.filter(
        path__startswith=cast.subdistrict.path, pk__in=[community.pk, grid.pk]
    ).exists()


def test_a_move_changes_who_may_see_the_subtree(cast):
    services.update_unit(cast.neighbour_community, by=cast.admin, parent=cast.other_subdistrict)
    cadre_scope = build_scope(cast.cadre)
    assert not cadre_scope.covers_unit(
        Unit.objects.get(pk=cast.neighbour_grid.pk), Perm.RESIDENTS_VIEW
    )
    outsider_scope = build_scope(cast.outsider)
    assert outsider_scope.covers_unit(
        Unit.objects.get(pk=cast.neighbour_grid.pk), Perm.RESIDENTS_VIEW
    )


def test_moving_a_unit_up_a_level_shortens_the_subtree(cast):
    """A community placed directly under the district (the level rules allow skipping a level)."""
    services.update_unit(cast.community, by=cast.admin, parent=cast.district)
    community = Unit.objects.get(pk=cast.community.pk)
    grid = Unit.objects.get(pk=cast.grid.pk)
    assert community.path == seg(cast.district) + seg(community)
    assert grid.path == community.path + seg(grid)
    assert (community.depth, grid.depth) == (1, 2)
    # Units not moved keep their paths.
    assert Unit.objects.get(pk=cast.neighbour_grid.pk).path == cast.neighbour_grid.path


def test_a_move_is_audited_with_the_old_and_new_parent(cast):
    services.update_unit(cast.neighbour_community, by=cast.admin, parent=cast.other_subdistrict)
    entry = AuditEntry.objects.get(
        action="org.unit.updated", object_id=str(cast.neighbour_community.pk)
    )
    assert entry.changes == {"parent": [cast.subdistrict.pk, cast.other_subdistrict.pk]}


def test_moving_a_unit_under_its_own_descendant_is_refused(cast):
    before, entries = tree_state(), audit_count()
    subdistrict = Unit.objects.get(pk=cast.subdistrict.pk)
    with pytest.raises(ValidationError):
        services.update_unit(subdistrict, by=cast.admin, parent=cast.grid)
    with pytest.raises(ValidationError):
        services.update_unit(
            Unit.objects.get(pk=cast.subdistrict.pk), by=cast.admin, parent=subdistrict
        )
    assert tree_state() == before
    assert audit_count() == entries


def test_a_level_change_that_would_sit_below_its_children_is_refused(cast):
    before = tree_state()
    with pytest.raises(ValidationError) as caught:
        services.update_unit(
            Unit.objects.get(pk=cast.community.pk), by=cast.admin, level=Level.GRID
        )
    assert "level" in caught.value.message_dict
    assert tree_state() == before


def test_moving_under_a_parent_of_the_same_level_is_refused(cast):
    before = tree_state()
    with pytest.raises(ValidationError):
        services.update_unit(
            Unit.objects.get(pk=cast.grid.pk), by=cast.admin, parent=cast.neighbour_grid
        )
    assert tree_state() == before


# --- Scope of the administrator ------------------------------------------------------------------


def _denials(actor) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="org.manage.denied", actor=actor))


def test_an_administrator_cannot_create_a_unit_in_another_district(cast, other_district):
    district2, _sub2, _admin2 = other_district
    before = tree_state()
    with pytest.raises(PermissionDenied):
        services.create_unit(
            code="X1", name="越界街道", level=Level.SUBDISTRICT, parent=district2, by=cast.admin
        )
    assert tree_state() == before
    [denial] = _denials(cast.admin)
    assert denial.outcome == Outcome.FAILURE
    assert denial.unit_id == district2.pk


def test_an_administrator_cannot_move_a_unit_into_another_district(cast, other_district):
    district2, _sub2, _admin2 = other_district
    before = tree_state()
    with pytest.raises(PermissionDenied):
        services.update_unit(
            Unit.objects.get(pk=cast.other_subdistrict.pk), by=cast.admin, parent=district2
        )
    assert tree_state() == before
    assert len(_denials(cast.admin)) == 1


def test_an_administrator_cannot_move_a_unit_out_of_another_district(cast, other_district):
    _district2, sub2, admin2 = other_district
    before = tree_state()
    with pytest.raises(PermissionDenied):
        services.update_unit(Unit.objects.get(pk=sub2.pk), by=cast.admin, parent=cast.district)
    with pytest.raises(PermissionDenied):
        services.update_unit(Unit.objects.get(pk=sub2.pk), by=cast.admin, name="改名")
    assert tree_state() == before
    assert len(_denials(cast.admin)) == 2
    assert _denials(admin2) == []


def test_an_administrator_cannot_add_or_make_a_top_level_unit(cast):
    before = tree_state()
    with pytest.raises(PermissionDenied):
        services.create_unit(
            code="R1", name="新区", level=Level.DISTRICT, parent=None, by=cast.admin
        )
    with pytest.raises(PermissionDenied):
        services.update_unit(Unit.objects.get(pk=cast.subdistrict.pk), by=cast.admin, parent=None)
    assert tree_state() == before
    assert len(_denials(cast.admin)) == 2


@pytest.mark.parametrize("role", ["cadre", "leader", "community_worker", "handler"])
def test_other_roles_cannot_change_the_tree(cast, role):
    person = getattr(cast, role)
    before = tree_state()
    with pytest.raises(PermissionDenied):
        services.create_unit(
            code="X1", name="x", level=Level.GRID, parent=cast.community, by=person
        )
    with pytest.raises(PermissionDenied):
        services.update_unit(Unit.objects.get(pk=cast.grid.pk), by=person, name="改名")
    assert tree_state() == before
    assert len(_denials(person)) == 2


def test_a_superuser_may_add_a_top_level_unit(db):
    root = factories.user("root")
    root.is_superuser = True
    root.save()
    unit = services.create_unit(code="R1", name="新区", level=Level.DISTRICT, parent=None, by=root)
    assert unit.parent is None
    assert AuditEntry.objects.filter(action="org.unit.created", actor=root).exists()
