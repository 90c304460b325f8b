"""Recompute the stored search words of every matter (after the word list changed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinkan.matters.services.search_index import refresh_search_text


class Command(BaseCommand):
    help = "Recompute the search words of all matters; prints how many changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        changed = refresh_search_text(batch_size=options["batch_size"])
        self.stdout.write(self.style.SUCCESS(f"Search words refreshed: {changed} matters changed."))
