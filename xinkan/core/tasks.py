from __future__ import annotations

from celery import Task, shared_task

from xinkan.core.sweeps import run_all


@shared_task(name="xinkan.core.tasks.sweep_deadlines")
def sweep_deadlines() -> dict[str, str]:
    return run_all()


@shared_task(name="xinkan.core.tasks.heartbeat", bind=True, ignore_result=True)
def heartbeat(self: Task) -> None:
    """Scheduled every minute: the worker that runs it shows it is alive (the health check)."""
    from xinkan.core import health

    hostname = getattr(self.request, "hostname", None) or health.worker_name()
    health.beat(f"{health.WORKER_PREFIX}{hostname}")
