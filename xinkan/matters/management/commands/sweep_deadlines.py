"""Remind, mark overdue, supervise, and close answered matters past their review window.

For cron or the embedded default; production runs the same sweep from Celery beat. Safe to run
while another sweep runs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from xinkan.matters.services import sweep_all


class Command(BaseCommand):
    help = "Sweep matter deadlines once (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = sweep_all()
        self.stdout.write(self.style.SUCCESS(f"Deadline sweep: {report}"))
