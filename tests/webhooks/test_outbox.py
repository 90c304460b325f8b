"""The outbox: matter events become one delivery per subscription that asked for them — only for
matters the subscriber's token may read, never twice however often it runs, and without personal
data in the body."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
import time_machine

from tests.api.conftest import issue
from tests.webhooks.conftest import new_matter, subscribe
from xinkan.api import tokens
from xinkan.matters import services as matters
from xinkan.matters.models import Channel, MatterEvent
from xinkan.matters.services.sweep import sweep_all
from xinkan.org.roles import Perm, Role
from xinkan.webhooks import outbox, payload
from xinkan.webhooks.models import Delivery, DeliveryState, OutboxCursor

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 5, 4, 9, 0, tzinfo=SHANGHAI)
URL = "https://hooks.example.org/xinkan"


def kinds(subscription) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return sorted(
        Delivery.objects.filter(subscription=subscription).values_list(
            "source_event_id", "event_type"
        )
    )


def event_pk(matter, action: str) -> int:  # type: ignore[no-untyped-def]
    return MatterEvent.objects.get(matter=matter, action=action).pk


def test_registration_transitions_and_overdue_become_their_event_types(cast):
    with time_machine.travel(START, tick=False):
        subscription = subscribe(issue(cast), URL).subscription
        matter = new_matter(cast.grid, cast.grid_worker)
        matters.accept_matter(matter, by=cast.community_worker)
        matters.dispatch_matter(matter, lead=cast.department, by=cast.community_worker)
        late = new_matter(cast.grid, cast.grid_worker, 1)
    with time_machine.travel(START + dt.timedelta(days=10), tick=False):
        sweep_all()
        outbox.collect()

    assert kinds(subscription) == sorted(
        [
            (event_pk(matter, "registered"), "matter.created"),
            (event_pk(matter, "accepted"), "matter.status_changed"),
            (event_pk(matter, "dispatched"), "matter.status_changed"),
            (event_pk(late, "registered"), "matter.created"),
            (event_pk(late, "overdue"), "matter.overdue"),
        ]
    )
    # A supervision raised by the sweep changes no state: no event for it.
    assert MatterEvent.objects.filter(matter=late, action="supervised").exists()
    overdue = Delivery.objects.get(event_type="matter.overdue")
    assert overdue.payload["change"]["stage"] == "respond"
    assert overdue.payload["change"]["due_at"].endswith("Z")
    changed = Delivery.objects.get(source_event_id=event_pk(matter, "dispatched"))
    assert changed.payload["change"] == {
        "action": "dispatched",
        "from_state": "accepted",
        "to_state": "dispatched",
    }


def test_events_of_matters_outside_the_tokens_scope_are_never_delivered(cast, settings):
    # Scope is judged when an event is read; with no lag each event is read once.
    settings.XINKAN_WEBHOOK_LAG_SECONDS = 0
    community = subscribe(issue(cast), URL).subscription
    neighbour = subscribe(issue(cast, unit=cast.neighbour_community, name="光明"), URL)
    department = subscribe(
        issue(cast, role=Role.DEPARTMENT_HANDLER, department=cast.department, name="住建"), URL
    )
    ours = new_matter(cast.grid, cast.grid_worker)
    matters.accept_matter(ours, by=cast.community_worker)
    theirs = new_matter(cast.neighbour_grid, cast.outsider, 1)
    elsewhere = new_matter(cast.other_grid, None, 2, channel=Channel.ONLINE)
    outbox.collect()
    matters.dispatch_matter(ours, lead=cast.department, by=cast.community_worker)
    outbox.collect()

    def matters_of(subscription) -> set[int]:  # type: ignore[no-untyped-def]
        return set(
            Delivery.objects.filter(subscription=subscription).values_list("matter_id", flat=True)
        )

    assert matters_of(community) == {ours.pk}
    assert matters_of(neighbour.subscription) == {theirs.pk}
    # The department reads the matter once it is dispatched to it: from that event on.
    assert kinds(department.subscription) == [
        (event_pk(ours, "dispatched"), "matter.status_changed")
    ]
    assert not Delivery.objects.filter(matter=elsewhere).exists()


def test_a_revoked_token_or_an_ended_subscription_gets_nothing_new(cast):
    issued = issue(cast)
    subscription = subscribe(issued, URL).subscription
    other = subscribe(issue(cast, name="second"), URL).subscription
    from xinkan.webhooks import services

    services.deactivate_subscription(other, by=tokens.bind_scope(other.token))
    tokens.revoke_token(issued.token, by=cast.admin)
    new_matter(cast.grid, cast.grid_worker)
    outbox.collect()
    assert not Delivery.objects.exists()
    assert subscription.pk


def test_only_chosen_types_and_only_events_after_subscribing(cast):
    before = new_matter(cast.grid, cast.grid_worker)
    subscription = subscribe(issue(cast), URL, ["matter.status_changed"]).subscription
    matters.accept_matter(before, by=cast.community_worker)
    new_matter(cast.grid, cast.grid_worker, 1)
    outbox.collect()
    assert kinds(subscription) == [(event_pk(before, "accepted"), "matter.status_changed")]


def test_running_again_or_from_the_start_makes_no_second_delivery(cast):
    one = subscribe(issue(cast), URL).subscription
    two = subscribe(issue(cast, name="second"), URL).subscription
    matter = new_matter(cast.grid, cast.grid_worker)
    matters.accept_matter(matter, by=cast.community_worker)
    first = outbox.collect()
    assert first.deliveries == 4
    again = outbox.collect()
    assert again.deliveries == 0
    OutboxCursor.objects.update(last_event_id=0)
    outbox.collect()
    assert Delivery.objects.count() == 4
    # Every subscriber of an event gets the same event id.
    ids = {d.source_event_id: d.event_id for d in Delivery.objects.filter(subscription=one)}
    for delivery in Delivery.objects.filter(subscription=two):
        assert delivery.event_id == ids[delivery.source_event_id]
        assert delivery.event_id == payload.event_id(delivery.source_event_id)
        assert str(delivery.event_id) == delivery.payload["id"]


def test_watermark_passes_only_events_older_than_the_lag(cast, settings):
    settings.XINKAN_WEBHOOK_LAG_SECONDS = 300
    with time_machine.travel(START, tick=False):
        subscribe(issue(cast), URL)
        matter = new_matter(cast.grid, cast.grid_worker)
        report = outbox.collect()
    assert report.deliveries == 1
    assert report.watermark == 0  # too young: read again next time, delivered already
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        report = outbox.collect()
    assert report.deliveries == 0
    assert report.watermark == MatterEvent.objects.filter(matter=matter).latest("pk").pk
    assert Delivery.objects.count() == 1


def test_body_names_the_matter_without_personal_data(cast):
    subscribe(issue(cast), URL)
    matter = new_matter(cast.grid, cast.grid_worker)
    outbox.collect()
    body = Delivery.objects.get().payload
    summary = body["matter"]
    assert body["type"] == "matter.created"
    assert summary["id"] == matter.pk and summary["code"] == matter.code
    assert summary["state"] == "registered"
    assert summary["category"] == matter.category.code
    assert summary["unit"]["id"] == cast.grid.pk
    assert summary["handling_unit"]["id"] == cast.community.pk
    assert summary["lead_department"] is None
    assert summary["deadline"]["stage"] == "respond"
    assert summary["url"] == f"/api/v1/matters/{matter.pk}"
    text = json.dumps(body, ensure_ascii=False)
    for personal in (matter.contact_name, matter.contact_phone, matter.description, matter.title):
        assert personal and personal not in text


def test_a_batch_costs_the_same_queries_however_many_events(cast, django_assert_max_num_queries):
    subscribe(issue(cast), URL)
    subscribe(issue(cast, name="second", perms=[Perm.MATTERS_VIEW]), URL)
    for n in range(8):
        matter = new_matter(cast.grid, cast.grid_worker, n)
        matters.accept_matter(matter, by=cast.community_worker)
    # The cursor (made once), the events, the subscriptions, the deliveries already made, two per
    # token (its units, its matters), the matters' summaries and deadlines, one insert, the
    # watermark, savepoints: none per event or per matter.
    with django_assert_max_num_queries(18):
        report = outbox.collect()
    assert report.deliveries == 32
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.PENDING}
