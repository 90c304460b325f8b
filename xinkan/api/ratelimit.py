"""Rate limits of the API: per token (or logged-in person) and per client address, counted with
the project's limiter (core.ratelimit, Redis in production). Over the limit: 429 with Retry-After.

Settings XINKAN_API_RATE_CALLER and XINKAN_API_RATE_ADDRESS: (requests, window in seconds)."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from xinkan.api.auth import owner_key
from xinkan.core import context
from xinkan.core.ratelimit import allow


def _retry_after(window: int) -> int:
    return max(1, window - int(time.time()) % window)


class _Throttle(BaseThrottle):
    scope = ""

    def limit(self) -> tuple[int, int]:
        raise NotImplementedError

    def identity(self, request: HttpRequest) -> str:
        raise NotImplementedError

    def allow_request(self, request: HttpRequest) -> bool:
        limit, window = self.limit()
        self._window = window
        return allow(self.scope, self.identity(request), limit=limit, window=window)

    def wait(self) -> float | None:
        return _retry_after(getattr(self, "_window", 60))


class CallerThrottle(_Throttle):
    scope = "api-caller"

    def limit(self) -> tuple[int, int]:
        return getattr(settings, "XINKAN_API_RATE_CALLER", (600, 60))

    def identity(self, request: HttpRequest) -> str:
        return owner_key(request)


class AddressThrottle(_Throttle):
    scope = "api-address"

    def limit(self) -> tuple[int, int]:
        return getattr(settings, "XINKAN_API_RATE_ADDRESS", (1200, 60))

    def identity(self, request: HttpRequest) -> str:
        return context.current().client_ip or "unknown"


THROTTLES: list[BaseThrottle] = [AddressThrottle(), CallerThrottle()]
