"""Recompute the performance aggregates from scratch (after a change of definitions, or to check)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinkan.audit import services as audit
from xinkan.metrics import dispute_facts
from xinkan.metrics.aggregation import rebuild, rebuild_subtrees


class Command(BaseCommand):
    help = "Recompute every matter's contribution and the daily and monthly facts from scratch."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=5000, help="matters per batch")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes computing the parts (PostgreSQL; the periodic job keeps running)",
        )
        parser.add_argument(
            "--subtrees",
            action="store_true",
            help="only the subtree sums, from the facts (after changing the daily levels)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["subtrees"]:
            counts = rebuild_subtrees()
            audit.record(
                actor=None, action="metrics.rebuilt", data={"subtrees": sum(counts.values())}
            )
            rows = ", ".join(f"{table} {count:,}" for table, count in counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Rebuilt the subtree rows ({rows}) in {time.perf_counter() - started:.1f} s."
                )
            )
            return
        count = rebuild(batch=options["batch"], workers=options["workers"], log=self.stdout.write)
        self.stdout.write("  mediation's cells …")
        cells = dispute_facts.rebuild()
        elapsed = time.perf_counter() - started
        audit.record(
            actor=None, action="metrics.rebuilt", data={"matters": count, "dispute_cells": cells}
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt the aggregates of {count:,} matters and {cells:,} dispute cells "
                f"in {elapsed:.1f} s."
            )
        )
