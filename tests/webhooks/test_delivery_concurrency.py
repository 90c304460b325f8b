"""Several workers sending at once (PostgreSQL): a delivery locked by one worker is skipped by the
others (FOR UPDATE SKIP LOCKED), and two workers draining the same queue send each event once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from tests.api.conftest import issue
from tests.webhooks.conftest import new_matter, subscribe
from tests.webhooks.receiver import Receiver
from xinkan.webhooks import delivery, outbox
from xinkan.webhooks.models import Delivery, DeliveryAttempt, DeliveryState

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time: simultaneous workers need PostgreSQL",
)


def test_a_delivery_locked_by_one_worker_is_skipped_not_waited_for(
    cast, transactional_db, receiver: Receiver
):
    receiver.secret = subscribe(issue(cast), receiver.url, ["matter.created"]).secret
    new_matter(cast.grid, cast.grid_worker)
    new_matter(cast.grid, cast.grid_worker, 1)
    outbox.collect()
    first, second = Delivery.objects.order_by("next_attempt_at", "pk")
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                Delivery.objects.select_for_update().filter(pk=first.pk).first()
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        claimed = delivery.claim_due()
        assert [d.pk for d in claimed] == [second.pk]
    finally:
        release.set()
        holder.join(timeout=30)
    assert [d.pk for d in delivery.claim_due()] == [first.pk]


def test_two_workers_at_once_send_each_event_once(cast, transactional_db, receiver: Receiver):
    receiver.secret = subscribe(issue(cast), receiver.url, ["matter.created"]).secret
    receiver.delay = 0.05  # long enough for the workers to overlap
    for n in range(10):
        new_matter(cast.grid, cast.grid_worker, n)
    outbox.collect()
    assert Delivery.objects.count() == 10
    start = threading.Barrier(2)
    errors: list[str] = []

    def work() -> None:
        try:
            start.wait()
            delivery.send_due(batch=2)
        except BaseException as error:  # reported to the main thread below
            errors.append(repr(error))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    assert len(receiver.requests) == 10
    assert len({r.event_id for r in receiver.requests}) == 10
    assert receiver.duplicates == 0
    assert DeliveryAttempt.objects.count() == 10
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}
