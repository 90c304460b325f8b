"""Benchmark the residents import on PostgreSQL: new residents, the same file again, then updates."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from xinkan.audit.models import AuditEntry
from xinkan.residents.imports import bench, service
from xinkan.residents.management.commands.import_residents import Progress
from xinkan.residents.models import ImportJob


class Command(BaseCommand):
    help = (
        "Write a file of N residents for a bench-only unit tree and time its import: new, again "
        "unchanged, and with every resident changed. Prints rows per second."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--residents", type=int, default=1_000_000)
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument(
            "--keep", action="store_true", help="keep earlier benchmark residents (default: clear)"
        )
        parser.add_argument(
            "--no-resident-audit",
            action="store_true",
            help="one audit entry per import instead of one per created/changed resident",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark runs on PostgreSQL (set DATABASE_URL); SQLite figures would mislead."
            )
        n = options["residents"]
        log = self.stdout.write
        district = bench.ensure_tree(log)
        user = bench.ensure_importer(district)
        if not options["keep"]:
            removed = bench.clear(district)
            log(f"Cleared {removed:,} earlier benchmark residents.")
        folder = Path(settings.VAR_DIR) / "bench"
        files = {}
        for variant in (False, True):
            suffix = "-changed" if variant else ""
            path = folder / f"residents-{n}{suffix}.{options['format']}"
            started = time.perf_counter()
            households = bench.write_file(path, n, variant=variant)
            files[variant] = path
            log(
                f"Wrote {path} ({n:,} residents, {households:,} households, "
                f"{path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - started:,.1f} s."
            )
        results = []
        for label, path in (
            ("new", files[False]),
            ("same", files[False]),
            ("changed", files[True]),
        ):
            audit_before = AuditEntry.objects.count()
            job = service.create_local_job(by=user, unit=district, file_name=path.name)
            progress = Progress(self.stderr)
            finished = service.run_job(
                job.pk,
                source=path,
                progress=progress,
                audit_each=not options["no_resident_audit"],
            )
            self.stderr.write("")
            if finished is None or finished.status != ImportJob.Status.DONE:
                raise CommandError(f"Import {job.pk} did not finish: {finished and finished.error}")
            elapsed, rate = progress.rate(finished.processed_rows)
            results.append(
                (label, finished, elapsed, rate, AuditEntry.objects.count() - audit_before)
            )
        log("")
        log(
            f"{'import':<9}{'rows':>11}{'seconds':>10}{'rows/s':>10}"
            f"{'created':>11}{'updated':>11}{'unchanged':>11}{'failed':>8}{'audit':>11}"
        )
        for label, job, elapsed, rate, audited in results:
            log(
                f"{label:<9}{job.processed_rows:>11,}{elapsed:>10,.1f}{rate:>10,.0f}"
                f"{job.created_count:>11,}{job.updated_count:>11,}{job.unchanged_count:>11,}"
                f"{job.failed_count:>8,}{audited:>11,}"
            )
