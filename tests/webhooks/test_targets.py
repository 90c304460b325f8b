"""Which URLs webhooks may go to: http(s) with a host and no credentials; outside DEBUG and tests,
nothing that is or resolves to this server's own network (loopback, link-local, …), checked again
before each attempt. Private intranet addresses stay allowed."""

from __future__ import annotations

import socket

import pytest

from xinkan.webhooks import targets


@pytest.fixture
def production(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_WEBHOOK_ALLOW_INTERNAL = False
    return settings


def resolving_to(monkeypatch, address: str) -> None:  # type: ignore[no-untyped-def]
    def fake(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.org/x",
        "file:///etc/passwd",
        "hooks.example.org/x",
        "https://",
        "https://a:b@hooks.example.org/",
        "https://hooks.example.org:0/",
        "https://hooks.example.org:99999/",
        "https://hooks.example.org/a b",
        "https://hooks.example.org/a\nb",
        "https://hooks.example.org/" + "x" * 500,
    ],
)
def test_malformed_or_non_http_urls_are_refused(url):
    with pytest.raises(targets.TargetRefused):
        targets.check_url(url)


def test_a_plain_https_url_is_kept_as_given():
    assert targets.check_url(" https://hooks.example.org/xinkan?k=1 ") == (
        "https://hooks.example.org/xinkan?k=1"
    )


INSIDE = ["127.0.0.1", "::1", "169.254.169.254", "0.0.0.0", "224.0.0.1", "::ffff:127.0.0.1"]  # noqa: S104


@pytest.mark.parametrize("address", INSIDE)
def test_in_production_a_host_resolving_inside_is_refused(production, monkeypatch, address):
    resolving_to(monkeypatch, address)
    with pytest.raises(targets.TargetRefused):
        targets.check_url("https://hooks.example.org/x")


@pytest.mark.parametrize("address", ["10.12.0.8", "192.168.3.4", "203.0.113.9"])
def test_in_production_intranet_and_public_addresses_are_allowed(production, monkeypatch, address):
    resolving_to(monkeypatch, address)
    assert targets.check_url("http://hooks.example.org/x") == "http://hooks.example.org/x"


def test_in_production_an_unresolvable_host_is_refused(production, monkeypatch):
    def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise socket.gaierror("no such host")

    monkeypatch.setattr(targets.socket, "getaddrinfo", fail)
    with pytest.raises(targets.TargetRefused):
        targets.check_url("https://nowhere.example.org/")


def test_localhost_is_refused_without_asking_dns(production, monkeypatch):
    monkeypatch.setattr(targets.socket, "getaddrinfo", None)
    with pytest.raises(targets.TargetRefused):
        targets.check_url("http://localhost:8000/")
    with pytest.raises(targets.TargetRefused):
        targets.check_url("http://api.localhost/")


def test_an_attempt_to_a_host_that_now_resolves_inside_is_logged_not_sent(production, monkeypatch):
    from xinkan.webhooks import delivery

    resolving_to(monkeypatch, "127.0.0.1")
    outcome = delivery.post("https://hooks.example.org/x", b"{}", {})
    assert outcome.status_code is None
    assert outcome.error
