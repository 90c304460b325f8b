"""Restore a backup made by `manage.py backup`: every file is checked against the manifest first,
and a damaged or incomplete backup is refused before anything is replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinkan.audit import services as audit
from xinkan.core.backups import BackupError, check_backup, restore_backup


class Command(BaseCommand):
    help = "Replace the database and uploaded files with those of a backup directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path)
        parser.add_argument("--noinput", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument(
            "--check", action="store_true", help="Only check the backup; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["backup"]
        try:
            manifest = check_backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backup of {manifest['created_at']} ({manifest['database']['vendor']}): "
            "every file matches its checksum."
        )
        if options["check"]:
            return
        if not options["noinput"]:
            answer = input("This replaces the database and uploaded files. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was restored.")
        try:
            restore_backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        audit.record(
            actor=None,
            action="core.backup.restored",
            data={"backup": path.name, "created_at": manifest["created_at"]},
        )
        self.stdout.write(self.style.SUCCESS(f"Restored from {path}"))
