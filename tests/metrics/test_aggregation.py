"""The aggregates kept by the periodic job equal a from-scratch rebuild, and roll up over the tree."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from tests.matters import factories as mf
from tests.metrics.helpers import local, snapshot
from xinkan.matters import services
from xinkan.matters.models import Channel, Matter, Outcome, Rating, State
from xinkan.matters.services.sweep import sweep_all
from xinkan.metrics import aggregation, selectors
from xinkan.metrics.models import MatterPart, Part, Progress
from xinkan.metrics.periods import Period

pytestmark = pytest.mark.django_db

DESCRIPTIONS = [
    "小区3号楼电梯坏了三天，老人上下楼很困难，物业一直没人来修。",
    "建设路路灯坏了一周，晚上出行很不安全。",
    "楼道里堆满杂物，堵住了消防通道，存在火灾隐患。",
    "工地夜间施工到凌晨两点，噪音扰民，影响休息。",
    "门口垃圾五天没人清运，味道很大，招苍蝇。",
]


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0


def _step(cast, matter: Matter, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    """One real transition of `matter` through the services, chosen at random among those its
    state allows (a refusal of the flow is skipped)."""
    matter.refresh_from_db()
    state = matter.state
    choice = rng.random()
    try:
        if state == State.REGISTERED:
            if choice < 0.5:
                services.handle_by_unit(matter, by=cast.cadre)
            elif choice < 0.9:
                services.dispatch_matter(matter, lead=cast.department, by=cast.cadre)
            else:
                services.decline_matter(matter, by=cast.cadre, reason="不属于受理范围")
        elif state == State.DISPATCHED:
            services.sign_for(matter, by=cast.handler)
        elif state == State.HANDLING:
            by = cast.handler if matter.lead_department_id else cast.cadre
            services.reply_to_matter(matter, by=by, text=mf.REPLY, outcome=Outcome.SUPPORTED)
        elif state == State.REPLIED:
            if choice < 0.55:
                rating = rng.choice([Rating.SATISFIED, Rating.MOSTLY])
                services.record_follow_up(
                    matter, rating=rating, by=cast.cadre, contacted=rng.random() < 0.8
                )
            elif matter.review_round < 2:
                services.request_review(matter, by=cast.cadre, reason="居民不满意答复")
            else:
                services.record_follow_up(matter, rating=Rating.DISSATISFIED, by=cast.cadre)
        elif state == State.REVIEW:
            services.decide_review(
                matter,
                by=cast.cadre,
                text="经复查，责令物业一周内修复。",
                outcome=Outcome.SUPPORTED,
            )
        elif state == State.REREVIEW:
            services.decide_review(
                matter,
                by=cast.leader,
                text="经复核，维持复查意见，本事项终结。",
                outcome=Outcome.EXPLAINED,
            )
    except (services.MatterError, PermissionDenied):
        pass


def test_incremental_aggregates_equal_a_rebuild_after_random_transitions(cast):
    rng = random.Random(20260307)
    matters: list[Matter] = []
    moment = local(2026, 1, 5, 9, 0)
    for round_ in range(40):
        moment += dt.timedelta(hours=rng.randint(2, 60))
        with time_machine.travel(moment, tick=False):
            if not matters or rng.random() < 0.3:
                grid = rng.choice([cast.grid, cast.neighbour_grid])
                result = services.register_matter(
                    mf.intake(
                        grid,
                        description=rng.choice(DESCRIPTIONS) + f"（第{round_}次）",
                        contact_phone=f"1380013{round_:04d}",
                    ),
                    by=cast.grid_worker if grid == cast.grid else cast.outsider,
                )
                matters.append(result.matter)
            else:
                _step(cast, rng.choice(matters), rng)
            if rng.random() < 0.15:
                sweep_all()  # deadlines go overdue, supervision is raised
            if rng.random() < 0.4:
                aggregation.refresh(batch=7)  # small batches: several per run
    with time_machine.travel(moment + dt.timedelta(days=90), tick=False):
        sweep_all()
        aggregation.refresh(batch=7)
        incremental = snapshot()
        assert incremental["parts"], "the random history made parts"
        assert {row[1] for row in incremental["parts"]} >= {
            Part.REGISTERED,
            Part.RESOLVED,
            Part.FOLLOW_UPS,
            Part.OVERDUE,
        }
        aggregation.rebuild()
        assert snapshot() == incremental


def test_refresh_twice_changes_nothing_and_moves_the_watermark(cast):
    mf.replied(cast)
    first = aggregation.refresh()
    assert first.events > 0 and first.changed == 1
    before = snapshot()
    again = aggregation.refresh()
    assert again.events == 0
    assert snapshot() == before
    assert Progress.objects.get(name="matters").last_event_id == first.watermark


def test_young_events_are_processed_but_read_again(cast, settings):
    settings.XINKAN_METRICS_LAG_SECONDS = 3600
    mf.matter(cast.grid, cast.grid_worker)
    report = aggregation.refresh()
    assert report.changed == 1 and report.watermark == 0
    assert MatterPart.objects.filter(part=Part.REGISTERED).count() == 1
    again = aggregation.refresh()
    assert again.events == report.events and again.changed == 0


def test_a_subtree_rolls_up_to_the_sum_of_its_children(cast):
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):
        grids = [(cast.grid, cast.grid_worker), (cast.neighbour_grid, cast.outsider)]
        for number, (grid, by) in enumerate(grids):
            for i in range(2):
                # Eleven digits whatever the ids: a phone built from a pk grows too long.
                mf.matter(grid, by, contact_phone=f"1390000{i}{number:03d}")
        mf.matter(cast.other_grid, None, channel=Channel.ONLINE, contact_phone="13911112222")
    aggregation.refresh()
    period = Period.containing("month", dt.date(2026, 3, 1))
    children = selectors.children_of(cast.subdistrict)
    by_child = selectors.subtree_sums(children, period)
    whole = selectors.part_sums(cast.subdistrict, period)
    assert whole[Part.REGISTERED] == 4
    for part in whole:
        assert whole[part] == sum(sums.get(part, 0) for sums in by_child.values())
    district = selectors.part_sums(cast.district, period)
    assert district[Part.REGISTERED] == 5
    # A custom period across days reads the daily table and agrees with the monthly one.
    custom = Period("custom", dt.date(2026, 2, 20), dt.date(2026, 3, 31))
    assert selectors.part_sums(cast.district, custom) == district
