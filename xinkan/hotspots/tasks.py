from __future__ import annotations

from celery import shared_task

from xinkan.hotspots.services import refresh


@shared_task(name="xinkan.hotspots.tasks.refresh_hotspots")
def refresh_hotspots() -> str:
    """Detect the hot spots anew and store them in place of the last result (idempotent)."""
    return str(refresh())
