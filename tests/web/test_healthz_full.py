"""/healthz/full: for monitoring. It answers 503, saying what is wrong, when the broker does not
answer, no worker has beaten for minutes, or the deadline sweep has not run lately."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from xinkan.core import health
from xinkan.core.sweeps import run_all
from xinkan.core.tasks import heartbeat

REDIS = "redis://127.0.0.1:6379/15"


def test_in_process_tasks_need_only_a_recent_sweep(db, client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz/full")
    assert response.status_code == 503
    assert response.json()["checks"]["sweep"] == {"ok": False, "detail": "never ran"}
    run_all()
    response = client.get("/healthz/full")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_sweep_that_stopped_running_is_reported(db, client, settings):
    settings.REDIS_URL = ""
    run_all()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=20)):
        checks = client.get("/healthz/full").json()["checks"]
    assert checks["sweep"]["ok"] is False and "s ago" in checks["sweep"]["detail"]


@pytest.mark.broker
def test_with_a_broker_the_workers_must_beat(db, client, settings):
    settings.REDIS_URL = REDIS
    run_all()
    response = client.get("/healthz/full")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": True, "detail": "redis"}
    assert response.json()["checks"]["workers"]["ok"] is False
    heartbeat.apply()  # what the beat schedule makes a worker run every minute
    assert client.get("/healthz/full").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=4)):
        assert client.get("/healthz/full").json()["checks"]["workers"]["ok"] is False


def test_a_broker_that_does_not_answer_is_reported(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz/full")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_a_beat_is_one_row_per_name(db):
    health.beat("worker:a")
    health.beat("worker:a")
    assert health.Heartbeat.objects.filter(name="worker:a").count() == 1
