"""/api/v1/square: the announced sessions and a session's published answers and promises, askers
anonymised and no phone anywhere."""

from __future__ import annotations

from tests.api.conftest import bearer, issue
from tests.square import factories as sf


def test_sessions_and_results_without_personal_data(cast, api_client):
    question = sf.promised(cast)
    token = issue(cast)
    sessions = api_client.get("/api/v1/square/sessions", **bearer(token.secret)).json()
    assert [item["id"] for item in sessions["items"]] == [question.session_id]
    response = api_client.get(
        f"/api/v1/square/sessions/{question.session_id}/results", **bearer(token.secret)
    )
    body = response.json()
    (answer,) = body["answers"]
    assert answer["asked_by"] == "王**" and answer["promise_status"] == "pending"
    assert answer["matter_code"] == question.matter.code
    assert sf.NAME not in response.content.decode() and sf.PHONE not in response.content.decode()


def test_a_planned_session_is_not_published(cast, api_client):
    planned = sf.session(cast, state="planned")
    token = issue(cast)
    response = api_client.get(
        f"/api/v1/square/sessions/{planned.pk}/results", **bearer(token.secret)
    )
    assert response.status_code == 404
