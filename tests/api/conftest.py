from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from xinkan.api import tokens
from xinkan.org.roles import ROLE_PERMISSIONS, Role


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def issue(
    cast: Any,
    *,
    role: str = Role.COMMUNITY_WORKER,
    unit: Any = None,
    department: Any = None,
    perms: list[str] | None = None,
    name: str = "12345热线",
) -> tokens.IssuedToken:
    if unit is None and department is None:
        unit = cast.community
    chosen = perms if perms is not None else sorted(tokens.allowed_perms(role))
    assert set(chosen) <= ROLE_PERMISSIONS[role]
    return tokens.create_token(
        name=name, role=role, perms=chosen, unit=unit, department=department, by=cast.admin
    )


def bearer(secret: str, **extra: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en", **extra}


@pytest.fixture
def api_client() -> Client:
    return Client()
