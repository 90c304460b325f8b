"""Generate a city-scale data set on PostgreSQL: `manage.py seed_scale --preset district`."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from xinkan.bench.scale import seeding
from xinkan.bench.scale.presets import PRESETS


class Command(BaseCommand):
    help = (
        "Generate units, matters (three years), residents, volunteers, pairings, disputes and "
        "square sessions at a preset's scale, by COPY; run again to resume or to grow."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--preset", choices=sorted(PRESETS), default="district")
        parser.add_argument("--matters", type=int, help="override the preset's number of matters")
        parser.add_argument("--residents", type=int, help="override the preset's residents")
        parser.add_argument(
            "--skip", nargs="*", default=[], choices=seeding.STAGES, help="stages to leave out"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "seed_scale loads by PostgreSQL COPY: set DATABASE_URL to a PostgreSQL database."
            )
        preset = PRESETS[options["preset"]].scaled(
            matters=options["matters"], residents=options["residents"]
        )
        started = time.perf_counter()
        report = seeding.seed(preset, skip=set(options["skip"]), log=self.stdout.write)
        self.stdout.write(f"{'stage':<20} {'rows added':>12} {'seconds':>9} {'rows/s':>9}")
        for stage, (rows, seconds) in report.items():
            rate = f"{rows / seconds:,.0f}" if seconds and rows else "-"
            self.stdout.write(f"{stage:<20} {rows:>12,} {seconds:>9.1f} {rate:>9}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Preset {preset.name} ready in {time.perf_counter() - started:.0f} s: "
                + json.dumps(seeding.counts(preset), ensure_ascii=False)
            )
        )
