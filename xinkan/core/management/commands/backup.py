"""Back up the database and the uploaded files into a new directory, with a checksum manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinkan.audit import services as audit
from xinkan.core.backups import BackupError, make_backup


class Command(BaseCommand):
    help = "Back up the database and uploaded files to DIRECTORY/xinkan-backup-<time>/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = make_backup(options["directory"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        audit.record(
            actor=None,
            action="core.backup.made",
            data={"files": made.files, "path": made.path.name},
        )
        for name, size in sorted(made.files.items()):
            self.stdout.write(f"  {name}: {size:,} bytes")
        self.stdout.write(self.style.SUCCESS(f"Backup written to {made.path}"))
