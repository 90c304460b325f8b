"""No password, one-time code or ID card number reaches a log line or an audit entry (等保2.0,
PIPL): every log record of the request (SQL with its parameters included) and every stored audit
field are searched after each kind of login and password event."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from tests import factories
from tests.accounts.flows import (
    PASSWORD_URL,
    SETUP_URL,
    VERIFY_URL,
    code_for,
    is_logged_in,
    post_login,
    wrong_code_for,
)
from tests.conftest import Cast, login_as
from tests.logcapture import LogCapture, capture_all_logs
from xinkan.accounts.models import User
from xinkan.audit.models import AuditEntry
from xinkan.org import services as org_services
from xinkan.org.roles import Role

WRONG_PASSWORD = "S3cret!Value-xyz"
REAL_PASSWORD = "Real#Secret-2026zz"
NEW_PASSWORD = "N3w!Secret-Value-abc"
TEMPORARY = "Temp!Secret-4711qq"
ID_NUMBER = "11010519900307123X"


@pytest.fixture
def watch(
    caplog: pytest.LogCaptureFixture, settings: Settings
) -> Iterator[tuple[LogCapture, pytest.LogCaptureFixture]]:
    # A frozen clock with whole seconds, so that no timestamp's digits can look like a code.
    # Requested first by the tests, so that the cast, too, is made under it and watched.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    caplog.set_level(logging.DEBUG)
    frozen = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with time_machine.travel(frozen, tick=False), capture_all_logs() as captured:
        yield captured, caplog


@pytest.fixture
def person(watch: tuple[LogCapture, pytest.LogCaptureFixture], cast: Cast) -> User:
    user = factories.user("zhou", display_name="周敏", password=REAL_PASSWORD)
    org_services.grant_membership(user=user, role=Role.GRID_WORKER, unit=cast.grid, by=None)
    return user


def audit_text() -> str:
    rows = list(AuditEntry.objects.order_by("id").values())
    return json.dumps(rows, default=str, ensure_ascii=False)


def assert_nowhere(secret: str, watched: tuple[LogCapture, pytest.LogCaptureFixture]) -> None:
    captured, caplog = watched
    assert captured.raw, "nothing was captured: the capture is broken"
    assert {at.microsecond for at in AuditEntry.objects.values_list("at", flat=True)} == {0}
    # Codes are digits: look for them as a whole token, not inside hashes or longer numbers.
    pattern = re.compile(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])")
    for where, text in [
        ("raw log records", "\n".join(captured.raw)),
        ("formatted log lines", "\n".join(captured.formatted)),
        ("caplog", caplog.text),
        ("audit entries", audit_text()),
    ]:
        assert not pattern.search(text), f"{secret!r} found in {where}"


def test_wrong_passwords_and_lockout_leave_no_password(
    watch: tuple[LogCapture, pytest.LogCaptureFixture], client: Client, person: User
) -> None:
    for _attempt in range(5):
        post_login(client, "zhou", WRONG_PASSWORD)
    post_login(client, "zhou", REAL_PASSWORD)  # refused: locked

    assert User.objects.get(pk=person.pk).is_locked
    assert AuditEntry.objects.filter(action="accounts.login.failed").count() == 5
    assert_nowhere(WRONG_PASSWORD, watch)
    assert_nowhere(REAL_PASSWORD, watch)


def test_unknown_username_leaves_no_password(
    watch: tuple[LogCapture, pytest.LogCaptureFixture], client: Client, person: User
) -> None:
    post_login(client, "nobody", WRONG_PASSWORD)

    assert AuditEntry.objects.filter(actor_label="nobody").exists()
    assert_nowhere(WRONG_PASSWORD, watch)


def test_id_number_typed_as_username_leaves_no_id_number(
    watch: tuple[LogCapture, pytest.LogCaptureFixture], client: Client, person: User
) -> None:
    post_login(client, ID_NUMBER, WRONG_PASSWORD)

    assert AuditEntry.objects.filter(action="accounts.login.failed").exists()
    captured, _caplog = watch
    # The raw SQL of the lookup carries what was typed; the written log lines must not.
    assert ID_NUMBER not in "\n".join(captured.formatted)
    assert ID_NUMBER not in audit_text()
    assert_nowhere(WRONG_PASSWORD, watch)


def test_successful_login_leaves_no_password(
    watch: tuple[LogCapture, pytest.LogCaptureFixture], client: Client, person: User
) -> None:
    post_login(client, "zhou", REAL_PASSWORD)

    assert is_logged_in(client)
    assert_nowhere(REAL_PASSWORD, watch)


def test_one_time_codes_leave_no_trace(
    watch: tuple[LogCapture, pytest.LogCaptureFixture], client: Client, person: User
) -> None:
    device = factories.totp_device(person)
    wrong, right = wrong_code_for(device), code_for(device)
    post_login(client, "zhou", REAL_PASSWORD)

    client.post(VERIFY_URL, {"token": wrong})
    client.post(VERIFY_URL, {"token": right})

    assert is_logged_in(client)
    assert AuditEntry.objects.filter(action="accounts.two_factor.failed").exists()
    assert_nowhere(wrong, watch)
    assert_nowhere(right, watch)
    assert_nowhere(REAL_PASSWORD, watch)


def test_enrolment_codes_leave_no_trace(
    watch: tuple[LogCapture, pytest.LogCaptureFixture], client: Client, cast: Cast
) -> None:
    post_login(client, "leader", factories.PASSWORD)
    client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=cast.leader, confirmed=False)
    wrong, right = wrong_code_for(device), code_for(device)

    client.post(SETUP_URL, {"token": wrong})
    client.post(SETUP_URL, {"token": right})

    assert is_logged_in(client)
    assert_nowhere(wrong, watch)
    assert_nowhere(right, watch)


def test_password_change_and_reset_leave_no_password(
    watch: tuple[LogCapture, pytest.LogCaptureFixture], client: Client, cast: Cast, person: User
) -> None:
    login_as(client, person)
    client.post(
        PASSWORD_URL,
        {"old_password": WRONG_PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    client.post(
        PASSWORD_URL,
        {
            "old_password": REAL_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    admin = Client()
    login_as(admin, cast.admin)
    response = admin.post(
        f"/admin/accounts/user/{person.pk}/reset-password/", {"new_password": TEMPORARY}
    )

    assert response.status_code == 302

    assert User.objects.get(pk=person.pk).check_password(TEMPORARY)
    for secret in (WRONG_PASSWORD, REAL_PASSWORD, NEW_PASSWORD, TEMPORARY):
        assert_nowhere(secret, watch)


def test_the_capture_sees_what_is_logged(
    watch: tuple[LogCapture, pytest.LogCaptureFixture], person: User
) -> None:
    """The search above is meaningful: a value that is logged is found, in SQL as well."""
    logging.getLogger("xinkan.probe").warning("probe %s", "visible-marker")
    User.objects.filter(username="sql-marker").exists()

    captured, _caplog = watch
    assert "visible-marker" in "\n".join(captured.formatted)
    assert "sql-marker" in "\n".join(captured.raw)
