"""Health checks: `/healthz` for load balancers (the process and the database answer),
`/healthz/full` for monitoring (also the broker, the workers' heartbeats and the sweep's lag)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from xinkan.core import health


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    check = health.database()
    status = 200 if check.ok else 503
    return JsonResponse(
        {"status": "ok" if check.ok else "failing", "database": check.detail}, status=status
    )


@never_cache
def healthz_full(request: HttpRequest) -> JsonResponse:
    checks = health.full()
    ok = all(check.ok for check in checks)
    return JsonResponse(
        {
            "status": "ok" if ok else "failing",
            "checks": {check.name: check.as_dict() for check in checks},
        },
        status=200 if ok else 503,
    )
