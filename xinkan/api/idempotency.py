"""`Idempotency-Key` on creating requests: a retry with the same key and the same body returns
the first response and creates nothing; the same key with another body is refused (422).

The key is claimed before the work starts: a row (owner, key) with no answer yet, unique, written
in its own transaction. A copy arriving while the first is still at work finds the claim and gets
409 `idempotency_in_progress` (retry shortly); so even a service without a key of its own (a
pairing visit, a care visit) runs once per key. A refused request releases its claim and may be
retried. Services that keep a key (a matter's or a dispute's unique `idempotency_key`, derived
here) settle the same race a second time. A claim left behind by a crashed worker is taken over
after `CLAIM_TIMEOUT`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.api.auth import owner_key
from xinkan.api.errors import ApiError
from xinkan.api.models import IdempotentResponse

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 64
# The status of a claimed key whose request is still at work (no answer kept yet).
PENDING = 0
CLAIM_TIMEOUT = dt.timedelta(minutes=5)

OPENAPI_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "Send one per creating request: a retry with the same key returns the first "
    "answer and creates nothing new.",
}


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


def _claim(
    request: HttpRequest, owner: str, key: str, fingerprint: str
) -> tuple[IdempotentResponse | None, bool]:
    """(the row of this key, whether this request now holds it)."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                claim = IdempotentResponse.objects.create(
                    owner=owner,
                    key=key,
                    method=request.method or "",
                    path=request.path[:200],
                    request_hash=fingerprint,
                    status=PENDING,
                    body={},
                )
            return claim, True
        except IntegrityError:
            found = IdempotentResponse.objects.filter(owner=owner, key=key).first()
        if found is None:  # released meanwhile: claim it again
            continue
        now = timezone.now()
        abandoned = found.status == PENDING and found.created_at < now - CLAIM_TIMEOUT
        if abandoned and found.request_hash == fingerprint:
            taken = IdempotentResponse.objects.filter(
                pk=found.pk, status=PENDING, created_at=found.created_at
            ).update(created_at=now)
            return found, taken == 1
        return found, False
    return None, False


def _release(claim: IdempotentResponse) -> None:
    IdempotentResponse.objects.filter(pk=claim.pk, status=PENDING).delete()


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
    claim, held = _claim(request, owner, key, fingerprint)
    if not held:
        if claim is not None and claim.request_hash != fingerprint:
            raise ApiError(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was already used for a different request."),
            )
        if claim is None or claim.status == PENDING:
            raise ApiError(
                409,
                "idempotency_in_progress",
                _("A request with this Idempotency-Key is still being processed. Retry shortly."),
                headers={"Retry-After": "1"},
            )
        return _replay(claim)
    assert claim is not None
    try:
        status, body = create(service_key(request, key))
    except BaseException:
        _release(claim)
        raise
    if 200 <= status < 300:
        IdempotentResponse.objects.filter(pk=claim.pk).update(status=status, body=body)
    else:
        _release(claim)
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
