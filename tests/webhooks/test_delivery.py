"""Sending to a real receiver (an HTTP server on 127.0.0.1): signed POSTs, retries with backoff
when it fails, every attempt logged, every event processed exactly once by a receiver that drops
what it has seen by event id, and nothing sent again when the jobs run again."""

from __future__ import annotations

import datetime as dt
import json
import socket
import zoneinfo

import pytest
import time_machine

from tests.api.conftest import issue
from tests.webhooks.conftest import new_matter, subscribe
from tests.webhooks.receiver import Receiver
from xinkan.api import tokens
from xinkan.matters import services as matters
from xinkan.matters.models import MatterEvent
from xinkan.matters.services.sweep import sweep_all
from xinkan.webhooks import delivery, outbox, payload, services
from xinkan.webhooks.models import Delivery, DeliveryAttempt, DeliveryState

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 5, 4, 9, 0, tzinfo=SHANGHAI)


def run_jobs() -> None:
    outbox.collect()
    delivery.send_due()


def expected_event_ids(*matters_in_scope) -> set[str]:  # type: ignore[no-untyped-def]
    rows = MatterEvent.objects.filter(matter__in=matters_in_scope).values_list(
        "pk", "action", "from_state", "to_state"
    )
    return {
        str(payload.event_id(pk))
        for pk, action, before, after in rows
        if payload.event_type_of(action, before, after)
    }


def test_a_failing_receiver_gets_every_event_exactly_once_after_retries(cast, receiver: Receiver):
    with time_machine.travel(START, tick=True) as clock:
        issued = issue(cast)
        receiver.secret = subscribe(issued, receiver.url).secret
        receiver.fail_first = 3
        ours = new_matter(cast.grid, cast.grid_worker)
        matters.accept_matter(ours, by=cast.community_worker)
        matters.dispatch_matter(ours, lead=cast.department, by=cast.community_worker)
        second = new_matter(cast.grid, cast.grid_worker, 1)
        new_matter(cast.neighbour_grid, cast.outsider, 2)  # outside the token's scope
        # The receiver processes this event but its answer is lost: it comes again, and is dropped.
        receiver.lose_answer_to = {str(payload.event_id(ours.events.get(action="accepted").pk))}

        run_jobs()
        assert len(receiver.requests) == 4  # three refused, one taken
        for wait in delivery.BACKOFF[:2]:
            clock.shift(wait + dt.timedelta(seconds=1))
            run_jobs()
        clock.shift(dt.timedelta(days=10))  # the second matter's first response is now late
        sweep_all()
        run_jobs()
        clock.shift(delivery.BACKOFF[0] + dt.timedelta(seconds=1))
        run_jobs()

        expected = expected_event_ids(ours, second)
        assert any(d.event_type == "matter.overdue" for d in Delivery.objects.filter(matter=second))
        assert receiver.events_processed() == expected
        assert receiver.duplicates == 1
        assert all(r.verified for r in receiver.requests)
        assert {r.event_id for r in receiver.requests} == expected
        assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}

        # Every attempt is in the log, with what the receiver said.
        attempts = list(DeliveryAttempt.objects.order_by("at", "pk"))
        assert len(attempts) == len(receiver.requests)
        assert [a.status_code for a in attempts] == [r.status for r in receiver.requests]
        assert [a.status_code for a in attempts[:3]] == [503, 503, 503]
        assert all(a.duration_ms >= 0 and a.response_excerpt for a in attempts)
        for item in Delivery.objects.prefetch_related("attempts"):
            logged = list(item.attempts.all())
            assert item.attempt_count == len(logged)
            assert [a.number for a in logged] == list(range(1, len(logged) + 1))

        # The jobs run on and on: nothing is sent twice.
        sent = len(receiver.requests)
        for _ in range(3):
            clock.shift(dt.timedelta(hours=7))
            run_jobs()
        assert len(receiver.requests) == sent


def test_the_body_sent_is_the_stored_payload_signed_with_the_subscription_secret(
    cast, receiver: Receiver
):
    issued = issue(cast)
    created = subscribe(issued, receiver.url)
    receiver.secret = created.secret
    matter = new_matter(cast.grid, cast.grid_worker)
    run_jobs()
    [request] = receiver.requests
    stored = Delivery.objects.get()
    assert request.verified and request.status == 200
    assert request.event_type == "matter.created"
    assert request.event_id == str(stored.event_id)
    assert json.loads(request.body) == stored.payload
    assert stored.payload["matter"]["id"] == matter.pk
    assert stored.delivered_at is not None and stored.last_status_code == 200


