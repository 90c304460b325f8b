"""RequestContextMiddleware: a request id on every response and audit entry, the client address."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from tests.accounts.flows import audit_since, last_audit_id, post_login
from tests.conftest import Cast
from tests.factories import PASSWORD
from xinkan.core import context

GENERATED = re.compile(r"^[0-9a-f]{32}$")


def test_every_response_gets_a_request_id(client: Client, db: None) -> None:
    first = client.get("/accounts/login/")
    second = client.get("/accounts/login/")

    assert GENERATED.match(first["X-Request-ID"])
    assert GENERATED.match(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize("path", ["/no-such-page/", "/", "/healthz"])
def test_redirects_errors_and_health_checks_carry_it_too(
    client: Client, db: None, path: str
) -> None:
    assert GENERATED.match(client.get(path)["X-Request-ID"])


@pytest.mark.parametrize(
    "incoming", ["abcd1234", "proxy-7f3a.2026_03_01", "A" * 64, "0123456789abcdef0123456789abcdef"]
)
def test_a_well_formed_incoming_id_is_reused(client: Client, db: None, incoming: str) -> None:
    response = client.get("/accounts/login/", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "short",
        "A" * 65,
        "has space 123",
        "<script>alert(1)</script>",
        "id\r\nX-Evil: 1",
        "编号12345678",
    ],
)
def test_a_malformed_incoming_id_is_replaced(client: Client, db: None, incoming: str) -> None:
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert GENERATED.match(response["X-Request-ID"])


def test_audit_entries_carry_the_request_id_and_client_address(client: Client, cast: Cast) -> None:
    start = last_audit_id()

    response = post_login(
        client,
        "grid",
        "Wrong#Pass2026",
        headers={"X-Request-ID": "req-login-0001"},
        REMOTE_ADDR="10.20.30.40",
    )
    post_login(client, "grid", PASSWORD, REMOTE_ADDR="10.20.30.41")

    failed, succeeded = audit_since(start)
    assert response["X-Request-ID"] == "req-login-0001"
    assert (failed.action, failed.request_id, failed.client_ip) == (
        "accounts.login.failed",
        "req-login-0001",
        "10.20.30.40",
    )
    assert succeeded.action == "accounts.login.succeeded"
    assert GENERATED.match(succeeded.request_id)
    assert succeeded.client_ip == "10.20.30.41"


def test_forwarded_address_is_believed_from_a_trusted_proxy(
    client: Client, cast: Cast, settings: Settings
) -> None:
    settings.XINKAN_TRUSTED_PROXIES = ["10.0.0.1"]
    start = last_audit_id()

    post_login(
        client,
        "grid",
        "Wrong#Pass2026",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7",
    )

    (entry,) = audit_since(start)
    assert entry.client_ip == "198.51.100.7"  # the address the trusted proxy itself saw


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("192.0.2.50", "203.0.113.9", "192.0.2.50"),  # not a trusted proxy: header ignored
        ("10.0.0.1", "not-an-address", "10.0.0.1"),  # trusted, but nonsense in the header
        ("10.0.0.1", "", "10.0.0.1"),
    ],
)
def test_forwarded_address_is_ignored_otherwise(
    client: Client,
    cast: Cast,
    settings: Settings,
    remote: str,
    forwarded: str,
    expected: str,
) -> None:
    settings.XINKAN_TRUSTED_PROXIES = ["10.0.0.1"]
    start = last_audit_id()

    post_login(client, "grid", "Wrong#Pass2026", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    (entry,) = audit_since(start)
    assert entry.client_ip == expected


def test_context_is_cleared_after_the_request(client: Client, db: None) -> None:
    client.get("/accounts/login/", headers={"X-Request-ID": "req-cleared-1"})

    assert context.current() == context.RequestContext()
