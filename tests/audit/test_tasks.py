"""The nightly Celery task that verifies the audit chain: in-process (no broker, the embedded
default) and on a real worker through Redis (CI has Redis; without it the broker test fails)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections
from pytest_django.fixtures import Settings

from tests.audit.chain import record_some, tamper
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.audit.tasks import verify_audit_chain
from xinkan.celery import app as celery_app

BROKER_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks in-process, whatever the environment (REDIS_URL may be set where the suite runs)."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


def test_without_a_broker_tasks_run_in_process(settings: Settings) -> None:
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: tasks go to the broker here")
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert celery_app.conf.task_always_eager is True
    assert celery_app.conf.broker_url == "memory://"


def test_the_task_is_scheduled_nightly(settings: Settings) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE["verify-audit-chain-nightly"]

    assert schedule["task"] == verify_audit_chain.name
    assert schedule["schedule"] == 24 * 60 * 60


def test_intact_chain_is_recorded_as_verified(db: None, eager: None) -> None:
    record_some(4)

    result = verify_audit_chain.delay()

    assert result.get() == {"ok": True, "checked": 4, "broken_id": None}
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None
    assert entry.action == "audit.chain.verified"
    assert entry.actor_label == "system:verify_audit"
    assert entry.outcome == Outcome.SUCCESS
    assert entry.data == {"checked": 4, "broken_id": None, "reason": ""}


def test_broken_chain_is_recorded_as_a_failure_and_logged(
    db: None, eager: None, caplog: pytest.LogCaptureFixture
) -> None:
    entries = record_some(4)
    tamper("UPDATE audit_auditentry SET action = 'test.hidden' WHERE id = %s", [entries[1].pk])

    with caplog.at_level(logging.ERROR, logger="xinkan.audit.tasks"):
        result = verify_audit_chain.delay().get()

    assert result == {"ok": False, "checked": 1, "broken_id": entries[1].pk}
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None
    assert (entry.action, entry.outcome) == ("audit.chain.verified", Outcome.FAILURE)
    assert entry.data["broken_id"] == entries[1].pk
    assert f"Audit chain broken at entry {entries[1].pk}" in caplog.text


def _forget_broker_connections() -> None:
    # The producer pool is bound to the broker of its first use (memory:// after the in-process
    # tests); Celery itself resets these two after a fork.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_app() -> Iterator[str]:
    """The project's Celery app pointed at Redis (db 15, keys under a prefix of this run)."""
    conf = celery_app.conf
    prefix = f"xinkan-test-{uuid.uuid4().hex}:"
    overrides: dict[str, Any] = {
        "broker_url": BROKER_URL,
        "task_always_eager": False,
        "broker_transport_options": {"global_keyprefix": prefix},
        "worker_hijack_root_logger": False,
        "broker_connection_retry_on_startup": False,
    }
    saved = {key: conf.get(key) for key in overrides}
    conf.update(overrides)
    _forget_broker_connections()
    try:
        yield prefix
    finally:
        conf.update(saved)
        _forget_broker_connections()


def _close_worker_connections(**_kwargs: Any) -> None:
    connections.close_all()  # in the worker thread, so the test database can be dropped later


@pytest.mark.broker
# SQLite's in-memory test database is shared between threads with table locks that do not wait:
# the worker thread's write and this thread's polling then fail each other at random under load.
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_task_runs_on_a_real_worker(redis_app: str) -> None:
    # Fail, not skip, when Redis is not there: CI provides it.
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    record_some(3)
    task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(celery_app, perform_ping_check=False, pool="solo"):
            verify_audit_chain.delay()
            deadline = time.monotonic() + 20
            verified = None
            while verified is None and time.monotonic() < deadline:
                verified = AuditEntry.objects.filter(action="audit.chain.verified").first()
                if verified is None:
                    time.sleep(0.1)
    finally:
        task_postrun.disconnect(_close_worker_connections)

    assert verified is not None, "the worker did not run the task within 20 s"
    assert verified.outcome == Outcome.SUCCESS
    assert verified.data == {"checked": 3, "broken_id": None, "reason": ""}
