"""The periodic job: stores the hot spots, idempotent, keeps rows of unchanged clusters, drops
what is gone, and never goes back in time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings

from tests.hotspots.helpers import LIFT, LIGHTS, NOW, lift_cluster, report
from xinkan.hotspots import services, tasks
from xinkan.hotspots.models import HotSpot, HotSpotMatter, HotSpotRun

pytestmark = pytest.mark.django_db


def stored() -> dict[str, Any]:
    return {
        "hotspots": sorted(
            HotSpot.objects.values_list("pk", "key", "size", "previous", "residents", "score")
        ),
        "members": sorted(HotSpotMatter.objects.values_list("hotspot_id", "matter_id")),
    }


def test_running_twice_stores_the_same_rows(cast, second_grid):
    lifts = lift_cluster([cast.grid, second_grid], 6)
    lights = [report(cast.grid, t, category="roads.lights") for t in LIGHTS]

    first = services.refresh(now=NOW)
    after_first = stored()
    second = services.refresh(now=NOW)

    assert stored() == after_first
    assert (first.hot_spots, first.created, second.created, second.changed, second.removed) == (
        2,
        2,
        0,
        0,
        0,
    )
    members = {m for _h, m in after_first["members"]}
    assert members == {m.pk for m in lifts + lights}
    run = HotSpotRun.objects.get()
    assert (run.computed_at, run.hot_spots, run.window_days) == (NOW, 2, 30)


def test_a_growing_cluster_keeps_its_row_and_a_vanished_one_is_removed(cast):
    lifts = lift_cluster([cast.grid], 3)
    for description in LIGHTS:
        report(cast.grid, description, category="roads.lights")
    services.refresh(now=NOW)
    lift_spot = HotSpot.objects.get(category=lifts[0].category)

    newer = report(cast.grid, LIFT[5], days_ago=0.1)
    an_hour_on = services.refresh(now=NOW + dt.timedelta(hours=1))

    lift_spot.refresh_from_db()  # the same row, grown; the lights' row untouched
    assert (lift_spot.size, an_hour_on.changed, an_hour_on.created) == (4, 1, 0)
    assert newer.pk in set(lift_spot.matters.values_list("pk", flat=True))

    gone = services.refresh(now=NOW + dt.timedelta(days=70))
    assert (gone.hot_spots, gone.removed) == (0, 2)
    assert not HotSpot.objects.exists() and not HotSpotMatter.objects.exists()


def test_an_older_result_never_replaces_a_newer_one(cast):
    lift_cluster([cast.grid], 3)
    services.refresh(now=NOW)
    before = stored()

    late = services.refresh(now=NOW - dt.timedelta(days=40))  # a worker that started long ago

    assert not late.stored
    assert stored() == before
    assert HotSpotRun.objects.get().computed_at == NOW


def test_the_periodic_task_stores_and_is_scheduled(cast):
    lift_cluster([cast.grid], 3, days_ago=0.5)

    tasks.refresh_hotspots()
    tasks.refresh_hotspots()

    assert HotSpot.objects.count() == 1
    assert HotSpotMatter.objects.count() == 3
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "xinkan.hotspots.tasks.refresh_hotspots" in schedule


def test_the_command_prints_the_figures(cast):
    from io import StringIO

    from django.core.management import CommandError, call_command

    lift_cluster([cast.grid], 3, days_ago=0.5)
    out = StringIO()
    call_command("refresh_hotspots", stdout=out)
    assert "1 hot spots" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("refresh_hotspots", "--days", "0")
