"""Security headers on every response: a strict content security policy, no framing, no sniffing."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Cast, login_as


@pytest.fixture
def logged_in(client: Client, cast: Cast) -> Client:
    return login_as(client, cast.admin)


PATHS = ["/accounts/login/", "/", "/no-such-page/", "/healthz", "/audit/", "/admin/"]


@pytest.mark.parametrize("path", PATHS)
def test_content_security_policy_allows_only_the_sites_own_resources(
    logged_in: Client, path: str
) -> None:
    policy = logged_in.get(path)["Content-Security-Policy"]

    directives = {}
    for part in policy.split(";"):
        name, _space, value = part.strip().partition(" ")
        directives[name] = value
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline scripts, no CDN
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "http" not in policy  # nothing from other hosts


@pytest.mark.parametrize("path", PATHS)
def test_framing_and_sniffing_are_refused(logged_in: Client, path: str) -> None:
    response = logged_in.get(path)

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_anonymous_pages_have_the_headers_too(client: Client, db: None) -> None:
    response = client.get("/accounts/login/")

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
