"""/healthz: for load balancers, no login, says the process and the database answer."""

from __future__ import annotations

from django.db import connection

from tests.conftest import login_as


def test_healthz_answers_ok_in_json(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": connection.vendor}


def test_healthz_needs_no_login_and_sets_no_cookie(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert not response.cookies


def test_healthz_does_not_count_as_activity_in_a_session(cast, client):
    """Exempt from the session rules: a probe neither keeps a session alive nor ends it."""
    login_as(client, cast.leader)
    assert client.get("/healthz").status_code == 200
    assert "xk_last_seen" not in client.session
    client.get("/")
    assert "xk_last_seen" in client.session
