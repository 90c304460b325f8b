from __future__ import annotations

from celery import shared_task

from xinkan.metrics import dispute_facts, reports
from xinkan.metrics.aggregation import refresh


@shared_task(name="xinkan.metrics.tasks.refresh_metrics")
def refresh_metrics() -> str:
    """Fold the matters' and the disputes' new history into the performance aggregates
    (idempotent)."""
    return f"{refresh()}; {dispute_facts.refresh()}"


@shared_task(name="xinkan.metrics.tasks.generate_monthly_report")
def generate_monthly_report(report_id: int) -> dict[str, object]:
    """Generate one monthly report; a report already taken (or finished) is left alone, so a
    redelivered message does nothing."""
    report = reports.run_report(report_id)
    if report is None:
        return {"report": report_id, "ran": False}
    return {"report": report_id, "ran": True, "status": report.status}


@shared_task(name="xinkan.metrics.tasks.schedule_monthly_reports")
def schedule_monthly_reports() -> int:
    """Make last month's missing reports (hourly; acts only when some are missing)."""
    return reports.ensure_monthly_reports()
