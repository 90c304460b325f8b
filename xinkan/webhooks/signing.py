"""Signing webhook bodies, and the check a receiver makes (docs/api.md shows it in Python).

The signature is HMAC-SHA256 under the subscription's secret over "<timestamp>.<body>", sent as
`X-Xinkan-Signature: sha256=<hex>` with `X-Xinkan-Timestamp: <unix seconds>`: the timestamp is
signed too, so a receiver that also refuses old timestamps cannot be sent a recorded request
again later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format tag, not a secret)
SCHEME = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return SCHEME + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def headers(*, secret: str, event_type: str, event_id: str, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Xinkan-Webhooks/1",
        "X-Xinkan-Event": event_type,
        "X-Xinkan-Delivery": event_id,
        "X-Xinkan-Timestamp": str(timestamp),
        "X-Xinkan-Signature": signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature_header: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    if not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), signature_header)
