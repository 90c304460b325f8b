"""Writing and verifying the audit log. Every domain service calls `record` inside its transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from xinkan.audit.models import AuditEntry, Outcome
from xinkan.core import bulk, context

GENESIS_HASH = "0" * 64
# Any fixed number: the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 0x58494E4B  # "XINK"


def jsonable(value: Any) -> Any:
    """A JSON value that survives a database round trip unchanged (so the hash stays stable)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time | decimal.Decimal | uuid.UUID | float):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Current values of `fields` (foreign keys by id) for a before/after comparison."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = jsonable(getattr(obj, attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _format_at(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(entry: AuditEntry) -> str:
    payload = {
        "at": _format_at(entry.at),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "unit": entry.unit_id,
        "outcome": entry.outcome,
        "changes": entry.changes,
        "data": entry.data,
        "request_id": entry.request_id,
        "client_ip": entry.client_ip,
        "prev": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    """Serialise appends until the surrounding transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite: the connection opens transactions with
    BEGIN IMMEDIATE (settings), which already holds the database's single write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _object_facts(obj: models.Model | None) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}", str(obj.pk), str(obj)[:200]


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    unit: Any = None,
    outcome: str = Outcome.SUCCESS,
    changes: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction (or its own).

    Call it as the last write of a service function: the chain lock is then held only from here to
    the commit.
    """
    ctx = context.current()
    object_type, object_id, object_repr = _object_facts(obj)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    label = actor_label or (actor.get_username() if is_user else "system")
    with transaction.atomic():
        _lock_chain()
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        entry = AuditEntry(
            at=timezone.now(),
            actor=actor if is_user else None,
            actor_label=label[:150],
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr,
            unit=unit,
            outcome=outcome,
            changes=jsonable(dict(changes or {})),
            data=jsonable(dict(data or {})),
            request_id=ctx.request_id,
            client_ip=ctx.client_ip,
            prev_hash=last or GENESIS_HASH,
        )
        entry.hash = compute_hash(entry)
        entry.save(force_insert=True)
    return entry


def record_failure(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    unit: Any = None,
    data: Mapping[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """A refused or failed attempt, kept even though the action itself wrote nothing."""
    return record(
        actor=actor,
        action=action,
        obj=obj,
        unit=unit,
        outcome=Outcome.FAILURE,
        data=data,
        actor_label=actor_label,
    )


def pending(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    unit_id: int | None,
    data: Mapping[str, Any],
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """An entry for `record_many`: not yet chained (no hashes) nor saved. For batches whose
    objects are not loaded as models (an import's thousands of rows), hence the object's facts."""
    ctx = context.current()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry(
        actor=actor if is_user else None,
        actor_label=(actor.get_username() if is_user else "system")[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        unit_id=unit_id,
        outcome=Outcome.SUCCESS,
        changes=jsonable(dict(changes or {})),
        data=jsonable(dict(data)),
        request_id=ctx.request_id,
        client_ip=ctx.client_ip,
    )


def record_many(entries: list[AuditEntry]) -> None:
    """Append `entries` in order: one chain lock, one read of the head, one bulk insert (COPY on
    PostgreSQL), in the caller's transaction (or its own). Hashed exactly as `record` hashes, so
    `verify_chain` accepts them like any other."""
    if not entries:
        return
    with transaction.atomic():
        _lock_chain()
        previous = (
            AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
            or GENESIS_HASH
        )
        now = timezone.now()
        for item in entries:
            item.at = now
            item.prev_hash = previous
            item.hash = compute_hash(item)
            previous = item.hash
        bulk.insert(AuditEntry, entries)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_hash: str
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(chunk_size: int = 5000) -> ChainReport:
    """Recompute every entry's hash in order; report the first broken link."""
    previous = GENESIS_HASH
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=chunk_size):
        if entry.prev_hash != previous:
            return ChainReport(
                checked, previous, entry.pk, "previous-hash link does not match the entry before"
            )
        if compute_hash(entry) != entry.hash:
            return ChainReport(checked, previous, entry.pk, "content does not match its hash")
        previous = entry.hash
        checked += 1
    return ChainReport(checked, previous)
