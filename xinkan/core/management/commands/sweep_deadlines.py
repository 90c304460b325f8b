"""Run every feature's deadline sweep once: remind, mark overdue, supervise, close.

For cron or the embedded default; production runs the same sweeps from Celery beat. Safe to run
while another sweep runs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from xinkan.core.sweeps import run_all


class Command(BaseCommand):
    help = "Sweep the deadlines of matters and disputes once (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, report in run_all().items():
            self.stdout.write(self.style.SUCCESS(f"Deadline sweep ({name}): {report}"))