def test_retries_follow_the_backoff_then_the_delivery_fails_and_can_be_sent_again(
    cast, receiver: Receiver
):
    with time_machine.travel(START, tick=True) as clock:
        issued = issue(cast)
        receiver.secret = subscribe(issued, receiver.url, ["matter.created"]).secret
        receiver.always_fail = True
        new_matter(cast.grid, cast.grid_worker)
        outbox.collect()
        item = Delivery.objects.get()
        for number, wait in enumerate(delivery.BACKOFF, start=1):
            delivery.send_due()
            item.refresh_from_db()
            assert item.tries == number
            assert item.state == DeliveryState.PENDING
            assert item.next_attempt_at is not None
            due_in = item.next_attempt_at - item.last_attempt_at  # type: ignore[operator]
            assert due_in == wait
            delivery.send_due()  # not due yet: nothing happens
            assert len(receiver.requests) == number
            clock.shift(wait + dt.timedelta(seconds=1))
        delivery.send_due()
        item.refresh_from_db()
        assert item.state == DeliveryState.FAILED
        assert item.next_attempt_at is None
        assert item.attempts.count() == delivery.MAX_ATTEMPTS == len(receiver.requests)
        clock.shift(dt.timedelta(days=3))
        delivery.send_due()
        assert len(receiver.requests) == delivery.MAX_ATTEMPTS

        receiver.always_fail = False
        services.redeliver(item, by=tokens.bind_scope(issued.token))
        delivery.send_due()
        item.refresh_from_db()
        assert item.state == DeliveryState.DELIVERED
        assert item.attempt_count == delivery.MAX_ATTEMPTS + 1
        assert receiver.events_processed() == {str(item.event_id)}


def test_a_redirect_is_not_followed_and_counts_as_a_failure(cast, receiver: Receiver):
    target = Receiver().start()
    try:
        receiver.secret = subscribe(issue(cast), receiver.url).secret
        receiver.redirect_to = target.url
        new_matter(cast.grid, cast.grid_worker)
        run_jobs()
        attempt = DeliveryAttempt.objects.get()
        assert attempt.status_code == 302
        assert target.requests == []
        assert Delivery.objects.get().state == DeliveryState.PENDING
    finally:
        target.stop()


def test_an_unreachable_receiver_is_logged_as_an_error_and_retried(cast):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    subscribe(issue(cast), f"http://127.0.0.1:{port}/hooks")
    new_matter(cast.grid, cast.grid_worker)
    run_jobs()
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None
    assert "refused" in attempt.error.lower()
    item = Delivery.objects.get()
    assert item.state == DeliveryState.PENDING and item.tries == 1


def test_a_slow_receiver_times_out(cast, receiver: Receiver, monkeypatch):
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.3)
    receiver.secret = subscribe(issue(cast), receiver.url).secret
    receiver.delay = 1.0
    new_matter(cast.grid, cast.grid_worker)
    run_jobs()
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None
    assert "timed out" in attempt.error.lower()


def test_deliveries_of_an_ended_subscription_or_revoked_token_are_cancelled_unsent(
    cast, receiver: Receiver
):
    first = issue(cast)
    second = issue(cast, name="second")
    one = subscribe(first, receiver.url).subscription
    subscribe(second, receiver.url)
    new_matter(cast.grid, cast.grid_worker)
    outbox.collect()
    services.deactivate_subscription(one, by=tokens.bind_scope(first.token))
    tokens.revoke_token(second.token, by=cast.admin)
    report = delivery.send_due()
    # The ended subscription's was cancelled when it ended; the revoked token's now, unsent.
    assert report.cancelled == 1
    assert receiver.requests == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.CANCELLED}
    assert not DeliveryAttempt.objects.exists()


def test_a_claim_taken_by_a_dead_worker_is_taken_again_after_the_lease(cast, receiver: Receiver):
    with time_machine.travel(START, tick=True) as clock:
        receiver.secret = subscribe(issue(cast), receiver.url).secret
        new_matter(cast.grid, cast.grid_worker)
        outbox.collect()
        [taken] = delivery.claim_due()  # this worker dies before sending
        assert delivery.claim_due() == []  # nobody else takes it meanwhile
        clock.shift(delivery.LEASE + dt.timedelta(seconds=1))
        delivery.send_due()
        assert len(receiver.requests) == 1
        taken.refresh_from_db()
        assert taken.state == DeliveryState.DELIVERED
        assert taken.attempt_count == 2  # the lost attempt counts


def test_an_answer_arriving_after_the_subscription_ended_is_logged_but_changes_nothing(
    cast, monkeypatch
):
    issued = issue(cast)
    subscription = subscribe(issued, "https://hooks.example.org/x").subscription
    new_matter(cast.grid, cast.grid_worker)
    outbox.collect()

    def ends_while_sending(url: str, body: bytes, headers: dict[str, str]) -> delivery.Outcome:
        services.deactivate_subscription(subscription, by=tokens.bind_scope(issued.token))
        return delivery.Outcome(status_code=200, duration_ms=12, excerpt="ok")

    monkeypatch.setattr(delivery, "post", ends_while_sending)
    report = delivery.send_due()
    item = Delivery.objects.get()
    assert item.state == DeliveryState.CANCELLED and item.delivered_at is None
    assert item.attempts.get().status_code == 200  # what happened is still in the log
    assert report.delivered == 0
