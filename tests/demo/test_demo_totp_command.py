"""manage.py demo_totp: the current second-factor code of a demo account, in demo deployments only."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings

from xinkan.demo import steps

NOW = dt.datetime(2026, 11, 29, 9, 30, 12, tzinfo=dt.UTC)


def rfc6238(key_hex: str, at: dt.datetime) -> str:
    """The TOTP code (RFC 6238: SHA-1, 30 s, 6 digits), computed independently of django-otp."""
    counter = int(at.timestamp()) // 30
    digest = hmac.new(bytes.fromhex(key_hex), counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


@pytest.fixture
def demo_accounts(db):
    ctx = steps.DemoContext(out=io.StringIO())
    steps.seed_units(ctx)
    steps.seed_accounts(ctx)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo_totp", *args, stdout=out)
    return out.getvalue().strip()


@override_settings(XINKAN_DEMO=True)
@pytest.mark.parametrize("username", sorted(steps.DEMO_TOTP_KEYS))
def test_it_prints_the_current_code_of_a_demo_account(demo_accounts, username):
    with time_machine.travel(NOW, tick=False):
        assert run(username) == rfc6238(steps.DEMO_TOTP_KEYS[username], NOW)


@override_settings(XINKAN_DEMO=False)
def test_it_refuses_outside_a_demo_deployment(demo_accounts):
    with pytest.raises(CommandError, match="XINKAN_DEMO"):
        run("admin")


@override_settings(XINKAN_DEMO=True)
@pytest.mark.parametrize("username", ["grid", "nobody"])
def test_it_refuses_accounts_without_an_authenticator(demo_accounts, username):
    with pytest.raises(CommandError, match="No confirmed authenticator"):
        run(username)
