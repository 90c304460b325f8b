"""Recompute the performance aggregates from scratch (after a change of definitions, or to check)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinkan.audit import services as audit
from xinkan.metrics.aggregation import rebuild


class Command(BaseCommand):
    help = "Recompute every matter's contribution and the daily and monthly facts from scratch."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=5000, help="matters per batch")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        count = rebuild(batch=options["batch"], log=self.stdout.write)
        elapsed = time.perf_counter() - started
        audit.record(actor=None, action="metrics.rebuilt", data={"matters": count})
        self.stdout.write(
            self.style.SUCCESS(f"Rebuilt the aggregates of {count:,} matters in {elapsed:.1f} s.")
        )
