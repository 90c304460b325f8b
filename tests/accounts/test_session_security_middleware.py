"""Idle timeout and the other session rules enforced on every staff request (等保2.0)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from pytest_django.fixtures import Settings

from tests.accounts.flows import (
    HOME_URL,
    LOGIN_URL,
    audit_since,
    in_language,
    is_logged_in,
    last_audit_id,
    messages_of,
)
from tests.conftest import Cast, login_as

IDLE = "You were logged out after a period without activity. Please log in again."


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def worker_client(client: Client, cast: Cast, clock: time_machine.Coordinates) -> Client:
    login_as(client, cast.grid_worker)
    assert client.get(HOME_URL).status_code == 200  # the first page notes the time of activity
    return client


def test_idle_timeout_is_thirty_minutes_by_default(settings: Settings) -> None:
    assert settings.XINKAN_IDLE_TIMEOUT_SECONDS == 30 * 60


def test_request_after_the_idle_timeout_logs_out(
    worker_client: Client, cast: Cast, clock: time_machine.Coordinates
) -> None:
    clock.shift(dt.timedelta(minutes=30, seconds=1))
    start = last_audit_id()

    response = worker_client.get("/units/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=%2Funits%2F"
    assert not is_logged_in(worker_client)
    entries = audit_since(start)
    assert [(entry.action, entry.data, entry.actor_id) for entry in entries] == [
        ("accounts.logout", {"reason": "idle"}, cast.grid_worker.pk)
    ]
    login_page = worker_client.get(response["Location"])
    assert login_page.status_code == 200
    assert messages_of(login_page) == [in_language(IDLE)]
    assert worker_client.get(HOME_URL).status_code == 302


def test_activity_within_the_window_keeps_the_session(
    worker_client: Client, clock: time_machine.Coordinates
) -> None:
    start = last_audit_id()
    for _step in range(4):
        clock.shift(dt.timedelta(minutes=20))
        assert worker_client.get(HOME_URL).status_code == 200

    clock.shift(dt.timedelta(minutes=29, seconds=50))
    assert worker_client.get(HOME_URL).status_code == 200
    assert is_logged_in(worker_client)
    assert audit_since(start) == []


def test_post_after_the_idle_timeout_is_not_carried_out(
    worker_client: Client, clock: time_machine.Coordinates
) -> None:
    clock.shift(dt.timedelta(hours=1))

    response = worker_client.post("/accounts/password/", {"old_password": "x"})

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL  # no "next" for a form that was posted
    assert not is_logged_in(worker_client)


def test_htmx_request_after_the_idle_timeout_gets_a_client_redirect(
    worker_client: Client, clock: time_machine.Coordinates
) -> None:
    clock.shift(dt.timedelta(hours=1))

    response = worker_client.get("/units/", headers={"HX-Request": "true"})

    assert response.status_code == 302
    assert response["HX-Redirect"] == f"{LOGIN_URL}?next=%2Funits%2F"


def test_idle_timeout_setting_is_honoured(
    worker_client: Client, clock: time_machine.Coordinates, settings: Settings
) -> None:
    settings.XINKAN_IDLE_TIMEOUT_SECONDS = 120

    clock.shift(dt.timedelta(seconds=100))
    assert worker_client.get(HOME_URL).status_code == 200
    clock.shift(dt.timedelta(seconds=121))
    assert worker_client.get(HOME_URL).status_code == 302
    assert not is_logged_in(worker_client)


def test_health_checks_do_not_keep_an_idle_session_alive(
    worker_client: Client, clock: time_machine.Coordinates
) -> None:
    clock.shift(dt.timedelta(minutes=20))
    assert worker_client.get("/healthz").status_code == 200
    clock.shift(dt.timedelta(minutes=20))

    response = worker_client.get(HOME_URL)

    assert response.status_code == 302
    assert not is_logged_in(worker_client)


def test_stale_last_seen_in_the_session_logs_out(client: Client, cast: Cast) -> None:
    login_as(client, cast.community_worker)
    session = client.session
    session["xk_last_seen"] = time.time() - 30 * 60 - 5
    session.save()

    response = client.get(HOME_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert not is_logged_in(client)


def test_anonymous_requests_pass_through(client: Client, db: None) -> None:
    start = last_audit_id()

    response = client.get(HOME_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert audit_since(start) == []
