"""Read new matter events into webhook deliveries and send what is due (what the two periodic
tasks do); for deployments without Celery, run it from cron every minute."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from xinkan.webhooks import delivery, outbox


class Command(BaseCommand):
    help = "Collect matter events into webhook deliveries, then send the due deliveries."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"outbox: {outbox.collect()}")
        self.stdout.write(f"sending: {delivery.send_due()}")
