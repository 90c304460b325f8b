"""/api/v1/disputes: the disputes page's worklists, one dispute with masked parties, steps,
sessions and history (audited); registering a dispute (idempotent) and the ladder's actions
through the mediation services, with the dispute's version (409 when stale); scope as on the
pages."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.conftest import bearer, issue
from tests.mediation import factories as mediation
from tests.scope import Probe, assert_scope
from xinkan.audit.models import AuditEntry
from xinkan.mediation.models import Agreement, Dispute, Session, State, Step
from xinkan.org.roles import Perm

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: dict[str, Any], secret: str, **headers: str) -> Any:
    return client.post(
        url, json.dumps(body), content_type="application/json", **bearer(secret, **headers)
    )


def register_body(cast: Any, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dispute_type": "neighbours",
        "source": "patrol",
        "title": "3号楼装修材料堆放楼道引发邻里纠纷",
        "unit": cast.grid.pk,
        "address": "建设路1号3单元",
        "parties": [
            {"name": "王建军", "phone": "13811112222", "statement": "邻居装修占了楼道"},
            {"name": "李红梅", "statement": "只是临时堆放材料"},
        ],
    }
    body.update(extra)
    return body


def held_session(version: int, **extra: Any) -> dict[str, Any]:
    body = {
        "version": version,
        "at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "place": "东风里社区调解室",
        "statements": "甲方要求清理楼道，乙方同意三日内清理。",
    }
    body.update(extra)
    return body


# --- Reads ----------------------------------------------------------------------------------------


def test_open_disputes_are_listed_and_one_is_read_with_masked_numbers(cast, api_client):
    mediation.mediator_of(cast.grid)
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    mediation.dispute(
        cast.neighbour_grid, cast.outsider, title="别处的纠纷", idempotency_key="other"
    )
    token = issue(cast)
    listed = api_client.get("/api/v1/disputes", **bearer(token.secret)).json()
    assert [item["code"] for item in listed["items"]] == [dispute.code]
    response = api_client.get(f"/api/v1/disputes/{dispute.pk}", **bearer(token.secret))
    got = response.json()
    assert response["ETag"] == f'"{dispute.version}"' and got["version"] == dispute.version
    assert [party["name"] for party in got["parties"]] == ["王建军", "李红梅"]
    assert got["parties"][0]["phone"] == "138****2222"
    assert got["parties"][0]["id_number"] == "1101**********0021"
    assert got["steps"][0]["step"] == 1
    assert got["timeline"][0]["action"] == "registered"
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


# --- Registering -----------------------------------------------------------------------------------


def test_registering_starts_step_one_with_the_grids_mediator(cast, api_client):
    mediator = mediation.mediator_of(cast.grid)
    token = issue(cast)
    response = post(api_client, "/api/v1/disputes", register_body(cast), token.secret)
    assert response.status_code == 201, response.content
    dispute = Dispute.objects.get()
    got = response.json()
    assert got["code"] == dispute.code and got["step"] == Step.TEN_HOUSEHOLD
    assert got["parties"][0]["phone"] == "138****2222"
    assert dispute.registered_by == token.token.user
    assert dispute.steps.get().mediators.get().user == mediator
    assert AuditEntry.objects.filter(action="mediation.registered").count() == 1


def test_a_retried_registration_returns_the_first_dispute(cast, api_client):
    token = issue(cast)
    first = post(
        api_client, "/api/v1/disputes", register_body(cast), token.secret, HTTP_IDEMPOTENCY_KEY="d1"
    )
    again = post(
        api_client, "/api/v1/disputes", register_body(cast), token.secret, HTTP_IDEMPOTENCY_KEY="d1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Dispute.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"parties": [{"name": "王建军"}]}, "parties"),
        ({"dispute_type": "feud"}, "dispute_type"),
        ({"unit": 999999}, "unit"),
        ({"source_matter": 999999}, "source_matter"),
        ({"start_step": 3}, "start_reason"),
        ({"parties": [{"name": "王建军", "phone": "12ab"}, {"name": "李红梅"}]}, "parties"),
    ],
)
def test_registration_errors_name_the_field_and_write_nothing(cast, api_client, change, field):
    token = issue(cast)
    response = post(api_client, "/api/v1/disputes", register_body(cast, **change), token.secret)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]
    assert not Dispute.objects.exists()


def test_registering_outside_the_area_or_without_the_permission_is_refused(cast, api_client):
    token = issue(cast)
    elsewhere = register_body(cast, unit=cast.neighbour_grid.pk)
    response = post(api_client, "/api/v1/disputes", elsewhere, token.secret)
    assert response.status_code == 403
    reader = issue(cast, perms=[Perm.MEDIATION_WORK, Perm.MEDIATION_VIEW], name="只读")
    response = post(api_client, "/api/v1/disputes", register_body(cast), reader.secret)
    assert response.status_code == 403
    assert not Dispute.objects.exists()
    assert AuditEntry.objects.filter(action="mediation.register.denied").count() == 1


# --- Actions ---------------------------------------------------------------------------------------


def test_a_held_session_is_recorded_with_the_current_version(cast, api_client):
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    token = issue(cast)
    url = f"/api/v1/disputes/{dispute.pk}/sessions"
    response = post(api_client, url, held_session(dispute.version), token.secret)
    assert response.status_code == 200, response.content
    got = response.json()
    assert [s["held"] for s in got["sessions"]] == [True]
    assert got["version"] == dispute.version + 1 and response["ETag"] == f'"{got["version"]}"'
    assert got["timeline"][-1]["action"] == "session_recorded"


def test_a_stale_version_gets_409_and_changes_nothing(cast, api_client):
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    token = issue(cast)
    url = f"/api/v1/disputes/{dispute.pk}/sessions"
    response = post(api_client, url, held_session(dispute.version + 5), token.secret)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale"
    assert "changed by someone else" in response.json()["error"]["message"]
    assert not Session.objects.exists()
    assert Dispute.objects.get().version == dispute.version


def test_the_version_comes_from_if_match_and_is_required(cast, api_client):
    mediation.mediator_of(cast.grid)  # step ① first, so that going up needs no lawyer
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    token = issue(cast)
    url = f"/api/v1/disputes/{dispute.pk}/escalate"
    missing = post(api_client, url, {"reason": "双方分歧较大，网格调解未果"}, token.secret)
    assert missing.status_code == 428
    assert missing.json()["error"]["code"] == "version_required"
    response = post(
        api_client,
        url,
        {"reason": "双方分歧较大，网格调解未果"},
        token.secret,
        HTTP_IF_MATCH=f'"{dispute.version}"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["step"] == Step.COMMITTEE


def test_a_retried_action_returns_the_first_answer_and_acts_once(cast, api_client):
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    token = issue(cast)
    url = f"/api/v1/disputes/{dispute.pk}/sessions"
    body = held_session(dispute.version)
    first = post(api_client, url, body, token.secret, HTTP_IDEMPOTENCY_KEY="s1")
    again = post(api_client, url, body, token.secret, HTTP_IDEMPOTENCY_KEY="s1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Session.objects.count() == 1


def test_settling_writes_the_agreement_and_ends_mediation(cast, api_client):
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    token = issue(cast)
    today = timezone.localdate()
    body = {
        "version": dispute.version,
        "kind": "written",
        "facts": "乙方装修期间将建材堆放在楼道，甲方出行受阻。",
        "points_at_issue": "建材堆放是否妨碍通行。",
        "terms": [{"text": "乙方于三日内清理楼道建材", "due": str(today + dt.timedelta(days=3))}],
        "signed_on": str(today),
    }
    response = post(api_client, f"/api/v1/disputes/{dispute.pk}/settle", body, token.secret)
    assert response.status_code == 200, response.content
    got = response.json()
    assert got["state"] == State.SETTLED and got["settled_step"] == dispute.step
    assert got["agreement"]["terms"][0]["text"] == "乙方于三日内清理楼道建材"
    assert Agreement.objects.get().dispute_id == dispute.pk
    # Ended: a further action conflicts with its state.
    again = post(
        api_client,
        f"/api/v1/disputes/{dispute.pk}/withdraw",
        {"version": got["version"], "reason": "当事人撤回申请"},
        token.secret,
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"


def test_settlement_errors_name_the_fields(cast, api_client):
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    token = issue(cast)
    body = {
        "version": dispute.version,
        "facts": "x",
        "points_at_issue": "建材堆放是否妨碍通行。",
        "terms": [],
        "signed_on": str(timezone.localdate() + dt.timedelta(days=2)),
    }
    response = post(api_client, f"/api/v1/disputes/{dispute.pk}/settle", body, token.secret)
    assert response.status_code == 400
    assert {"facts", "terms", "signed_on"} <= set(response.json()["error"]["fields"])
    assert Dispute.objects.get().state == State.MEDIATING and not Agreement.objects.exists()


def test_only_the_station_refers_a_dispute(cast, api_client):
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    token = issue(cast)
    response = post(
        api_client,
        f"/api/v1/disputes/{dispute.pk}/refer",
        {"version": dispute.version, "to": "litigation", "note": "双方同意诉讼解决"},
        token.secret,
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_state"
    assert Dispute.objects.get().state == State.MEDIATING


def test_a_planned_session_is_completed_once(cast, api_client):
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    token = issue(cast)
    planned = held_session(dispute.version, statements="")
    planned["at"] = (timezone.now() + dt.timedelta(days=2)).isoformat()
    response = post(api_client, f"/api/v1/disputes/{dispute.pk}/sessions", planned, token.secret)
    assert response.status_code == 200, response.content
    (session,) = response.json()["sessions"]
    assert session["held"] is False
    Session.objects.filter(pk=session["id"]).update(at=timezone.now() - dt.timedelta(hours=1))
    url = f"/api/v1/disputes/{dispute.pk}/sessions/{session['id']}/complete"
    done = post(api_client, url, {"statements": "双方各自陈述，同意再行协商。"}, token.secret)
    assert done.status_code == 200 and done.json()["sessions"][0]["held"] is True
    twice = post(api_client, url, {"statements": "重复提交"}, token.secret)
    assert twice.status_code == 409
    other = post(
        api_client,
        f"/api/v1/disputes/{dispute.pk}/sessions/999999/complete",
        {"statements": "不存在的会"},
        token.secret,
    )
    assert other.status_code == 404


def test_actions_are_scoped_like_the_dispute_page(cast, client):
    mediation.mediator_of(cast.grid)
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    assert_scope(
        client,
        Probe(
            "post",
            f"/api/v1/disputes/{dispute.pk}/escalate",
            {"version": dispute.version, "reason": "双方分歧较大，网格调解未果"},
            content_type="application/json",
        ),
        allowed=[cast.community_worker],
        denied=[cast.outsider, cast.handler],
        state=lambda: Dispute.objects.values_list("step", "version").get(pk=dispute.pk),
    )
