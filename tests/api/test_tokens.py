"""API tokens: issued by administrators, shown once, stored hashed, revocable, audited; a token
acts in its own scope through org.scope."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.api.conftest import bearer, issue
from xinkan.api import tokens
from xinkan.api.models import ApiToken
from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Perm, Role
from xinkan.org.scope import get_scope

pytestmark = pytest.mark.django_db


def test_secret_is_shown_once_and_stored_only_as_a_keyed_hash(cast):
    issued = issue(cast)
    token = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret.startswith(f"xk_{token.prefix}_")
    assert issued.secret not in token.secret_hash
    assert token.secret_hash == tokens.hash_secret(issued.secret)
    assert not token.user.has_usable_password()
    entry = AuditEntry.objects.get(action="api.token.created")
    assert entry.actor == cast.admin
    assert issued.secret not in str(entry.data)


def test_token_scope_is_its_unit_subtree_cut_to_its_perms(cast):
    issued = issue(cast, perms=[Perm.MATTERS_VIEW, Perm.MATTERS_REGISTER])
    scope = get_scope(tokens.bind_scope(issued.token))
    assert scope.covers_unit(cast.grid, Perm.MATTERS_VIEW)
    assert not scope.covers_unit(cast.neighbour_community, Perm.MATTERS_VIEW)
    assert not scope.covers_unit(cast.grid, Perm.MATTERS_ACCEPT)  # the role has it, the token not
    assert not scope.has_perm(Perm.MATTERS_ACCEPT)


def test_only_token_managers_issue_tokens(cast):
    with pytest.raises(PermissionDenied):
        tokens.create_token(
            name="x",
            role=Role.COMMUNITY_WORKER,
            perms=[Perm.MATTERS_VIEW],
            unit=cast.community,
            by=cast.cadre,
        )
    assert not ApiToken.objects.exists()
    assert AuditEntry.objects.filter(action="api.token.create_denied").exists()


@pytest.mark.parametrize(
    ("role", "perms"),
    [
        (Role.GRID_WORKER, [Perm.MATTERS_ACCEPT]),  # more than the role holds
        (Role.ADMIN, [Perm.ORG_VIEW]),  # never a token's role
        (Role.COMMUNITY_WORKER, []),
    ],
)
def test_a_token_holds_no_more_than_its_role(cast, role, perms):
    with pytest.raises(ValidationError):
        tokens.create_token(name="x", role=role, perms=perms, unit=cast.community, by=cast.admin)


def test_department_roles_only_for_department_tokens(cast):
    with pytest.raises(ValidationError):
        tokens.create_token(
            name="x",
            role=Role.DEPARTMENT_HANDLER,
            perms=[Perm.MATTERS_VIEW],
            unit=cast.community,
            by=cast.admin,
        )


def test_bearer_token_authenticates_and_notes_last_use(cast, api_client: Client):
    issued = issue(cast)
    response = api_client.get("/api/v1/matters", **bearer(issued.secret))
    assert response.status_code == 200
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


def test_revoked_token_is_refused_and_the_refusal_audited(cast, api_client: Client):
    issued = issue(cast)
    tokens.revoke_token(issued.token, by=cast.admin)
    response = api_client.get("/api/v1/matters", **bearer(issued.secret))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert AuditEntry.objects.filter(action="api.token.revoked").exists()
    assert AuditEntry.objects.filter(action="api.token.denied").exists()


def test_revoking_is_for_token_managers_only(cast):
    issued = issue(cast)
    with pytest.raises(PermissionDenied):
        tokens.revoke_token(issued.token, by=cast.community_worker)
    issued.token.refresh_from_db()
    assert issued.token.is_active


def test_unknown_token_gets_401(cast, api_client: Client):
    response = api_client.get("/api/v1/matters", **bearer("xk_nothing_here"))
    assert response.status_code == 401


def test_token_service_account_cannot_log_in(cast, api_client: Client):
    issued = issue(cast)
    assert not api_client.login(username=issued.token.user.username, password="")


def test_management_command_issues_and_revokes(cast, capsys):
    from django.core.management import call_command

    call_command(
        "api_token",
        "create",
        "--name",
        "big screen",
        "--unit",
        cast.community.code,
        "--role",
        Role.COMMUNITY_WORKER,
        "--perm",
        Perm.MATTERS_VIEW,
        "--by",
        cast.admin.username,
    )
    out = capsys.readouterr().out
    token = ApiToken.objects.get(name="big screen")
    assert f"xk_{token.prefix}_" in out
    call_command("api_token", "revoke", token.prefix, "--by", cast.admin.username)
    token.refresh_from_db()
    assert not token.is_active
