"""API tokens on the administration site: issued through the tokens service (secret on the next
page only, never in a cookie), listed within the administrator's area, revoked by an action."""

from __future__ import annotations

from tests.conftest import login_as
from xinkan.api.models import ApiToken
from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Perm, Role


def test_the_administrator_issues_and_revokes_a_token(cast, client):
    login_as(client, cast.admin)
    response = client.post(
        "/admin/api/apitoken/add/",
        {
            "name": "12345热线",
            "unit": cast.community.pk,
            "role": Role.COMMUNITY_WORKER,
            "perms": [Perm.MATTERS_VIEW, Perm.MATTERS_REGISTER],
        },
    )
    assert response.status_code == 200, response.content.decode()[:1500]
    token = ApiToken.objects.get()
    page = response.content.decode()
    assert 'id="token-secret"' in page and f"xk_{token.prefix}_" in page
    assert "no-store" in response["Cache-Control"]
    assert not any("xk_" in morsel.value for morsel in response.cookies.values())
    assert AuditEntry.objects.filter(action="api.token.created").count() == 1
    listed = client.get("/admin/api/apitoken/").content.decode()
    assert token.prefix in listed and "xk_" + token.prefix + "_" not in listed
    client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_token_holding_more_than_its_role_is_refused_on_the_form(cast, client):
    login_as(client, cast.admin)
    response = client.post(
        "/admin/api/apitoken/add/",
        {
            "name": "越权",
            "unit": cast.community.pk,
            "role": Role.GRID_WORKER,
            "perms": [Perm.VOLUNTEERS_MANAGE],
        },
    )
    assert response.status_code == 200 and not ApiToken.objects.exists()
    assert "perms" in response.context["adminform"].form.errors


def test_others_cannot_reach_the_tokens(cast, client):
    login_as(client, cast.community_worker)
    assert client.get("/admin/api/apitoken/").status_code in {302, 403}
