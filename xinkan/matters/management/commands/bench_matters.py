"""Benchmark the matters feature on PostgreSQL at scale; prints a table and writes a JSON file."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from xinkan.matters import bench


class Command(BaseCommand):
    help = "Load N matters (bulk COPY, reusable) and measure intake, duplicate lookup, worklists, search, sweep."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--matters", type=int, default=1_000_000, help="matters in the database"
        )
        parser.add_argument(
            "--intakes", type=int, default=1000, help="intakes through the service layer"
        )
        parser.add_argument("--samples", type=int, default=200, help="samples per latency figure")
        parser.add_argument("--generate-only", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark runs on PostgreSQL (set DATABASE_URL); SQLite figures would mislead."
            )
        log = self.stdout.write
        bench.ensure_tree(log)
        bench.generate(options["matters"], log=log)
        if options["generate_only"]:
            return
        figures = bench.Figures()
        bench.measure(figures, intakes=options["intakes"], samples=options["samples"], log=log)
        path = bench.save(figures)
        self.stdout.write(bench.table(figures))
        self.stdout.write(self.style.SUCCESS(f"Figures written to {path}"))
