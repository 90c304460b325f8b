"""Changing one's own password: forced after a reset or on expiry, with complexity rules (等保2.0)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from tests.accounts.flows import (
    HOME_URL,
    LOGIN_URL,
    LOGOUT_URL,
    PASSWORD_URL,
    audit_since,
    is_logged_in,
    last_audit_id,
    post_login,
    shown,
)
from tests.conftest import Cast, login_as
from tests.factories import PASSWORD
from xinkan.accounts import services
from xinkan.accounts.models import User

TEMPORARY = "Temp#Pass2026x"
NEW = "Fresh#Start2026"


def validator_messages(password: str, user: User, language: str) -> list[str]:
    with translation.override(language):
        try:
            validate_password(password, user)
        except ValidationError as error:
            return list(error.messages)
    return []


def state_of(user: User) -> tuple[object, ...]:
    user = User.objects.get(pk=user.pk)
    return (user.password, user.must_change_password, user.password_changed_at)


@pytest.fixture
def reset_client(client: Client, cast: Cast) -> Client:
    """The grid worker, logged in with a temporary password an administrator set."""
    services.reset_password(cast.grid_worker, new_password=TEMPORARY, by=cast.admin)
    response = post_login(client, "grid", TEMPORARY)
    assert response.status_code == 302
    return client


def change(client: Client, old: str, new1: str, new2: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        PASSWORD_URL,
        {
            "old_password": old,
            "new_password1": new1,
            "new_password2": new1 if new2 is None else new2,
        },
    )


@pytest.mark.parametrize("path", [HOME_URL, "/units/", "/audit/", "/accounts/", "/residents/"])
def test_a_reset_password_sends_every_page_to_the_change_page(
    reset_client: Client, path: str
) -> None:
    response = reset_client.get(path)

    assert response.status_code == 302
    assert response["Location"] == PASSWORD_URL


def test_change_page_explains_why_after_a_reset(reset_client: Client) -> None:
    response = reset_client.get(PASSWORD_URL)

    assert response.status_code == 200
    with translation.override("zh-hans"):
        reason = translation.gettext(
            "Your password was set by an administrator. Choose your own password now."
        )
    assert response.context["reason"] == reason
    assert shown(response, reason)


def test_logout_stays_possible_before_the_change(reset_client: Client) -> None:
    response = reset_client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert not is_logged_in(reset_client)


def test_an_expired_password_sends_every_page_to_the_change_page(
    client: Client, cast: Cast
) -> None:
    later = timezone.now() + dt.timedelta(days=91)
    with time_machine.travel(later, tick=False):
        login_as(client, cast.grid_worker)
        assert cast.grid_worker.password_expired()

        response = client.get("/units/")
        page = client.get(PASSWORD_URL)

        assert response.status_code == 302
        assert response["Location"] == PASSWORD_URL
        assert page.status_code == 200
        with translation.override("zh-hans"):
            assert page.context["reason"] == translation.gettext(
                "Your password has expired. Choose a new password."
            )


def test_a_password_younger_than_the_maximum_age_is_not_forced(client: Client, cast: Cast) -> None:
    with time_machine.travel(timezone.now() + dt.timedelta(days=89), tick=False):
        login_as(client, cast.grid_worker)

        assert client.get(HOME_URL).status_code == 200


TOO_SHORT = "Ab1!xyz"
TOO_SIMPLE = "onlylowercaseletters"
TOO_COMMON = "Password123"

ENGLISH = {
    TOO_SHORT: "This password is too short. It must contain at least 10 characters.",
    TOO_SIMPLE: (
        "The password must mix at least 3 kinds of characters: lower-case letters, "
        "upper-case letters, digits, symbols."
    ),
    TOO_COMMON: "This password is too common.",
}


@pytest.mark.parametrize("weak", [TOO_SHORT, TOO_SIMPLE, TOO_COMMON])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_weak_password_is_refused_in_the_users_language(
    reset_client: Client, cast: Cast, weak: str, language: str
) -> None:
    if language != "zh-hans":
        reset_client.cookies["xinkan_language"] = language
    before = state_of(cast.grid_worker)
    start = last_audit_id()

    response = change(reset_client, TEMPORARY, weak)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["new_password2"]
    assert errors["new_password2"] == validator_messages(weak, cast.grid_worker, language)
    if language == "en":
        assert errors["new_password2"] == [ENGLISH[weak]]
    else:
        assert errors["new_password2"] != [ENGLISH[weak]]  # translated, not the English text
    assert state_of(cast.grid_worker) == before
    assert audit_since(start) == []
    assert reset_client.get(HOME_URL)["Location"] == PASSWORD_URL  # still forced


def test_wrong_current_password_is_refused(reset_client: Client, cast: Cast) -> None:
    before = state_of(cast.grid_worker)
    start = last_audit_id()

    response = change(reset_client, "Not#TheOld2026", NEW)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["old_password"]
    assert state_of(cast.grid_worker) == before
    assert audit_since(start) == []


def test_mismatched_new_passwords_are_refused(reset_client: Client, cast: Cast) -> None:
    before = state_of(cast.grid_worker)

    response = change(reset_client, TEMPORARY, NEW, NEW + "x")

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["new_password2"]
    assert state_of(cast.grid_worker) == before


def test_a_valid_change_clears_the_flag_and_is_audited(reset_client: Client, cast: Cast) -> None:
    changed_before = User.objects.get(pk=cast.grid_worker.pk).password_changed_at
    start = last_audit_id()

    response = change(reset_client, TEMPORARY, NEW)

    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    user = User.objects.get(pk=cast.grid_worker.pk)
    assert not user.must_change_password
    assert user.check_password(NEW)
    assert not user.check_password(TEMPORARY)
    assert user.password_changed_at is not None
    assert changed_before is not None
    assert user.password_changed_at > changed_before
    entries = audit_since(start)
    assert [(entry.action, entry.actor_id) for entry in entries] == [
        ("accounts.password.changed", user.pk)
    ]
    # The session survives its own password change, and pages open again.
    assert is_logged_in(reset_client)
    assert reset_client.get(HOME_URL).status_code == 200


def test_a_valid_change_ends_the_expiry_redirect(client: Client, cast: Cast) -> None:
    with time_machine.travel(timezone.now() + dt.timedelta(days=100), tick=False):
        login_as(client, cast.grid_worker)
        assert client.get(HOME_URL)["Location"] == PASSWORD_URL

        response = change(client, PASSWORD, NEW)

        assert response["Location"] == HOME_URL
        assert client.get(HOME_URL).status_code == 200
        assert not User.objects.get(pk=cast.grid_worker.pk).password_expired()


def test_change_page_requires_login(client: Client, db: None) -> None:
    response = client.get(PASSWORD_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
