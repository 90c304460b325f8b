"""Account administration on the admin site: unlock, reset password, remove second factor, add."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from tests.accounts.flows import (
    PASSWORD_URL,
    SETUP_URL,
    audit_since,
    is_logged_in,
    last_audit_id,
    post_login,
)
from tests.conftest import Cast, login_as
from tests.factories import PASSWORD
from xinkan.accounts import services
from xinkan.accounts.models import User
from xinkan.audit.models import Outcome
from xinkan.org.roles import Role

CHANGELIST = "/admin/accounts/user/"
TEMPORARY = "Temp#Pass2026x"


def lock(user: User) -> None:
    for _attempt in range(5):
        post_login(Client(), user.username, "Wrong#Pass2026")
    assert User.objects.get(pk=user.pk).is_locked


def state_of(user: User) -> tuple[object, ...]:
    user = User.objects.get(pk=user.pk)
    return (
        user.locked_at,
        user.failed_login_count,
        user.password,
        user.must_change_password,
        user.is_active,
    )


def run_action(client: Client, action: str, users: list[User]):  # type: ignore[no-untyped-def]
    return client.post(
        CHANGELIST,
        {"action": action, "index": 0, "_selected_action": [user.pk for user in users]},
    )


def reset_url(user: User) -> str:
    return f"/admin/accounts/user/{user.pk}/reset-password/"


def test_unlock_action_unlocks_the_selected_accounts(client: Client, cast: Cast) -> None:
    lock(cast.grid_worker)
    lock(cast.community_worker)
    login_as(client, cast.admin)
    start = last_audit_id()

    response = run_action(client, "unlock", [cast.grid_worker, cast.community_worker])

    assert response.status_code == 302
    for user in (cast.grid_worker, cast.community_worker):
        fresh = User.objects.get(pk=user.pk)
        assert (fresh.locked_at, fresh.failed_login_count) == (None, 0)
    entries = audit_since(start)
    assert sorted((entry.action, entry.object_id) for entry in entries) == sorted(
        [
            ("accounts.user.unlocked", str(cast.grid_worker.pk)),
            ("accounts.user.unlocked", str(cast.community_worker.pk)),
        ]
    )
    assert {entry.actor_id for entry in entries} == {cast.admin.pk}
    unlocked = Client()
    assert post_login(unlocked, "grid", PASSWORD).status_code == 302
    assert is_logged_in(unlocked)


@pytest.mark.parametrize(
    "role", ["grid_worker", "community_worker", "cadre", "handler", "leader", "outsider"]
)
def test_only_administrators_reach_the_account_admin(client: Client, cast: Cast, role: str) -> None:
    target = factories.member(Role.GRID_WORKER, unit=cast.grid, username="target")
    lock(target)
    before = state_of(target)
    login_as(client, getattr(cast, role))
    start = last_audit_id()

    listing = client.get(CHANGELIST)
    action = run_action(client, "unlock", [target])
    reset = client.post(reset_url(target), {"new_password": TEMPORARY})

    for response in (listing, action, reset):
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    assert state_of(target) == before
    assert audit_since(start) == []


def test_reset_password_sets_a_temporary_password_that_must_be_changed(
    client: Client, cast: Cast
) -> None:
    lock(cast.grid_worker)
    login_as(client, cast.admin)
    assert client.get(reset_url(cast.grid_worker)).status_code == 200
    start = last_audit_id()

    response = client.post(reset_url(cast.grid_worker), {"new_password": TEMPORARY})

    assert response.status_code == 302
    assert response["Location"] == f"/admin/accounts/user/{cast.grid_worker.pk}/change/"
    user = User.objects.get(pk=cast.grid_worker.pk)
    assert user.must_change_password
    assert (user.locked_at, user.failed_login_count) == (None, 0)
    assert user.check_password(TEMPORARY)
    assert [(entry.action, entry.actor_id) for entry in audit_since(start)] == [
        ("accounts.password.reset", cast.admin.pk)
    ]
    worker = Client()
    assert post_login(worker, "grid", TEMPORARY).status_code == 302
    assert worker.get("/")["Location"] == PASSWORD_URL


def test_reset_password_refuses_a_weak_password(client: Client, cast: Cast) -> None:
    login_as(client, cast.admin)
    before = state_of(cast.grid_worker)
    start = last_audit_id()

    response = client.post(reset_url(cast.grid_worker), {"new_password": "short1"})

    assert response.status_code == 200
    assert "new_password" in response.context["form"].errors
    assert state_of(cast.grid_worker) == before
    assert audit_since(start) == []


@pytest.mark.parametrize("role", ["community_worker", "cadre", "leader", "outsider"])
def test_reset_password_service_refuses_non_administrators(cast: Cast, role: str) -> None:
    actor = getattr(cast, role)
    before = state_of(cast.grid_worker)
    start = last_audit_id()

    with pytest.raises(PermissionDenied):
        services.reset_password(cast.grid_worker, new_password=TEMPORARY, by=actor)

    assert state_of(cast.grid_worker) == before
    assert [(entry.action, entry.outcome, entry.actor_id) for entry in audit_since(start)] == [
        ("accounts.manage.denied", Outcome.FAILURE, actor.pk)
    ]


def test_administrator_of_another_subdistrict_cannot_manage_this_account(
    client: Client, cast: Cast
) -> None:
    other_admin = factories.member(Role.ADMIN, unit=cast.other_subdistrict, username="admin2")
    lock(cast.grid_worker)
    before = state_of(cast.grid_worker)
    login_as(client, other_admin)
    start = last_audit_id()

    page = client.post(reset_url(cast.grid_worker), {"new_password": TEMPORARY})
    run_action(client, "unlock", [cast.grid_worker])
    with pytest.raises(PermissionDenied):
        services.unlock_user(cast.grid_worker, by=other_admin)

    assert page.status_code == 404
    assert state_of(cast.grid_worker) == before
    assert [entry.action for entry in audit_since(start)] == ["accounts.manage.denied"]


def test_remove_second_factor_action_sends_the_user_to_enrol_again(
    client: Client, cast: Cast
) -> None:
    factories.totp_device(cast.leader)
    login_as(client, cast.admin)
    start = last_audit_id()

    response = run_action(client, "reset_second_factor", [cast.leader])

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.leader).exists()
    assert [(entry.action, entry.object_id) for entry in audit_since(start)] == [
        ("accounts.two_factor.reset", str(cast.leader.pk))
    ]
    assert post_login(Client(), "leader", PASSWORD)["Location"] == SETUP_URL


def test_adding_a_user_requires_a_password_change_at_first_login(
    client: Client, cast: Cast
) -> None:
    login_as(client, cast.admin)
    start = last_audit_id()

    response = client.post(
        "/admin/accounts/user/add/",
        {"username": "newbie", "display_name": "新人", "email": "", "password": TEMPORARY},
    )

    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.must_change_password
    assert user.check_password(TEMPORARY)
    assert [(entry.action, entry.actor_id) for entry in audit_since(start)] == [
        ("accounts.user.created", cast.admin.pk)
    ]


def test_adding_a_user_with_a_weak_password_creates_nothing(client: Client, cast: Cast) -> None:
    login_as(client, cast.admin)
    start = last_audit_id()

    response = client.post(
        "/admin/accounts/user/add/",
        {"username": "newbie", "display_name": "新人", "email": "", "password": "newbie"},
    )

    assert response.status_code == 200
    assert not User.objects.filter(username="newbie").exists()
    assert audit_since(start) == []


def test_nothing_can_be_deleted_from_the_account_admin(client: Client, cast: Cast) -> None:
    login_as(client, cast.admin)

    response = client.post(f"/admin/accounts/user/{cast.grid_worker.pk}/delete/", {"post": "yes"})

    assert response.status_code in {302, 403}
    assert User.objects.filter(pk=cast.grid_worker.pk).exists()
