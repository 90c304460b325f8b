from __future__ import annotations

from celery import shared_task

from xinkan.residents.imports import service


@shared_task(name="xinkan.residents.tasks.run_import")
def run_import(job_id: int) -> dict[str, object]:
    """Run an import job; a job already taken (or finished) is left alone, so a redelivered
    message does nothing."""
    job = service.run_job(job_id)
    if job is None:
        return {"job": job_id, "ran": False}
    return {"job": job_id, "ran": True, "status": job.status}
