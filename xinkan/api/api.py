"""The REST API (Django Ninja): one NinjaAPI, its auth, rate limits, error shape and routers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from xinkan.api import errors
from xinkan.api.auth import AUTH
from xinkan.api.ratelimit import THROTTLES
from xinkan.api.routers import disputes, matters, metrics, org, residents, square

DESCRIPTION = """
The Xinkan REST API. Systems authenticate with `Authorization: Bearer <token>` (a token issued
for a unit or department, see docs/api.md); staff pages' own scripts use the session (with the
CSRF token on unsafe methods). Every error has one shape:
`{"error": {"code": "...", "message": "...", "fields": {...}}}`; messages follow
`Accept-Language` (zh-hans by default, en). Creating POSTs take an `Idempotency-Key` header;
actions on a matter need its `version` (or `If-Match`), a stale one gets 409.
"""

api = NinjaAPI(
    title="Xinkan API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=AUTH,
    throttle=THROTTLES,
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("", matters.router)
api.add_router("", org.router)
api.add_router("", residents.router)
api.add_router("", disputes.router)
api.add_router("", metrics.router)
api.add_router("", square.router)
api.add_router("", "xinkan.api.routers.webhooks.router")


def _json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a wrong method with a bare 405; give it the API's error body."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            return errors.method_not_allowed(response.get("Allow", ""))
        return response

    return wrapper


def urlpatterns() -> list[URLPattern | URLResolver]:
    patterns, _app_name, _namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _json_405(pattern.callback)
        wrapped.append(pattern)
    wrapped.append(path("<path:rest>", errors.not_found_view, name="not-found"))
    return wrapped
