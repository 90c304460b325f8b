from __future__ import annotations

from tests import factories
from xinkan.org.models import Unit
from xinkan.org.roles import Perm, Role
from xinkan.org.scope import build_scope, get_scope


def test_unit_membership_reaches_the_whole_subtree(cast):
    scope = get_scope(cast.cadre)
    visible = set(scope.units(Perm.ORG_VIEW).values_list("code", flat=True))
    assert visible == {
        "139901001",
        "139901001001",
        "13990100100101",
        "139901001002",
        "13990100100201",
    }


def test_community_worker_does_not_reach_the_neighbouring_community(cast):
    scope = get_scope(cast.community_worker)
    assert scope.covers_unit(cast.grid, Perm.RESIDENTS_VIEW)
    assert not scope.covers_unit(cast.neighbour_grid, Perm.RESIDENTS_VIEW)
    assert not scope.covers_unit(cast.subdistrict, Perm.ORG_VIEW)


def test_permission_reaches_only_memberships_whose_role_grants_it(cast):
    person = factories.member(Role.VOLUNTEER, unit=cast.community)
    from xinkan.org import services

    services.grant_membership(
        user=person, role=Role.COMMUNITY_WORKER, unit=cast.other_community, by=None
    )
    scope = build_scope(person)
    assert scope.covers_unit(cast.other_grid, Perm.RESIDENTS_VIEW)
    assert not scope.covers_unit(cast.grid, Perm.RESIDENTS_VIEW)


def test_subtree_filter_is_one_query(cast, django_assert_num_queries):
    scope = get_scope(cast.leader)
    with django_assert_num_queries(1):
        units = list(scope.units(Perm.ORG_VIEW))
    assert len(units) == Unit.objects.count()


def test_administrator_is_not_a_reader_of_residents(cast):
    scope = get_scope(cast.admin)
    assert scope.has_perm(Perm.ORG_MANAGE)
    assert not scope.has_perm(Perm.RESIDENTS_VIEW)
    assert not scope.has_perm(Perm.RESIDENTS_VIEW_PERSONAL)


def test_department_membership_reaches_its_department_only(cast):
    other = factories.department("清河区民政局", cast.district)
    scope = get_scope(cast.handler)
    assert scope.covers_department(cast.department, Perm.ORG_VIEW)
    assert not scope.covers_department(other, Perm.ORG_VIEW)
    assert scope.units(Perm.ORG_VIEW).count() == 0


def test_unit_leader_sees_the_departments_of_their_units(cast):
    scope = get_scope(cast.leader)
    assert scope.covers_department(cast.department, Perm.ORG_VIEW)


def test_inactive_membership_grants_nothing(cast):
    from xinkan.org import services

    membership = cast.community_worker.memberships.get()
    services.revoke_membership(membership, by=None)
    assert not build_scope(cast.community_worker).has_perm(Perm.RESIDENTS_VIEW)


def test_anonymous_has_empty_scope():
    from django.contrib.auth.models import AnonymousUser

    scope = get_scope(AnonymousUser())
    assert scope.grants == ()
    assert not scope.has_perm(Perm.ORG_VIEW)


def _matters_in_scope(cast, scope) -> tuple[set[int], set[int]]:  # type: ignore[no-untyped-def]
    """The matters the scope's filters keep, against those whose units are in scope by id."""
    from xinkan.matters.models import Matter

    ids = scope.unit_ids(Perm.MATTERS_VIEW)
    kept = set(
        Matter.objects.filter(
            scope.any_unit_q(Perm.MATTERS_VIEW, "unit", "handling_unit")
        ).values_list("pk", flat=True)
    ) | set(
        Matter.objects.filter(scope.unit_q(Perm.MATTERS_VIEW, "unit")).values_list("pk", flat=True)
    )
    by_id = set(Matter.objects.filter(unit_id__in=ids).values_list("pk", flat=True)) | set(
        Matter.objects.filter(handling_unit_id__in=ids).values_list("pk", flat=True)
    )
    return kept, by_id


def test_the_leader_of_the_only_tree_is_filtered_by_nothing(cast):
    from tests.matters import factories as mf

    other = factories.member(Role.COMMUNITY_WORKER, unit=cast.other_community, username="other")
    for i, (grid, by) in enumerate(
        [
            (cast.grid, cast.grid_worker),
            (cast.neighbour_grid, cast.outsider),
            (cast.other_grid, other),
        ]
    ):
        mf.matter(grid, by, contact_phone=f"1360000010{i}", description=f"{i}号楼路灯不亮。")
    scope = build_scope(cast.leader)
    assert scope.covers_every_unit(Perm.MATTERS_VIEW)
    assert "any" not in str(scope.unit_q(Perm.MATTERS_VIEW, "unit"))  # no list of ids sent
    kept, by_id = _matters_in_scope(cast, scope)
    assert kept == by_id and len(kept) == 3
    assert not build_scope(cast.cadre).covers_every_unit(Perm.MATTERS_VIEW)


def test_a_second_tree_outside_the_scope_keeps_the_filter(cast):
    from tests.matters import factories as mf

    elsewhere = factories.unit("长安区", "district", code="139902")
    grid = factories.unit("长安网格", "grid", elsewhere, code="13990200100101")
    worker = factories.member(Role.COMMUNITY_WORKER, unit=elsewhere, username="changan")
    mf.matter(grid, worker, contact_phone="13600000201", description="长安路路灯不亮。")
    mf.matter(cast.grid, cast.grid_worker, contact_phone="13600000202", description="东风路漏水。")
    scope = build_scope(cast.leader)
    assert not scope.covers_every_unit(Perm.MATTERS_VIEW)
    kept, by_id = _matters_in_scope(cast, scope)
    assert kept == by_id and len(kept) == 1
