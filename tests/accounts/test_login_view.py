"""The password step of the login page: success, wrong passwords, unknown names, safe redirects."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.accounts.flows import (
    HOME_URL,
    LOGIN_URL,
    LOGOUT_URL,
    audit_since,
    form_errors,
    in_language,
    is_logged_in,
    last_audit_id,
    post_login,
    shown,
)
from tests.conftest import Cast, login_as
from tests.factories import PASSWORD
from xinkan.accounts import services
from xinkan.accounts.models import User
from xinkan.audit.models import AuditEntry, Outcome

WRONG = "Wrong username or password."


def test_login_page_renders_the_form(client: Client, db: None) -> None:
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"username", "password"}


def test_correct_password_logs_in_redirects_home_and_is_audited(client: Client, cast: Cast) -> None:
    start = last_audit_id()

    response = post_login(client, "grid", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    assert is_logged_in(client)
    assert int(client.session["_auth_user_id"]) == cast.grid_worker.pk
    entries = audit_since(start)
    assert [entry.action for entry in entries] == ["accounts.login.succeeded"]
    assert entries[0].actor_id == cast.grid_worker.pk
    assert entries[0].outcome == Outcome.SUCCESS
    assert entries[0].data == {"second_factor": False}
    assert client.get(HOME_URL).status_code == 200


def test_successful_login_clears_earlier_failures(client: Client, cast: Cast) -> None:
    post_login(client, "grid", "not-the-password")
    post_login(client, "grid", "not-the-password")
    assert User.objects.get(pk=cast.grid_worker.pk).failed_login_count == 2

    post_login(client, "grid", PASSWORD)

    user = User.objects.get(pk=cast.grid_worker.pk)
    assert user.failed_login_count == 0
    assert user.last_login is not None


def test_wrong_password_is_refused_with_a_clear_error_and_audited(
    client: Client, cast: Cast
) -> None:
    start = last_audit_id()

    response = post_login(client, "grid", "Wrong#Pass2026")

    assert response.status_code == 200
    assert form_errors(response) == [in_language(WRONG)]
    assert shown(response, in_language(WRONG))
    assert not is_logged_in(client)
    entries = audit_since(start)
    assert [entry.action for entry in entries] == ["accounts.login.failed"]
    failed = entries[0]
    assert failed.outcome == Outcome.FAILURE
    assert failed.actor_id is None
    assert failed.actor_label == "grid"
    assert (failed.object_type, failed.object_id) == ("accounts.user", str(cast.grid_worker.pk))
    assert failed.data == {"reason": "bad_password", "failed_in_a_row": 1}
    assert User.objects.get(pk=cast.grid_worker.pk).failed_login_count == 1


def test_error_is_shown_in_english_when_english_was_chosen(client: Client, cast: Cast) -> None:
    client.cookies["xinkan_language"] = "en"

    response = post_login(client, "grid", "Wrong#Pass2026")

    assert form_errors(response) == [WRONG]


def test_unknown_username_gets_the_same_answer_as_a_wrong_password(
    client: Client, cast: Cast
) -> None:
    known = post_login(client, "grid", "Wrong#Pass2026")
    start = last_audit_id()

    unknown = post_login(client, "nobody-here", "Wrong#Pass2026")

    assert unknown.status_code == known.status_code == 200
    assert form_errors(unknown) == form_errors(known) == [in_language(WRONG)]
    entries = audit_since(start)
    assert [entry.action for entry in entries] == ["accounts.login.failed"]
    entry = entries[0]
    assert entry.outcome == Outcome.FAILURE
    assert entry.actor_id is None
    assert entry.actor_label == "nobody-here"
    assert entry.data == {"reason": "unknown_user"}
    # Nothing in the entry points at an account, and no account was made.
    assert (entry.object_type, entry.object_id, entry.object_repr) == ("", "", "")
    assert not User.objects.filter(username="nobody-here").exists()


def test_unknown_username_never_hints_at_remaining_attempts_or_lockout(
    client: Client, cast: Cast
) -> None:
    for _attempt in range(7):
        response = post_login(client, "nobody-here", "Wrong#Pass2026")
        assert form_errors(response) == [in_language(WRONG)]

    assert (
        AuditEntry.objects.filter(action="accounts.login.failed", actor_label="nobody-here").count()
        == 7
    )
    assert not AuditEntry.objects.filter(action="accounts.user.locked").exists()


def test_id_number_typed_as_username_is_masked_in_the_audit_log(client: Client, cast: Cast) -> None:
    start = last_audit_id()

    post_login(client, "11010519900307123X", "Wrong#Pass2026")

    (entry,) = audit_since(start)
    assert entry.action == "accounts.login.failed"
    assert "19900307" not in entry.actor_label
    assert entry.actor_label == "110105********123X"


def test_deactivated_account_cannot_log_in(client: Client, cast: Cast) -> None:
    services.set_user_active(cast.grid_worker, active=False, by=cast.admin)

    response = post_login(client, "grid", PASSWORD)

    assert response.status_code == 200
    assert form_errors(response) == [in_language(WRONG)]
    assert not is_logged_in(client)
    assert not AuditEntry.objects.filter(
        action="accounts.login.succeeded", actor=cast.grid_worker
    ).exists()


def test_login_follows_a_local_next_url(client: Client, cast: Cast) -> None:
    response = client.post(
        LOGIN_URL, {"username": "grid", "password": PASSWORD, "next": "/accounts/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)"]
)
def test_login_ignores_a_next_url_to_another_site(
    client: Client, cast: Cast, next_url: str
) -> None:
    response = client.post(LOGIN_URL, {"username": "grid", "password": PASSWORD, "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == HOME_URL


def test_empty_form_is_refused_without_counting_a_failure(client: Client, cast: Cast) -> None:
    start = last_audit_id()

    response = client.post(LOGIN_URL, {"username": "", "password": ""})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"username", "password"}
    assert audit_since(start) == []


def test_logged_in_user_is_sent_home_from_the_login_page(client: Client, cast: Cast) -> None:
    login_as(client, cast.grid_worker)

    response = client.get(LOGIN_URL)

    assert response.status_code == 302
    assert response["Location"] == HOME_URL


def test_logout_ends_the_session_and_is_audited(client: Client, cast: Cast) -> None:
    login_as(client, cast.grid_worker)
    start = last_audit_id()

    response = client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert not is_logged_in(client)
    entries = audit_since(start)
    assert [(entry.action, entry.data) for entry in entries] == [
        ("accounts.logout", {"reason": "user"})
    ]
    assert entries[0].actor_id == cast.grid_worker.pk


def test_logout_by_get_is_refused_and_keeps_the_session(client: Client, cast: Cast) -> None:
    login_as(client, cast.grid_worker)
    start = last_audit_id()

    response = client.get(LOGOUT_URL)

    assert response.status_code == 405
    assert is_logged_in(client)
    assert audit_since(start) == []
