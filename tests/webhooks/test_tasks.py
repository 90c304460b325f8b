"""The periodic tasks: scheduled every few seconds, each a thin call into the outbox or the sender;
the collecting task sends at once what it made. The command does both, for cron."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.api.conftest import issue
from tests.webhooks.conftest import new_matter, subscribe
from tests.webhooks.receiver import Receiver
from xinkan.webhooks import tasks
from xinkan.webhooks.models import Delivery, DeliveryState

pytestmark = pytest.mark.django_db


def test_both_tasks_are_scheduled_within_half_a_minute():
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["xinkan.webhooks.tasks.collect_webhook_events"] <= 30
    assert schedule["xinkan.webhooks.tasks.send_webhooks"] <= 30


def test_collecting_sends_what_it_made_at_once(cast, receiver: Receiver):
    receiver.secret = subscribe(issue(cast), receiver.url).secret
    new_matter(cast.grid, cast.grid_worker)
    result = tasks.collect_webhook_events.delay().get()
    assert "1 deliveries" in result
    assert Delivery.objects.get().state == DeliveryState.DELIVERED
    assert len(receiver.requests) == 1
    assert "0 attempts" in tasks.send_webhooks.delay().get()


def test_the_command_collects_and_sends(cast, receiver: Receiver):
    receiver.secret = subscribe(issue(cast), receiver.url).secret
    new_matter(cast.grid, cast.grid_worker)
    out = StringIO()
    call_command("send_webhooks", stdout=out)
    assert "1 deliveries" in out.getvalue() and "1 delivered" in out.getvalue()
    assert len(receiver.requests) == 1
