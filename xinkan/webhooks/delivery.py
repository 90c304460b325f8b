"""Sending deliveries: take the due ones, POST each signed body, log the attempt, and schedule the
next try with exponential backoff until it is delivered or has failed `MAX_ATTEMPTS` times.

Two workers never send the same delivery at once: a worker claims a batch in one short transaction
(SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers), moving each row's
`next_attempt_at` a lease ahead and stamping its own `claim`; it sends outside any transaction and
writes the result only while the claim is still its own. A worker that dies mid-send leaves the row
to be taken again when the lease runs out — so a receiver may see an event twice, never lose it,
and drops the second copy by its id (`X-Xinkan-Delivery`).
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xinkan.webhooks import signing, targets
from xinkan.webhooks.models import Delivery, DeliveryAttempt, DeliveryState

log = logging.getLogger(__name__)

# The wait after the n-th failed attempt; after the last one the delivery has failed.
BACKOFF = (
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
    dt.timedelta(hours=6),
    dt.timedelta(hours=12),
    dt.timedelta(hours=24),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_SECONDS = 5
# Longer than any one attempt can take: a claim older than this belongs to a dead worker.
LEASE = dt.timedelta(minutes=2)
BATCH = 50
EXCERPT_CHARS = 1000


@dataclass
class Outcome:
    status_code: int | None = None
    duration_ms: int = 0
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class SendReport:
    attempted: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0

    def __str__(self) -> str:
        return (
            f"{self.attempted} attempts: {self.delivered} delivered, {self.retrying} to retry, "
            f"{self.failed} failed, {self.cancelled} cancelled"
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: following one could lead inside."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome()
    try:
        targets.check_address(url)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http/https only: targets.check_url)
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            outcome.status_code = response.status
            outcome.excerpt = _text(response.read(EXCERPT_CHARS * 4))
    except urllib.error.HTTPError as exc:
        outcome.status_code = exc.code
        try:
            outcome.excerpt = _text(exc.read(EXCERPT_CHARS * 4))
        except (OSError, http.client.HTTPException):
            pass
        finally:
            exc.close()
    except targets.TargetRefused as exc:
        outcome.error = str(exc)[:300]
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        kind = type(reason if isinstance(reason, BaseException) else exc).__name__
        outcome.error = f"{kind}: {reason}"[:300]
    outcome.duration_ms = int((time.perf_counter() - started) * 1000)
    return outcome


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")[:EXCERPT_CHARS]


def claim_due(*, batch: int = BATCH, now: dt.datetime | None = None) -> list[Delivery]:
    """Take up to `batch` due deliveries for this worker."""
    now = now or timezone.now()
    claim = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return []
        # Conditional as well as locked: a row another worker has leased meanwhile is not due.
        Delivery.objects.filter(
            pk__in=ids, state=DeliveryState.PENDING, next_attempt_at__lte=now
        ).update(
            claim=claim,
            next_attempt_at=now + LEASE,
            tries=F("tries") + 1,
            attempt_count=F("attempt_count") + 1,
        )
    return list(
        Delivery.objects.filter(claim=claim, state=DeliveryState.PENDING)
        .select_related("subscription__token__user")
        .order_by("pk")
    )


def _still_wanted(delivery: Delivery) -> bool:
    subscription = delivery.subscription
    token = subscription.token
    return subscription.is_active and token.is_active and token.user.is_active


def _finish(delivery: Delivery, outcome: Outcome | None) -> str:
    """Log the attempt and move the delivery on — only while the claim is still ours (the
    subscription may have ended meanwhile, or a lease run out); returns the state it is in."""
    now = timezone.now()
    mine = Delivery.objects.filter(
        pk=delivery.pk, claim=delivery.claim, state=DeliveryState.PENDING
    )
    with transaction.atomic():
        if outcome is None:
            state: str = DeliveryState.CANCELLED
            changed = mine.update(state=state, next_attempt_at=None, claim="")
        else:
            DeliveryAttempt.objects.create(
                delivery=delivery,
                number=delivery.attempt_count,
                at=now,
                status_code=outcome.status_code,
                duration_ms=outcome.duration_ms,
                response_excerpt=outcome.excerpt,
                error=outcome.error,
            )
            done: dict[str, Any] = {
                "last_attempt_at": now,
                "last_status_code": outcome.status_code,
                "claim": "",
            }
            if outcome.ok:
                state = DeliveryState.DELIVERED
                changed = mine.update(state=state, delivered_at=now, next_attempt_at=None, **done)
            elif delivery.tries >= MAX_ATTEMPTS:
                state = DeliveryState.FAILED
                changed = mine.update(state=state, next_attempt_at=None, **done)
            else:
                state = DeliveryState.PENDING
                wait = BACKOFF[min(delivery.tries, len(BACKOFF)) - 1]
                changed = mine.update(next_attempt_at=now + wait, **done)
    if not changed:
        return str(Delivery.objects.filter(pk=delivery.pk).values_list("state", flat=True).get())
    if state == DeliveryState.FAILED:
        log.warning(
            "webhook delivery %s failed after %d attempts (subscription %s)",
            delivery.pk,
            delivery.tries,
            delivery.subscription_id,
        )
    return state


def attempt(delivery: Delivery) -> str:
    """One try of a claimed delivery; returns its state afterwards."""
    if not _still_wanted(delivery):
        return _finish(delivery, None)
    body = signing.encode(delivery.payload)
    headers = signing.headers(
        secret=delivery.subscription.secret,
        event_type=delivery.event_type,
        event_id=str(delivery.event_id),
        body=body,
    )
    return _finish(delivery, post(delivery.subscription.target_url, body, headers))


def send_due(
    *, batch: int = BATCH, max_batches: int = 20, now: dt.datetime | None = None
) -> SendReport:
    """Send what is due, a batch at a time, until nothing is due or `max_batches` were sent."""
    report = SendReport()
    for _ in range(max_batches):
        claimed = claim_due(batch=batch, now=now)
        if not claimed:
            break
        for delivery in claimed:
            state = attempt(delivery)
            if state == DeliveryState.CANCELLED:
                report.cancelled += 1
                continue
            report.attempted += 1
            if state == DeliveryState.DELIVERED:
                report.delivered += 1
            elif state == DeliveryState.FAILED:
                report.failed += 1
            else:
                report.retrying += 1
        if len(claimed) < batch:
            break
    return report
