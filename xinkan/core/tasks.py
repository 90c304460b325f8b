from __future__ import annotations

from celery import shared_task

from xinkan.core.sweeps import run_all


@shared_task(name="xinkan.core.tasks.sweep_deadlines")
def sweep_deadlines() -> dict[str, str]:
    return run_all()
