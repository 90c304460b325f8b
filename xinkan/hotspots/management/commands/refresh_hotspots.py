"""Detect the hot spots now and store them (what the periodic job does); prints the figures."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinkan.hotspots import detection
from xinkan.hotspots.services import refresh


class Command(BaseCommand):
    help = "Detect the hot spots of the last window and store them; print how long it took."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=detection.WINDOW_DAYS, help="the window, in days"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["days"] <= 366:
            raise CommandError("The window is 1 to 366 days.")
        report = refresh(window_days=options["days"])
        self.stdout.write(str(report))
