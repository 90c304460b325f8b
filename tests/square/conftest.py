from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_limits():  # type: ignore[no-untyped-def]
    """The question form's rate limit counts in the cache: each test starts with none used."""
    cache.clear()
