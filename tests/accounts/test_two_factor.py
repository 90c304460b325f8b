"""The second step of the login (TOTP), enrolment for roles that require it, and its expiry."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from tests import factories
from tests.accounts.flows import (
    HOME_URL,
    LOGIN_URL,
    SETUP_URL,
    VERIFY_URL,
    actions_since,
    audit_since,
    code_for,
    form_errors,
    in_language,
    is_logged_in,
    last_audit_id,
    messages_of,
    post_login,
    wrong_code_for,
)
from tests.conftest import Cast
from tests.factories import PASSWORD
from xinkan.accounts.models import User
from xinkan.audit.models import Outcome

WRONG_CODE = "The code is wrong or has expired. Enter the current code."
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def no_throttle(settings: Settings) -> None:
    """django-otp makes each retry after a wrong code wait longer; these tests retry at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_user_with_a_device_must_pass_the_code_step(client: Client, cast: Cast) -> None:
    device = factories.totp_device(cast.grid_worker)
    start = last_audit_id()

    response = post_login(client, "grid", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == VERIFY_URL
    assert not is_logged_in(client)
    assert client.get(HOME_URL).status_code == 302  # still anonymous
    assert actions_since(start) == []

    response = client.post(VERIFY_URL, {"token": code_for(device)})

    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    assert is_logged_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    entries = audit_since(start)
    assert [(entry.action, entry.data) for entry in entries] == [
        ("accounts.login.succeeded", {"second_factor": True})
    ]
    assert client.get(HOME_URL).status_code == 200


def test_verify_page_greets_the_pending_user(client: Client, cast: Cast) -> None:
    factories.totp_device(cast.grid_worker)
    post_login(client, "grid", PASSWORD)

    response = client.get(VERIFY_URL)

    assert response.status_code == 200
    assert response.context["pending_user"] == cast.grid_worker


def test_the_pending_step_keeps_the_next_url(client: Client, cast: Cast) -> None:
    device = factories.totp_device(cast.grid_worker)
    client.post(LOGIN_URL, {"username": "grid", "password": PASSWORD, "next": "/accounts/"})

    response = client.post(VERIFY_URL, {"token": code_for(device)})

    assert response["Location"] == "/accounts/"


def test_wrong_code_is_refused_and_counts_toward_lockout(client: Client, cast: Cast) -> None:
    device = factories.totp_device(cast.grid_worker)
    post_login(client, "grid", PASSWORD)
    start = last_audit_id()

    response = client.post(VERIFY_URL, {"token": wrong_code_for(device)})

    assert response.status_code == 200
    assert form_errors(response) == [in_language(WRONG_CODE)]
    assert not is_logged_in(client)
    user = User.objects.get(pk=cast.grid_worker.pk)
    assert user.failed_login_count == 1
    assert user.locked_at is None
    entries = audit_since(start)
    assert [(entry.action, entry.outcome) for entry in entries] == [
        ("accounts.two_factor.failed", Outcome.FAILURE),
        ("accounts.login.failed", Outcome.FAILURE),
    ]


def test_malformed_code_is_refused_by_the_form(client: Client, cast: Cast) -> None:
    factories.totp_device(cast.grid_worker)
    post_login(client, "grid", PASSWORD)
    start = last_audit_id()

    response = client.post(VERIFY_URL, {"token": "12ab"})

    assert response.status_code == 200
    assert form_errors(response) == [
        in_language("Enter the six digits shown in your authenticator app.")
    ]
    assert not is_logged_in(client)
    assert audit_since(start) == []


def test_wrong_codes_lock_the_account(client: Client, cast: Cast, no_throttle: None) -> None:
    device = factories.totp_device(cast.grid_worker)
    post_login(client, "grid", PASSWORD)

    for _attempt in range(4):
        assert client.post(VERIFY_URL, {"token": wrong_code_for(device)}).status_code == 200
    response = client.post(VERIFY_URL, {"token": wrong_code_for(device)}, follow=True)

    assert response.redirect_chain[0] == (LOGIN_URL, 302)
    assert messages_of(response) == [
        in_language(
            "This account is locked after too many failed logins. Ask your administrator to "
            "unlock it."
        )
    ]
    assert User.objects.get(pk=cast.grid_worker.pk).is_locked
    # The half-finished login is gone: even the right code no longer gets in.
    response = client.post(VERIFY_URL, {"token": code_for(device)})
    assert response["Location"] == LOGIN_URL
    assert not is_logged_in(client)


def test_a_code_cannot_be_used_twice(client: Client, cast: Cast) -> None:
    device = factories.totp_device(cast.grid_worker)
    code = code_for(device)
    post_login(client, "grid", PASSWORD)
    assert client.post(VERIFY_URL, {"token": code}).status_code == 302

    replay = Client()
    post_login(replay, "grid", PASSWORD)
    response = replay.post(VERIFY_URL, {"token": code})

    assert response.status_code == 200
    assert not is_logged_in(replay)


def test_code_step_without_a_password_step_sends_to_login(client: Client, cast: Cast) -> None:
    device = factories.totp_device(cast.grid_worker)
    start = last_audit_id()

    response = client.post(VERIFY_URL, {"token": code_for(device)}, follow=True)

    assert response.redirect_chain[0] == (LOGIN_URL, 302)
    assert messages_of(response) == [in_language("Please log in again.")]
    assert not is_logged_in(client)
    assert audit_since(start) == []


def test_pending_code_step_expires(client: Client, cast: Cast) -> None:
    device = factories.totp_device(cast.grid_worker)
    with time_machine.travel(T0, tick=False) as clock:
        post_login(client, "grid", PASSWORD)
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        start = last_audit_id()

        response = client.post(VERIFY_URL, {"token": code_for(device)}, follow=True)

        assert response.redirect_chain[0] == (LOGIN_URL, 302)
        assert messages_of(response) == [in_language("Please log in again.")]
        assert not is_logged_in(client)
        assert "accounts.login.succeeded" not in actions_since(start)


def test_pending_code_step_is_valid_within_five_minutes(client: Client, cast: Cast) -> None:
    device = factories.totp_device(cast.grid_worker)
    with time_machine.travel(T0, tick=False) as clock:
        post_login(client, "grid", PASSWORD)
        clock.shift(dt.timedelta(minutes=4, seconds=50))

        response = client.post(VERIFY_URL, {"token": code_for(device)})

        assert response["Location"] == HOME_URL
        assert is_logged_in(client)


@pytest.mark.parametrize("role", ["admin", "leader"])
def test_required_role_without_a_device_is_sent_to_enrolment(
    client: Client, cast: Cast, role: str
) -> None:
    user = getattr(cast, role)
    start = last_audit_id()

    response = post_login(client, user.username, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == SETUP_URL
    assert not is_logged_in(client)
    assert actions_since(start) == []

    page = client.get(SETUP_URL)
    assert page.status_code == 200
    assert page.context["required"] is True
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert page.context["secret"].replace(" ", "")  # the key to type in, shown in groups

    response = client.post(SETUP_URL, {"token": code_for(device)})

    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    assert is_logged_in(client)
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert actions_since(start) == ["accounts.two_factor.enrolled", "accounts.login.succeeded"]
    assert client.get(HOME_URL).status_code == 200


def test_enrolment_with_a_wrong_code_is_refused(client: Client, cast: Cast) -> None:
    post_login(client, "leader", PASSWORD)
    client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=cast.leader, confirmed=False)
    start = last_audit_id()

    response = client.post(SETUP_URL, {"token": wrong_code_for(device)})

    assert response.status_code == 200
    assert form_errors(response) == [
        in_language("The code does not match. Check the time on your phone and retry.")
    ]
    assert not is_logged_in(client)
    device.refresh_from_db()
    assert not device.confirmed
    assert [(entry.action, entry.outcome) for entry in audit_since(start)] == [
        ("accounts.two_factor.enrol_failed", Outcome.FAILURE)
    ]


def test_enrolment_reuses_the_same_pending_device(client: Client, cast: Cast) -> None:
    post_login(client, "leader", PASSWORD)

    first = client.get(SETUP_URL).context["secret"]
    second = client.get(SETUP_URL).context["secret"]

    assert first == second
    assert TOTPDevice.objects.filter(user=cast.leader).count() == 1


def test_enrolment_page_without_login_sends_to_login(client: Client, cast: Cast) -> None:
    response = client.get(SETUP_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert not TOTPDevice.objects.filter(confirmed=False).exists()


def test_pending_enrolment_expires(client: Client, cast: Cast) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        post_login(client, "leader", PASSWORD)
        client.get(SETUP_URL)
        device = TOTPDevice.objects.get(user=cast.leader, confirmed=False)
        clock.shift(dt.timedelta(minutes=6))

        response = client.post(SETUP_URL, {"token": code_for(device)})

        assert response["Location"] == LOGIN_URL
        assert not is_logged_in(client)
        device.refresh_from_db()
        assert not device.confirmed


def test_enrolled_leader_logs_in_through_the_code_step(client: Client, cast: Cast) -> None:
    device = factories.totp_device(cast.leader)

    response = post_login(client, "leader", PASSWORD)
    assert response["Location"] == VERIFY_URL
    response = client.post(VERIFY_URL, {"token": code_for(device)})

    assert response["Location"] == HOME_URL
    assert client.get(HOME_URL).status_code == 200


def test_required_role_with_unverified_session_is_logged_out(client: Client, cast: Cast) -> None:
    client.force_login(cast.leader)  # a session without the second factor
    start = last_audit_id()

    response = client.get(HOME_URL, follow=True)

    assert response.redirect_chain[0][0].startswith(LOGIN_URL)
    assert not is_logged_in(client)
    entries = audit_since(start)
    assert [(entry.action, entry.data, entry.actor_id) for entry in entries] == [
        ("accounts.logout", {"reason": "second_factor_required"}, cast.leader.pk)
    ]
    assert messages_of(response) == [
        in_language("Your role requires two-factor login. Please log in again.")
    ]


def test_other_roles_keep_a_session_without_the_second_factor(client: Client, cast: Cast) -> None:
    client.force_login(cast.grid_worker)
    start = last_audit_id()

    response = client.get(HOME_URL)

    assert response.status_code == 200
    assert is_logged_in(client)
    assert audit_since(start) == []


def test_logged_in_user_enrols_from_the_account_page(client: Client, cast: Cast) -> None:
    client.force_login(cast.grid_worker)
    client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=cast.grid_worker, confirmed=False)

    response = client.post(SETUP_URL, {"token": code_for(device)})

    assert response["Location"] == "/accounts/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
