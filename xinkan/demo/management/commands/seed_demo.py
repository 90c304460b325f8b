"""Build a realistic small district for newcomers to click through. Idempotent: run it twice and
nothing is duplicated. Each feature adds a step to `STEPS` (see xinkan/demo/steps.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinkan.demo.steps import STEPS, DemoContext


class Command(BaseCommand):
    help = "Create (or complete) the demo district, its staff accounts and residents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quiet-accounts", action="store_true", help="Do not print the accounts."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = DemoContext(out=self.stdout)
        for step in STEPS:
            step(ctx)
        if not options["quiet_accounts"]:
            self.stdout.write(ctx.accounts_table())
