"""Recompute the audit hash chain; exit non-zero and name the first broken link if any."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinkan.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-head",
            help="Hash of the last entry recorded elsewhere earlier; detects removal at the end.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at entry {report.broken_id}: {report.reason} "
                f"({report.checked} entries verified before it)."
            )
        expected = options.get("expect_head")
        if expected and expected != report.head_hash:
            from xinkan.audit.models import AuditEntry

            if not AuditEntry.objects.filter(hash=expected).exists():
                raise CommandError(
                    f"Expected head {expected} is no longer in the chain: entries were removed."
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} entries, head {report.head_hash}"
            )
        )
