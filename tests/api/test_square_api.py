"""/api/v1/square: the announced sessions and a session's published answers and promises, askers
anonymised and no phone anywhere; a resident's question sent in as on the portal (rate limited,
idempotent); the session's questions and their moderation for the staff who run it."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import bearer, issue
from tests.square import factories as sf
from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Role
from xinkan.square.models import Question

pytestmark = pytest.mark.django_db


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


# --- A resident's question, moderation by the staff who run the session ---------------------------


def post(client, url, body, secret, **headers):  # type: ignore[no-untyped-def]
    return client.post(
        url, json.dumps(body), content_type="application/json", **bearer(secret, **headers)
    )


QUESTION = {"text": sf.TEXT, "name": sf.NAME, "phone": sf.PHONE}


def test_a_question_is_sent_in_for_moderation_without_personal_data_back(cast, api_client):
    session = sf.session(cast, state="open")
    token = issue(cast)
    response = post(
        api_client, f"/api/v1/square/sessions/{session.pk}/questions", QUESTION, token.secret
    )
    assert response.status_code == 201, response.content
    question = Question.objects.get()
    assert response.json() == {
        "id": question.pk,
        "session_id": session.pk,
        "state": "pending",
        "position": question.position,
    }
    assert question.asker_phone == sf.PHONE and question.source == "portal"
    assert AuditEntry.objects.filter(action="square.question.submitted").count() == 1


def test_a_retried_question_is_sent_in_once(cast, api_client):
    session = sf.session(cast, state="open")
    token = issue(cast)
    url = f"/api/v1/square/sessions/{session.pk}/questions"
    first = post(api_client, url, QUESTION, token.secret, HTTP_IDEMPOTENCY_KEY="q-1")
    again = post(api_client, url, QUESTION, token.secret, HTTP_IDEMPOTENCY_KEY="q-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Question.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"text": "太短"}, 400, "text"),
        ({"text": "      电梯坏了      "}, 400, None),  # six characters only with the spaces
        ({"phone": "12ab"}, 400, None),
        ({"community": 999999}, 400, "community"),
    ],
)
def test_question_errors_are_told_and_nothing_is_kept(cast, api_client, change, status, field):
    session = sf.session(cast, state="open")
    token = issue(cast)
    url = f"/api/v1/square/sessions/{session.pk}/questions"
    response = post(api_client, url, {**QUESTION, **change}, token.secret)
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["error"]["fields"]
    else:
        assert response.json()["error"]["code"] == "refused"
    assert not Question.objects.exists()


def test_questions_only_while_the_session_takes_them(cast, api_client):
    planned = sf.session(cast, state="planned")
    live = sf.session(cast, state="live", theme="教育专场")
    token = issue(cast)
    response = post(
        api_client, f"/api/v1/square/sessions/{planned.pk}/questions", QUESTION, token.secret
    )
    assert response.status_code == 404
    response = post(
        api_client, f"/api/v1/square/sessions/{live.pk}/questions", QUESTION, token.secret
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "refused"
    assert not Question.objects.exists()


def test_questions_are_rate_limited_per_caller(cast, api_client, settings):
    settings.XINKAN_API_RATE_ASK = (1, 3600)
    session = sf.session(cast, state="open")
    token = issue(cast)
    url = f"/api/v1/square/sessions/{session.pk}/questions"
    assert post(api_client, url, QUESTION, token.secret).status_code == 201
    second = {**QUESTION, "text": "小区门口的路灯坏了很久，晚上很黑。"}
    response = post(api_client, url, second, token.secret)
    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert Question.objects.count() == 1


def test_staff_see_the_questions_and_approve_or_decline_them(cast, api_client):
    session = sf.session(cast, state="open")
    first = sf.submitted(session)
    second = sf.submitted(session, text="小区门口的路灯坏了很久，晚上很黑。")
    leader = issue(cast, role=Role.LEADER, unit=cast.district, name="大屏")
    listed = api_client.get(
        f"/api/v1/square/sessions/{session.pk}/questions", **bearer(leader.secret)
    ).json()
    assert [q["id"] for q in listed["items"]] == [first.pk, second.pk]
    assert listed["items"][0]["asker_phone"] == "138****8000"
    approved = post(
        api_client,
        f"/api/v1/square/questions/{first.pk}/approve",
        {"department": cast.department.pk},
        leader.secret,
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "queued"
    assert approved.json()["department_id"] == cast.department.pk
    declined = post(
        api_client,
        f"/api/v1/square/questions/{second.pk}/decline",
        {"reason": "与本场主题无关，已转交相关部门"},
        leader.secret,
    )
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    again = post(api_client, f"/api/v1/square/questions/{second.pk}/approve", {}, leader.secret)
    assert again.status_code == 400 and again.json()["error"]["code"] == "refused"
    assert Question.objects.get(pk=second.pk).state == "declined"
    assert AuditEntry.objects.filter(action="square.question.approved").count() == 1


def test_moderation_errors_and_scope(cast, api_client):
    session = sf.session(cast, state="open")
    question = sf.submitted(session)
    leader = issue(cast, role=Role.LEADER, unit=cast.district, name="大屏")
    url = f"/api/v1/square/questions/{question.pk}"
    response = post(api_client, f"{url}/decline", {"reason": "不"}, leader.secret)
    assert response.status_code == 400
    response = post(api_client, f"{url}/approve", {"department": 999999}, leader.secret)
    assert response.status_code == 400 and "department" in response.json()["error"]["fields"]
    # A subdistrict's cadre elsewhere does not see the district's session; a community's token
    # has no square permission at all.
    cadre = issue(cast, role=Role.SUBDISTRICT_CADRE, unit=cast.other_subdistrict, name="胜利")
    assert post(api_client, f"{url}/approve", {}, cadre.secret).status_code == 404
    assert (
        api_client.get(
            f"/api/v1/square/sessions/{session.pk}/questions", **bearer(cadre.secret)
        ).status_code
        == 404
    )
    community = issue(cast)
    assert post(api_client, f"{url}/approve", {}, community.secret).status_code == 403
    assert Question.objects.get().state == "pending"
