"""/api/v1/disputes: the disputes page's worklists and one dispute with parties (numbers always
masked) and steps; scope as on the pages; reading one is audited."""

from __future__ import annotations

from tests.api.conftest import bearer, issue
from tests.mediation import factories as mediation
from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Perm


def test_open_disputes_are_listed_and_one_is_read_with_masked_numbers(cast, api_client):
    mediation.mediator_of(cast.grid)
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    mediation.dispute(
        cast.neighbour_grid, cast.outsider, title="别处的纠纷", idempotency_key="other"
    )
    token = issue(cast)
    listed = api_client.get("/api/v1/disputes", **bearer(token.secret)).json()
    assert [item["code"] for item in listed["items"]] == [dispute.code]
    got = api_client.get(f"/api/v1/disputes/{dispute.pk}", **bearer(token.secret)).json()
    assert [party["name"] for party in got["parties"]] == ["王建军", "李红梅"]
    assert got["parties"][0]["phone"] == "138****2222"
    assert got["parties"][0]["id_number"] == "1101**********0021"
    assert got["steps"][0]["step"] == 1
    assert AuditEntry.objects.filter(action="mediation.viewed", object_id=str(dispute.pk)).exists()


def test_a_dispute_outside_the_area_is_not_found_and_the_refusal_audited(cast, api_client):
    elsewhere = mediation.dispute(cast.neighbour_grid, cast.outsider, title="别处的纠纷")
    token = issue(cast)
    response = api_client.get(f"/api/v1/disputes/{elsewhere.pk}", **bearer(token.secret))
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="mediation.view_denied").count() == 1


def test_a_token_without_mediation_work_is_refused(cast, api_client):
    token = issue(cast, perms=[Perm.MATTERS_VIEW], name="只看诉求")
    assert api_client.get("/api/v1/disputes", **bearer(token.secret)).status_code == 403
