from __future__ import annotations

import logging

from celery import shared_task

from xinkan.audit import services

logger = logging.getLogger(__name__)


@shared_task(name="xinkan.audit.tasks.verify_audit_chain")
def verify_audit_chain() -> dict[str, object]:
    """Nightly check of the chain; the result is itself an audit entry (and an error log if broken)."""
    report = services.verify_chain()
    if not report.ok:
        logger.error("Audit chain broken at entry %s: %s", report.broken_id, report.reason)
    services.record(
        actor=None,
        actor_label="system:verify_audit",
        action="audit.chain.verified",
        outcome="success" if report.ok else "failure",
        data={"checked": report.checked, "broken_id": report.broken_id, "reason": report.reason},
    )
    return {"ok": report.ok, "checked": report.checked, "broken_id": report.broken_id}
