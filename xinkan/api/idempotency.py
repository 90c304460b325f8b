"""`Idempotency-Key` on creating requests: a retry with the same key and the same body returns
the first response and creates nothing; the same key with another body is refused (422).

Two copies racing are settled twice over: the service's own key (a matter's unique
`idempotency_key`, derived here) and the unique (owner, key) row of the stored response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from xinkan.api.auth import owner_key
from xinkan.api.errors import ApiError
from xinkan.api.models import IdempotentResponse

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 64


def request_key(request: HttpRequest) -> str:
    key = request.headers.get(HEADER, "").strip()
    if len(key) > MAX_KEY_LENGTH or (key and not key.isprintable()):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            _("The Idempotency-Key must be 1 to 64 printable characters."),
        )
    return key


def service_key(request: HttpRequest, key: str) -> str:
    """The key handed to a service (e.g. `Intake.idempotency_key`, 64 characters at most):
    unique per caller, so two systems' keys never collide."""
    digest = hashlib.sha256(f"{owner_key(request)}\n{key}".encode()).hexdigest()
    return f"api:{digest[:56]}"


def _body_hash(request: HttpRequest, payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _replay(record: IdempotentResponse) -> HttpResponse:
    response = JsonResponse(
        record.body, status=record.status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    response["Idempotent-Replayed"] = "true"
    return response


def run(
    request: HttpRequest, payload: Any, create: Callable[[str], tuple[int, Any]]
) -> HttpResponse:
    """Call `create(service_key_or_empty)` once per key; it returns (status, JSON body). Only
    successful responses are kept: a refused request wrote nothing and may be retried."""
    key = request_key(request)
    if not key:
        status, body = create("")
        return JsonResponse(
            body, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
        )
    owner = owner_key(request)
    fingerprint = _body_hash(request, payload)
    found = IdempotentResponse.objects.filter(owner=owner, key=key).first()
    if found is not None:
        if found.request_hash != fingerprint:
            raise ApiError(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was already used for a different request."),
            )
        return _replay(found)
    status, body = create(service_key(request, key))
    if 200 <= status < 300:
        try:
            with transaction.atomic():
                IdempotentResponse.objects.create(
                    owner=owner,
                    key=key,
                    method=request.method or "",
                    path=request.path[:200],
                    request_hash=fingerprint,
                    status=status,
                    body=body,
                )
        except IntegrityError:
            found = IdempotentResponse.objects.filter(owner=owner, key=key).first()
            if found is not None and found.request_hash == fingerprint:
                return _replay(found)
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
