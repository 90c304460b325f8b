"""Locking an account after XINKAN_LOCKOUT_THRESHOLD failed logins, and unlocking it (等保2.0)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from pytest_django.fixtures import Settings

from tests.accounts.flows import (
    HOME_URL,
    LOGIN_URL,
    audit_since,
    form_errors,
    in_language,
    in_language_plural,
    is_logged_in,
    last_audit_id,
    messages_of,
    post_login,
)
from tests.conftest import Cast, login_as
from tests.factories import PASSWORD
from xinkan.accounts import services
from xinkan.accounts.models import User
from xinkan.audit.models import AuditEntry, Outcome

WRONG = "Wrong username or password."
LOCKED = "This account is locked after too many failed logins. Ask your administrator to unlock it."


def remaining_warning(n: int) -> str:
    return in_language_plural(
        "Wrong username or password. After %(n)d more failed attempt the account will be locked.",
        "Wrong username or password. After %(n)d more failed attempts the account will be locked.",
        n,
    )


def fail(client: Client, username: str = "grid", times: int = 1) -> list[list[str]]:
    return [
        form_errors(post_login(client, username, "Wrong#Pass2026")) for _attempt in range(times)
    ]


def lock(client: Client, username: str = "grid") -> None:
    fail(client, username, times=5)
    assert User.objects.get(username=username).is_locked


def state_of(user: User) -> tuple[object, ...]:
    user = User.objects.get(pk=user.pk)
    return (user.locked_at, user.failed_login_count, user.password)


def test_threshold_is_five_by_default(settings: Settings) -> None:
    assert settings.XINKAN_LOCKOUT_THRESHOLD == 5


def test_warnings_count_down_the_remaining_attempts(client: Client, cast: Cast) -> None:
    errors = fail(client, times=4)

    assert errors == [
        [in_language(WRONG)],
        [in_language(WRONG)],
        [remaining_warning(2)],
        [remaining_warning(1)],
    ]
    user = User.objects.get(pk=cast.grid_worker.pk)
    assert user.failed_login_count == 4
    assert user.locked_at is None


def test_remaining_attempts_warning_in_english(client: Client, cast: Cast) -> None:
    client.cookies["xinkan_language"] = "en"

    errors = fail(client, times=4)

    assert errors[-1] == [
        "Wrong username or password. After 1 more failed attempt the account will be locked."
    ]
    assert errors[-2] == [
        "Wrong username or password. After 2 more failed attempts the account will be locked."
    ]


def test_account_is_locked_at_the_threshold_and_audited(client: Client, cast: Cast) -> None:
    fail(client, times=4)
    start = last_audit_id()

    errors = fail(client)

    assert errors == [[in_language(LOCKED)]]
    user = User.objects.get(pk=cast.grid_worker.pk)
    assert user.locked_at is not None
    assert user.failed_login_count == 5
    entries = audit_since(start)
    assert [entry.action for entry in entries] == ["accounts.login.failed", "accounts.user.locked"]
    locked = entries[1]
    assert locked.actor_label == "system:lockout"
    assert (locked.object_type, locked.object_id) == ("accounts.user", str(user.pk))
    assert locked.data == {"failed_in_a_row": 5, "threshold": 5}


def test_threshold_setting_is_honoured(client: Client, cast: Cast, settings: Settings) -> None:
    settings.XINKAN_LOCKOUT_THRESHOLD = 3

    errors = fail(client, times=3)

    assert errors[-1] == [in_language(LOCKED)]
    assert User.objects.get(pk=cast.grid_worker.pk).is_locked


def test_correct_password_is_refused_while_locked(client: Client, cast: Cast) -> None:
    lock(client)
    before = state_of(cast.grid_worker)
    start = last_audit_id()

    response = post_login(client, "grid", PASSWORD)

    assert response.status_code == 200
    assert form_errors(response) == [in_language(LOCKED)]
    assert not is_logged_in(client)
    assert state_of(cast.grid_worker) == before
    entries = audit_since(start)
    assert [(entry.action, entry.outcome) for entry in entries] == [
        ("accounts.login.refused_locked", Outcome.FAILURE)
    ]


def test_more_wrong_passwords_while_locked_do_not_relock(client: Client, cast: Cast) -> None:
    lock(client)
    before = state_of(cast.grid_worker)

    fail(client, times=3)

    assert state_of(cast.grid_worker) == before
    assert AuditEntry.objects.filter(action="accounts.user.locked").count() == 1


def test_administrator_unlock_lets_the_user_in_again(client: Client, cast: Cast) -> None:
    lock(client)
    start = last_audit_id()

    services.unlock_user(cast.grid_worker, by=cast.admin)

    user = User.objects.get(pk=cast.grid_worker.pk)
    assert (user.locked_at, user.failed_login_count) == (None, 0)
    entries = audit_since(start)
    assert [(entry.action, entry.actor_id) for entry in entries] == [
        ("accounts.user.unlocked", cast.admin.pk)
    ]
    response = post_login(client, "grid", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    assert is_logged_in(client)


def test_unlocking_an_account_that_is_not_locked_changes_nothing(cast: Cast) -> None:
    start = last_audit_id()

    services.unlock_user(cast.grid_worker, by=cast.admin)

    assert audit_since(start) == []


@pytest.mark.parametrize(
    "role", ["grid_worker", "community_worker", "cadre", "handler", "leader", "outsider"]
)
def test_only_an_administrator_may_unlock(client: Client, cast: Cast, role: str) -> None:
    lock(client)
    before = state_of(cast.grid_worker)
    start = last_audit_id()
    actor = getattr(cast, role)

    with pytest.raises(PermissionDenied):
        services.unlock_user(cast.grid_worker, by=actor)

    assert state_of(cast.grid_worker) == before
    entries = audit_since(start)
    assert [(entry.action, entry.outcome, entry.actor_id) for entry in entries] == [
        ("accounts.manage.denied", Outcome.FAILURE, actor.pk)
    ]
    assert entries[0].object_id == str(cast.grid_worker.pk)


def test_locking_ends_a_session_already_open(cast: Cast) -> None:
    browser = Client()
    login_as(browser, cast.grid_worker)
    assert browser.get(HOME_URL).status_code == 200
    lock(Client())
    start = last_audit_id()

    response = browser.get(HOME_URL, follow=True)

    assert response.redirect_chain[0][0].startswith(LOGIN_URL)
    assert not is_logged_in(browser)
    assert [(entry.action, entry.data) for entry in audit_since(start)] == [
        ("accounts.logout", {"reason": "locked"})
    ]
    assert messages_of(response) == [in_language("This account is locked.")]
