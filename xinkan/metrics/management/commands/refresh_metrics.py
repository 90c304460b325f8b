"""Fold the matters' new history into the performance aggregates (what the periodic job does)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from xinkan.metrics.aggregation import refresh


class Command(BaseCommand):
    help = "Process the matter events past the watermark into the performance aggregates."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(str(refresh()))
