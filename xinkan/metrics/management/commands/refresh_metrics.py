"""Fold the matters' and the disputes' new history into the performance aggregates (what the
periodic job does)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from xinkan.metrics import dispute_facts
from xinkan.metrics.aggregation import refresh


class Command(BaseCommand):
    help = "Process the matter and dispute events past the watermarks into the aggregates."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(str(refresh()))
        self.stdout.write(dispute_facts.refresh())
