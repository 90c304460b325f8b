from __future__ import annotations

from celery import shared_task

from xinkan.matters.services import sweep_all


@shared_task(name="xinkan.matters.tasks.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    report = sweep_all()
    return {
        "reminded": report.reminded,
        "overdue": report.overdue,
        "supervised": report.supervised,
        "closed": report.closed,
    }
