"""Import households and residents from a spreadsheet on disk, with progress on stderr."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinkan.accounts.models import User
from xinkan.org.models import Unit
from xinkan.residents.imports import report, service
from xinkan.residents.models import ImportJob

SHOWN_FAILURES = 50


class Progress:
    """One line on stderr, rewritten in place: rows, percent, rows per second."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.started = time.perf_counter()

    def __call__(self, job: ImportJob) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        done = job.processed_rows
        total = f"/{job.total_rows:,}" if job.total_rows else ""
        percent = f" {done * 100 // job.total_rows:3d}%" if job.total_rows else ""
        self.stream.write(
            f"\r{done:,}{total} rows{percent} · {done / elapsed:,.0f} rows/s · {elapsed:,.0f} s",
            ending="",
        )
        self.stream.flush()

    def rate(self, rows: int) -> tuple[float, float]:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        return elapsed, rows / elapsed


class Command(BaseCommand):
    help = (
        "Import households and residents from FILE (.xlsx or .csv, the layout of the import "
        "template) into the unit CODE, as USERNAME (who must manage residents there)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--unit", required=True, help="code of the unit the rows belong under")
        parser.add_argument("--user", required=True, help="username of the importing person")
        parser.add_argument(
            "--no-resident-audit",
            action="store_true",
            help="one audit entry for the whole import instead of one per created/changed resident",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['user']!r}.")
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"No unit with code {options['unit']!r}.")
        try:
            job = service.create_local_job(by=user, unit=unit, file_name=path.name)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        progress = Progress(self.stderr)
        finished = service.run_job(
            job.pk,
            source=path,
            progress=progress,
            audit_each=not options["no_resident_audit"],
        )
        self.stderr.write("")
        if finished is None:  # cannot happen for a job made just now; said plainly if it does
            raise CommandError(f"Import {job.pk} was taken by another worker.")
        elapsed, rate = progress.rate(finished.processed_rows)
        self.stdout.write(
            f"Import {finished.pk}: {finished.processed_rows:,} rows in {elapsed:,.1f} s "
            f"({rate:,.0f} rows/s) — created {finished.created_count:,}, "
            f"updated {finished.updated_count:,}, unchanged {finished.unchanged_count:,}, "
            f"failed {finished.failed_count:,}."
        )
        failures = report.failures(finished)
        for failure in failures[:SHOWN_FAILURES]:
            column = f"{failure.column}: " if failure.column else ""
            value = f" ({failure.value})" if failure.value else ""
            self.stdout.write(f"  row {failure.row} · {column}{failure.message}{value}")
        if len(failures) > SHOWN_FAILURES:
            self.stdout.write(f"  … and {len(failures) - SHOWN_FAILURES:,} more problems.")
        if finished.status == ImportJob.Status.FAILED:
            raise CommandError(finished.error)
