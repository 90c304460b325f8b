"""SECRET_KEY: required to serve and for every command that may sign or write data; offline
commands (migration and translation checks) run without one, with a random key of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNSET = {"SECRET_KEY", "XINKAN_DEBUG", "XINKAN_TESTING", "DATABASE_URL"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """This interpreter with `args`, in a bare environment: no key, no debug, no test mode."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env["DJANGO_SETTINGS_MODULE"] = "xinkan.settings"
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_checking_migrations_needs_no_secret_key():
    result = run("manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.parametrize("command", [["migrate", "--check"], ["verify_audit"], ["runserver"]])
def test_other_commands_refuse_to_start_without_one(command):
    result = run("manage.py", *command)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_offline_key_is_random_each_time():
    script = (
        "import sys; sys.argv = ['manage.py', 'check']; "
        "import django.conf; print(django.conf.settings.SECRET_KEY)"
    )
    keys = {run("-c", script).stdout.strip() for _ in range(2)}
    assert len(keys) == 2 and all(len(key) > 40 for key in keys)
    assert "insecure-development-key-do-not-use-in-production" not in keys
