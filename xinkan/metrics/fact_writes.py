"""Adding deltas to a table of summed facts (the daily, monthly and subtree tables alike)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

KEY_CHUNK = 200


def add_to_facts(
    model: type[models.Model], fields: tuple[str, ...], deltas: dict[Any, int]
) -> None:
    """Add each delta to its fact row: update the rows there are, create the others, drop the rows
    that come to zero. Safe because the caller holds the metrics lock (no other writer of facts)."""
    pending = {key: delta for key, delta in deltas.items() if delta}
    keys = list(pending)
    to_update: list[Any] = []
    to_delete: list[int] = []
    manager = model._default_manager
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        match = Q(pk__in=[])
        for key in chunk:
            match |= Q(**dict(zip(fields, key, strict=True)))
        for row in manager.filter(match):
            key = tuple(getattr(row, name) for name in fields)
            delta = pending.pop(key, 0)
            row.value += delta  # type: ignore[attr-defined]
            if row.value == 0:  # type: ignore[attr-defined]
                to_delete.append(row.pk)
            else:
                to_update.append(row)
    if to_update:
        manager.bulk_update(to_update, ["value"], batch_size=500)
    if to_delete:
        manager.filter(pk__in=to_delete).delete()
    manager.bulk_create(
        [
            model(**dict(zip(fields, key, strict=True)), value=delta)
            for key, delta in pending.items()
            if delta
        ],
        batch_size=2000,
    )
