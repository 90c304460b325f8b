"""The administration pages for memberships: grant (add), revoke (action), list — through the services."""

from __future__ import annotations

import pytest

from tests import factories
from tests.pages import in_english
from xinkan.audit.models import AuditEntry
from xinkan.org import services
from xinkan.org.models import Level, Membership
from xinkan.org.roles import Role

ADD_URL = "/admin/org/membership/add/"
LIST_URL = "/admin/org/membership/"


def memberships_state() -> list[tuple]:
    return list(
        Membership.objects.order_by("pk").values_list(
            "pk", "user_id", "role", "unit_id", "department_id", "title", "is_active"
        )
    )


def grant_form(user, role, *, unit=None, department=None, title="") -> dict:
    return {
        "user": user.pk,
        "role": role,
        "unit": unit.pk if unit else "",
        "department": department.pk if department else "",
        "title": title,
    }


@pytest.fixture
def admin_client(cast, login):
    return login(cast.admin)


@pytest.fixture
def newcomer(cast):
    return factories.user("newcomer", display_name="何新")


def test_the_administrator_grants_a_role_through_the_service(cast, admin_client, newcomer):
    response = admin_client.post(
        ADD_URL, grant_form(newcomer, Role.GRID_WORKER, unit=cast.grid, title="网格长")
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer)
    assert (membership.role, membership.unit, membership.title) == (
        Role.GRID_WORKER,
        cast.grid,
        "网格长",
    )
    entry = AuditEntry.objects.get(action="org.membership.granted", object_id=str(membership.pk))
    assert entry.actor == cast.admin


def test_a_department_role_in_a_unit_is_a_form_error_not_a_server_error(
    cast, admin_client, newcomer
):
    before, entries = memberships_state(), AuditEntry.objects.count()
    in_english(admin_client)
    response = admin_client.post(
        ADD_URL, grant_form(newcomer, Role.DEPARTMENT_HANDLER, unit=cast.community)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["role"] == [
        "This role is held in a department, not in a unit."
    ]
    assert memberships_state() == before
    assert AuditEntry.objects.count() == entries


def test_a_unit_role_in_a_department_is_a_form_error(cast, admin_client, newcomer):
    before = memberships_state()
    response = admin_client.post(
        ADD_URL, grant_form(newcomer, Role.GRID_WORKER, department=cast.department)
    )
    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    assert memberships_state() == before


@pytest.mark.parametrize("places", ["both", "neither"])
def test_a_grant_needs_exactly_one_place(cast, admin_client, newcomer, places):
    where = {"unit": cast.district, "department": cast.department} if places == "both" else {}
    before = memberships_state()
    response = admin_client.post(ADD_URL, grant_form(newcomer, Role.LEADER, **where))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert memberships_state() == before


def test_granting_a_role_already_held_is_a_plain_form_error(cast, admin_client):
    before = memberships_state()
    in_english(admin_client)
    response = admin_client.post(
        ADD_URL, grant_form(cast.community_worker, Role.COMMUNITY_WORKER, unit=cast.community)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This person already holds this role there."
    ]
    assert memberships_state() == before


def test_granting_a_revoked_role_again_reactivates_it(cast, admin_client):
    membership = cast.community_worker.memberships.get()
    services.revoke_membership(membership, by=cast.admin)

    response = admin_client.post(
        ADD_URL, grant_form(cast.community_worker, Role.COMMUNITY_WORKER, unit=cast.community)
    )

    assert response.status_code == 302
    assert Membership.objects.filter(user=cast.community_worker).count() == 1
    assert Membership.objects.get(pk=membership.pk).is_active
    assert AuditEntry.objects.filter(action="org.membership.granted", actor=cast.admin).count() == 1


def test_a_place_outside_the_administrators_scope_is_a_form_error(cast, admin_client, newcomer):
    district2 = factories.unit("临河区", Level.DISTRICT, code="139902")
    department2 = factories.department("临河区民政局", district2)
    before = memberships_state()
    for where in ({"unit": district2}, {"department": department2}):
        response = admin_client.post(ADD_URL, grant_form(newcomer, Role.LEADER, **where))
        assert response.status_code == 200
        assert set(where) & set(response.context["adminform"].form.errors)
    assert memberships_state() == before


def test_the_revoke_action_revokes_and_audits(cast, admin_client):
    membership = cast.grid_worker.memberships.get()
    response = admin_client.post(
        LIST_URL, {"action": "revoke", "_selected_action": [membership.pk]}
    )
    assert response.status_code == 302
    assert not Membership.objects.get(pk=membership.pk).is_active
    entry = AuditEntry.objects.get(action="org.membership.revoked")
    assert (entry.actor, entry.object_id) == (cast.admin, str(membership.pk))


def test_a_membership_is_not_edited_in_place(cast, admin_client):
    membership = cast.grid_worker.memberships.get()
    before = memberships_state()
    response = admin_client.post(
        f"{LIST_URL}{membership.pk}/change/",
        grant_form(cast.grid_worker, Role.LEADER, unit=cast.district, title="改"),
    )
    assert response.status_code == 302
    assert memberships_state() == before


def test_the_list_shows_only_memberships_in_the_administrators_scope(cast, admin_client):
    district2 = factories.unit("临河区", Level.DISTRICT, code="139902")
    stranger = factories.member(Role.LEADER, unit=district2, username="stranger")
    response = admin_client.get(LIST_URL)
    listed = {membership.user.username for membership in response.context["cl"].result_list}
    assert "stranger" not in listed
    assert {"grid", "community", "cadre", "handler", "leader", "admin", "outsider"} <= listed
    assert stranger.memberships.exists()


def test_a_membership_cannot_be_deleted(cast, admin_client):
    membership = cast.grid_worker.memberships.get()
    before = memberships_state()
    assert (
        admin_client.post(f"{LIST_URL}{membership.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert memberships_state() == before
