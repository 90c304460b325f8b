"""org.services.grant_membership / revoke_membership."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests import factories
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.org import services
from xinkan.org.models import Level, Membership
from xinkan.org.roles import Perm, Role
from xinkan.org.scope import get_scope


def memberships_state() -> list[tuple]:
    return list(
        Membership.objects.order_by("pk").values_list(
            "pk", "user_id", "role", "unit_id", "department_id", "title", "is_active"
        )
    )


@pytest.fixture
def newcomer(cast):
    return factories.user("newcomer", display_name="何新")


def test_grant_creates_an_active_membership_and_audits_it(cast, newcomer):
    membership = services.grant_membership(
        user=newcomer, role=Role.GRID_WORKER, unit=cast.grid, title="网格长", by=cast.admin
    )
    assert membership.is_active
    assert (membership.unit, membership.title) == (cast.grid, "网格长")
    entry = AuditEntry.objects.get(action="org.membership.granted", object_id=str(membership.pk))
    assert entry.actor == cast.admin
    assert entry.unit_id == cast.grid.pk
    assert entry.data == {"user": "newcomer", "role": Role.GRID_WORKER, "title": "网格长"}


def test_a_department_membership_is_audited_under_the_departments_unit(cast, newcomer):
    membership = services.grant_membership(
        user=newcomer, role=Role.DEPARTMENT_HANDLER, department=cast.department, by=cast.admin
    )
    entry = AuditEntry.objects.get(action="org.membership.granted", object_id=str(membership.pk))
    assert entry.unit_id == cast.district.pk


def test_granting_the_same_role_again_changes_nothing(cast, newcomer):
    first = services.grant_membership(
        user=newcomer, role=Role.GRID_WORKER, unit=cast.grid, by=cast.admin
    )
    before, entries = memberships_state(), AuditEntry.objects.count()
    again = services.grant_membership(
        user=newcomer, role=Role.GRID_WORKER, unit=cast.grid, by=cast.admin
    )
    assert again.pk == first.pk
    assert memberships_state() == before
    assert AuditEntry.objects.count() == entries


def test_granting_a_revoked_role_makes_it_active_again(cast, newcomer):
    membership = services.grant_membership(
        user=newcomer, role=Role.GRID_WORKER, unit=cast.grid, by=cast.admin
    )
    services.revoke_membership(membership, by=cast.admin)
    again = services.grant_membership(
        user=newcomer, role=Role.GRID_WORKER, unit=cast.grid, by=cast.admin
    )
    assert again.pk == membership.pk
    assert Membership.objects.get(pk=membership.pk).is_active
    assert Membership.objects.filter(user=newcomer).count() == 1
    actions = list(
        AuditEntry.objects.filter(object_id=str(membership.pk), object_type="org.membership")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["org.membership.granted", "org.membership.revoked", "org.membership.granted"]


def test_a_grant_takes_effect_on_the_users_scope_at_once(cast, newcomer):
    assert not get_scope(newcomer).has_perm(Perm.RESIDENTS_VIEW)
    services.grant_membership(user=newcomer, role=Role.GRID_WORKER, unit=cast.grid, by=None)
    assert get_scope(newcomer).covers_unit(cast.grid, Perm.RESIDENTS_VIEW)


@pytest.mark.parametrize(
    ("role", "place"),
    [
        (Role.DEPARTMENT_HANDLER, "unit"),  # a department role in a unit
        (Role.GRID_WORKER, "department"),  # a unit role in a department
        (Role.COMMUNITY_WORKER, "department"),
        (Role.ADMIN, "department"),
    ],
)
def test_a_role_in_the_wrong_kind_of_place_is_refused(cast, newcomer, role, place):
    where = {"unit": cast.community} if place == "unit" else {"department": cast.department}
    before, entries = memberships_state(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.grant_membership(user=newcomer, role=role, by=cast.admin, **where)
    assert "role" in caught.value.message_dict
    assert memberships_state() == before
    assert AuditEntry.objects.count() == entries


def test_a_leader_may_lead_a_unit_or_a_department(cast, newcomer):
    services.grant_membership(user=newcomer, role=Role.LEADER, unit=cast.subdistrict, by=None)
    services.grant_membership(user=newcomer, role=Role.LEADER, department=cast.department, by=None)
    assert Membership.objects.filter(user=newcomer, role=Role.LEADER).count() == 2


@pytest.mark.parametrize("places", ["both", "neither"])
def test_a_membership_needs_exactly_one_place(cast, newcomer, places):
    where = {"unit": cast.district, "department": cast.department} if places == "both" else {}
    before = memberships_state()
    with pytest.raises(ValidationError):
        services.grant_membership(user=newcomer, role=Role.LEADER, by=cast.admin, **where)
    assert memberships_state() == before


def test_an_unknown_role_is_refused(cast, newcomer):
    before = memberships_state()
    with pytest.raises(ValidationError):
        services.grant_membership(user=newcomer, role="mayor", unit=cast.district, by=cast.admin)
    assert memberships_state() == before


def test_revoke_deactivates_audits_and_narrows_the_scope(cast):
    membership = cast.community_worker.memberships.get()
    assert get_scope(cast.community_worker).has_perm(Perm.RESIDENTS_VIEW)
    services.revoke_membership(membership, by=cast.admin)
    assert not Membership.objects.get(pk=membership.pk).is_active
    assert not get_scope(cast.community_worker).has_perm(Perm.RESIDENTS_VIEW)
    entry = AuditEntry.objects.get(action="org.membership.revoked", object_id=str(membership.pk))
    assert entry.actor == cast.admin
    assert entry.unit_id == cast.community.pk
    assert entry.data == {"user": "community", "role": Role.COMMUNITY_WORKER}


def test_revoking_twice_writes_one_entry(cast):
    membership = cast.community_worker.memberships.get()
    services.revoke_membership(membership, by=cast.admin)
    services.revoke_membership(membership, by=cast.admin)
    assert AuditEntry.objects.filter(action="org.membership.revoked").count() == 1


@pytest.fixture
def other_district(cast):
    district = factories.unit("临河区", Level.DISTRICT, code="139902")
    community = factories.unit("河东社区", Level.COMMUNITY, district, code="139902001001")
    worker = factories.member(Role.COMMUNITY_WORKER, unit=community, username="hedong")
    return district, community, worker


def test_an_administrator_cannot_grant_a_role_outside_their_scope(cast, newcomer, other_district):
    _district, community, _worker = other_district
    before = memberships_state()
    with pytest.raises(PermissionDenied):
        services.grant_membership(
            user=newcomer, role=Role.COMMUNITY_WORKER, unit=community, by=cast.admin
        )
    assert memberships_state() == before
    denial = AuditEntry.objects.get(action="org.manage.denied", actor=cast.admin)
    assert denial.outcome == Outcome.FAILURE


def test_an_administrator_cannot_revoke_a_role_outside_their_scope(cast, other_district):
    _district, _community, worker = other_district
    before = memberships_state()
    with pytest.raises(PermissionDenied):
        services.revoke_membership(worker.memberships.get(), by=cast.admin)
    assert memberships_state() == before
    assert AuditEntry.objects.filter(action="org.manage.denied", actor=cast.admin).count() == 1


@pytest.mark.parametrize("role", ["cadre", "leader", "community_worker"])
def test_only_administrators_grant_roles(cast, newcomer, role):
    before = memberships_state()
    with pytest.raises(PermissionDenied):
        services.grant_membership(
            user=newcomer, role=Role.GRID_WORKER, unit=cast.grid, by=getattr(cast, role)
        )
    assert memberships_state() == before
