"""The outbox: turns the matters' history into deliveries, one per subscription and event.

Every transition and every overdue mark of a matter is a `MatterEvent` row written in the same
transaction as the change, so the history is the source: nothing a worker does (or fails to do)
can lose an event. The periodic job reads the rows past its watermark and makes a `Delivery` for
each active subscription that asked for that event type, was made before the event, and whose
token may read the matter now (`matters.selectors.visible_q` with the token's scope). The
(subscription, event id) pair is unique, so reading an event again makes nothing new.

The watermark moves only past events older than `XINKAN_WEBHOOK_LAG_SECONDS` (default 300), as the
metrics job does: an event with a lower id may still be in an uncommitted transaction; younger
events are handled at once (deliveries stay prompt) and read again on the next run.

Concurrency: a run holds the cursor row's lock (SELECT … FOR UPDATE SKIP LOCKED; a run that finds
it taken skips its turn). On SQLite, writers are serialised by the database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xinkan.api.tokens import token_scope
from xinkan.matters.models import Matter, MatterEvent
from xinkan.matters.selectors import visible_q
from xinkan.org.roles import Perm
from xinkan.webhooks import payload
from xinkan.webhooks.models import Delivery, DeliveryState, OutboxCursor, Subscription

CURSOR_NAME = "matter-events"
DEFAULT_LAG_SECONDS = 300
BATCH = 500


def lag() -> dt.timedelta:
    return dt.timedelta(
        seconds=int(getattr(settings, "XINKAN_WEBHOOK_LAG_SECONDS", DEFAULT_LAG_SECONDS))
    )


@dataclass
class OutboxReport:
    events: int = 0
    deliveries: int = 0
    watermark: int = 0
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "skipped: another run holds the lock"
        return (
            f"{self.events} events read, {self.deliveries} deliveries, watermark {self.watermark}"
        )


def _claim_cursor() -> OutboxCursor | None:
    OutboxCursor.objects.get_or_create(name=CURSOR_NAME)
    return OutboxCursor.objects.filter(name=CURSOR_NAME).select_for_update(skip_locked=True).first()


def _live_subscriptions() -> list[Subscription]:
    return list(
        Subscription.objects.filter(
            is_active=True, token__revoked_at__isnull=True, token__user__is_active=True
        ).select_related("token__unit", "token__department__unit")
    )


def _visible(subscriptions: list[Subscription], matter_ids: set[int]) -> dict[int, set[int]]:
    """Per token: which of these matters it may read (one query per token)."""
    by_token: dict[int, set[int]] = {}
    for subscription in subscriptions:
        token = subscription.token
        if token.pk in by_token:
            continue
        query = visible_q(token_scope(token), Perm.MATTERS_VIEW)
        by_token[token.pk] = set(
            Matter.objects.filter(pk__in=sorted(matter_ids))
            .filter(query)
            .values_list("pk", flat=True)
        )
    return by_token


def _deliveries(events: list[dict[str, Any]], subscriptions: list[Subscription]) -> list[Delivery]:
    typed = [
        (event, kind)
        for event in events
        if (kind := payload.event_type_of(event["action"], event["from_state"], event["to_state"]))
    ]
    if not typed or not subscriptions:
        return []
    done: defaultdict[int, set[int]] = defaultdict(set)
    for subscription_id, source_id in Delivery.objects.filter(
        source_event_id__in=[event["pk"] for event, _kind in typed]
    ).values_list("subscription_id", "source_event_id"):
        done[source_id].add(subscription_id)
    matter_ids = {event["matter_id"] for event, _kind in typed}
    visible = _visible(subscriptions, matter_ids)
    summaries: dict[int, dict[str, Any]] | None = None
    now = timezone.now()
    rows: list[Delivery] = []
    for event, kind in typed:
        for subscription in subscriptions:
            if (
                kind not in subscription.event_types
                or event["at"] < subscription.created_at
                or event["matter_id"] not in visible[subscription.token_id]
                or subscription.pk in done[event["pk"]]
            ):
                continue
            if summaries is None:
                summaries = payload.matter_summaries(matter_ids)
            body = payload.build(event_type=kind, event=event, matter=summaries[event["matter_id"]])
            rows.append(
                Delivery(
                    subscription=subscription,
                    event_id=payload.event_id(event["pk"]),
                    event_type=kind,
                    source_event_id=event["pk"],
                    matter_id=event["matter_id"],
                    occurred_at=event["at"],
                    payload=body,
                    state=DeliveryState.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return rows


def _read(*, after: int, batch: int) -> list[dict[str, Any]]:
    rows: Any = (
        MatterEvent.objects.filter(pk__gt=after)
        .order_by("pk")
        .values("pk", "matter_id", "at", "action", "from_state", "to_state", "data")[:batch]
    )
    return list(rows)


def collect(
    *, batch: int = BATCH, max_batches: int = 100, now: dt.datetime | None = None
) -> OutboxReport:
    """Read the matter events past the watermark, `batch` at a time, each batch in its own
    transaction. Idempotent; returns at once when another run holds the lock."""
    cutoff = (now or timezone.now()) - lag()
    report = OutboxReport()
    cursor = 0
    safe = True  # no event too young to pass the watermark seen yet
    for _ in range(max_batches):
        with transaction.atomic():
            progress = _claim_cursor()
            if progress is None:
                report.skipped = report.events == 0
                break
            mark = progress.last_event_id
            cursor = max(cursor, mark)
            events = _read(after=cursor, batch=batch)
            if not events:
                report.watermark = mark
                break
            rows = _deliveries(events, _live_subscriptions())
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            report.events += len(events)
            report.deliveries += len(rows)
            for event in events:
                if safe and event["at"] <= cutoff:
                    mark = event["pk"]
                else:
                    safe = False
            cursor = events[-1]["pk"]
            OutboxCursor.objects.filter(pk=progress.pk).update(
                last_event_id=mark, updated_at=timezone.now()
            )
            report.watermark = mark
        if len(events) < batch:
            break
    return report
