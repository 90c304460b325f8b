"""matters.services.dispatch_matter with `due_at`: a handling deadline promised to the resident (a
department's promise at the public affairs square) instead of the policy's handling time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.matters import factories as mf
from tests.matters.checks import snapshot
from xinkan.matters import services
from xinkan.matters.models import Deadline, Matter, MatterEvent, Stage, State
from xinkan.matters.services import MatterError

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
PROMISED = dt.datetime(2026, 3, 20, 15, 59, 59, tzinfo=dt.UTC)  # 23:59:59 on 20 March, Beijing


def test_the_promised_date_is_the_handling_deadline(cast):
    with time_machine.travel(NOW, tick=False):
        matter = mf.accepted(cast)
        services.dispatch_matter(
            matter, lead=cast.department, by=cast.community_worker, due_at=PROMISED
        )

    handle = Deadline.objects.get(matter=matter, stage=Stage.HANDLE)
    assert handle.due_at == PROMISED
    # Reminded a week before (the policy's warning for handling), never before the promise.
    assert handle.warn_at == PROMISED - dt.timedelta(days=7)
    event = MatterEvent.objects.get(matter=matter, action="dispatched")
    assert event.data["due_at"] == PROMISED.isoformat()
    assert Matter.objects.get(pk=matter.pk).state == State.DISPATCHED


def test_a_promise_sooner_than_the_warning_time_is_reminded_at_once(cast):
    with time_machine.travel(NOW, tick=False):
        matter = mf.accepted(cast)
        soon = NOW + dt.timedelta(days=2)
        services.dispatch_matter(
            matter, lead=cast.department, by=cast.community_worker, due_at=soon
        )

    handle = Deadline.objects.get(matter=matter, stage=Stage.HANDLE)
    assert (handle.due_at, handle.warn_at) == (soon, NOW)


def test_without_a_promise_the_policy_sets_the_handling_time(cast):
    with time_machine.travel(NOW, tick=False):
        matter = mf.accepted(cast)
        services.dispatch_matter(matter, lead=cast.department, by=cast.community_worker)

    handle = Deadline.objects.get(matter=matter, stage=Stage.HANDLE)
    assert handle.due_at == dt.datetime(2026, 5, 1, 15, 59, 59, tzinfo=dt.UTC)  # 60 days
    assert "due_at" not in MatterEvent.objects.get(matter=matter, action="dispatched").data


def test_a_promise_before_the_registration_is_refused_and_nothing_changes(cast):
    with time_machine.travel(NOW, tick=False):
        matter = mf.accepted(cast)
    before = snapshot(matter)

    with pytest.raises(MatterError):
        services.dispatch_matter(
            matter,
            lead=cast.department,
            by=cast.community_worker,
            due_at=matter.registered_at - dt.timedelta(hours=1),
        )

    assert snapshot(matter) == before
