"""Periodic webhook work (CELERY_BEAT_SCHEDULE): read new matter events into deliveries, and send
what is due. Both are idempotent and safe on several workers at once."""

from __future__ import annotations

from celery import shared_task

from xinkan.webhooks import delivery, outbox


@shared_task(name="xinkan.webhooks.tasks.collect_webhook_events", ignore_result=True)
def collect_webhook_events() -> str:
    report = outbox.collect()
    if report.deliveries:
        send_webhooks.delay()  # at once rather than at the next beat
    return str(report)


@shared_task(name="xinkan.webhooks.tasks.send_webhooks", ignore_result=True)
def send_webhooks() -> str:
    return str(delivery.send_due())
