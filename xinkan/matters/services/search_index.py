"""Keeping the stored search words of matters in step with the word list (data/words.txt)."""

from __future__ import annotations

from django.db import transaction

from xinkan.audit import services as audit
from xinkan.matters import text
from xinkan.matters.models import Matter


def refresh_search_text(*, batch_size: int = 2000) -> int:
    """Recompute every matter's search words; return how many changed. Batches by id, each batch
    its own transaction, so a long run on millions of matters holds no lock for long."""
    changed = 0
    last = 0
    while True:
        rows = list(
            Matter.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "title", "description", "address", "search_text")[:batch_size]
        )
        if not rows:
            break
        last = rows[-1].pk
        stale = []
        for matter in rows:
            fresh = text.search_text(matter.title, matter.description, matter.address)
            if fresh != matter.search_text:
                matter.search_text = fresh
                stale.append(matter)
        if stale:
            with transaction.atomic():
                Matter.objects.bulk_update(stale, ["search_text"])
            changed += len(stale)
    audit.record(actor=None, action="matters.search_reindexed", data={"changed": changed})
    return changed
