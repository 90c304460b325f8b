from __future__ import annotations

from celery import shared_task

from xinkan.metrics.aggregation import refresh


@shared_task(name="xinkan.metrics.tasks.refresh_metrics")
def refresh_metrics() -> str:
    """Fold the matters' new history into the performance aggregates (idempotent)."""
    return str(refresh())
