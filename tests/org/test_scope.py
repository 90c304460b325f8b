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
