"""Fixed-window rate limits in the cache (Redis in production): against abuse of public forms."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def _key(scope: str, identity: str, window: int) -> str:
    bucket = int(time.time() // window)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]  # no addresses in cache keys
    return f"rl:{scope}:{digest}:{bucket}"


def allow(scope: str, identity: str, *, limit: int, window: int) -> bool:
    """Count one attempt; False once `limit` attempts were made in the current window."""
    key = _key(scope, identity, window)
    if cache.add(key, 1, timeout=window + 5):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        return True
    return count <= limit
