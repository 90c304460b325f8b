"""Mediation's figures on the dashboards come from facts the periodic job keeps (dispute_facts):
for any unit and period they equal the disputes counted directly (mediation/indicators.py), after
any sequence of changes and after a unit moves; a rebuild from scratch gives the same rows."""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tests import factories
from tests.conftest import login_as
from tests.mediation import factories as df
from tests.metrics.helpers import local
from xinkan.mediation import indicators, services
from xinkan.mediation.models import Dispute, State, Step
from xinkan.metrics import dispute_facts, providers
from xinkan.metrics.models import DisputeMonthFact, DisputePart, SubtreeDisputeMonthFact
from xinkan.org import services as org
from xinkan.org.models import Unit
from xinkan.org.roles import Role

pytestmark = pytest.mark.django_db

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
PERIODS = [
    MARCH,
    (dt.date(2026, 2, 15), dt.date(2026, 4, 10)),  # a whole month and days on either side
    (dt.date(2026, 3, 30), dt.date(2026, 4, 5)),  # a week across two months
    (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),  # the year
]


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0


def _snapshot() -> dict[str, list[Any]]:
    return {
        model.__name__: sorted(model.objects.values_list("month", "unit_id", "part", "value"))
        for model in (DisputeMonthFact, SubtreeDisputeMonthFact)
    }


def _direct(unit: Unit, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The provider's figures counted from the disputes themselves."""
    figures = indicators.total([unit], start, end)
    return {
        "disputes_settled": figures.settled,
        "settlement_rate": figures.settlement_rate,
        "low_steps_share": figures.low_steps_share,
    }


def _units(cast: Any) -> list[Unit]:
    return [
        cast.grid,
        cast.community,
        cast.neighbour_community,
        cast.subdistrict,
        cast.other_subdistrict,
        cast.district,
    ]


def _equal_to_the_disputes(cast: Any) -> None:
    for unit in _units(cast):
        for start, end in PERIODS:
            kept = providers._mediation([unit], start, end)[unit.pk]
            assert kept == _direct(unit, start, end), (unit.name, start, end)


def _equals_a_rebuild() -> None:
    kept = _snapshot()
    assert kept["DisputeMonthFact"], "no facts kept"
    dispute_facts.rebuild()
    assert _snapshot() == kept


@pytest.fixture
def story(cast):  # type: ignore[no-untyped-def]
    """Disputes from late February to early April in three grids of two subdistricts: settled at ①
    after two days, settled at ② after an escalation, withdrawn, and left open; one registered at
    00:30 on 1 April, Shanghai time (still 31 March in UTC)."""
    cast.other_worker = factories.member(
        Role.COMMUNITY_WORKER, unit=cast.other_community, username="other"
    )
    mediators = {
        cast.grid: df.mediator_of(cast.grid),
        cast.neighbour_grid: df.mediator_of(cast.neighbour_grid, "mediator2"),
        cast.other_grid: df.mediator_of(cast.other_grid, "mediator3"),
    }
    workers = {
        cast.grid: cast.grid_worker,
        cast.neighbour_grid: cast.outsider,
        cast.other_grid: cast.other_worker,
    }
    for day, grid in [
        (local(2026, 2, 27, 9, 0), cast.grid),
        (local(2026, 3, 3, 9, 0), cast.grid),
        (local(2026, 3, 10, 9, 0), cast.neighbour_grid),
        (local(2026, 3, 20, 9, 0), cast.other_grid),
        (local(2026, 4, 1, 0, 30), cast.grid),
        (local(2026, 4, 3, 9, 0), cast.other_grid),
    ]:
        with time_machine.travel(day, tick=False) as clock:
            first = df.dispute(grid, workers[grid])
            second = df.dispute(grid, workers[grid])
            third = df.dispute(grid, workers[grid])
            df.dispute(grid, workers[grid])
            clock.shift(dt.timedelta(days=2))
            services.settle(first, by=mediators[grid], settlement=df.settlement(kind="oral"))
            services.escalate(second, by=mediators[grid], reason="需居委会出面协调")
            services.withdraw(third, by=mediators[grid], reason="乙方拒绝调解")
    dispute_facts.refresh()
    return cast


def test_the_kept_figures_equal_the_disputes_for_any_unit_and_period(story):
    _equal_to_the_disputes(story)
    march = providers._mediation([story.community, story.neighbour_community], *MARCH)
    assert march[story.community.pk] == {
        "disputes_settled": 1,
        "settlement_rate": 0.5,
        "low_steps_share": 1.0,
    }
    assert march[story.neighbour_community.pk]["disputes_settled"] == 1
    year = dispute_facts.sums([story.district], dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    parts = year[story.district.pk]
    assert parts[DisputePart.REGISTERED] == 24 and parts[DisputePart.MEDIATING] == 12
    assert parts[DisputePart.SETTLED_AT_1] == 6
    assert parts[DisputePart.SETTLE_SECONDS] / parts[DisputePart.SETTLED] / 86400 == 2.0


def test_the_first_half_hour_of_a_month_counts_in_that_month_in_shanghai(story):
    april = dispute_facts.sums([story.community], dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert april[story.community.pk][DisputePart.REGISTERED] == 4


def test_a_rebuild_gives_the_rows_the_job_kept(story):
    _equals_a_rebuild()


def test_a_second_run_finds_nothing_to_do(story):
    assert dispute_facts.refresh().startswith("0 events")


def test_later_changes_are_folded_in(story):
    open_ones = list(Dispute.objects.filter(state=State.MEDIATING, step=Step.COMMITTEE))
    assert open_ones
    with time_machine.travel(local(2026, 4, 20, 9, 0), tick=False):
        for dispute in open_ones:
            services.settle(
                dispute, by=_mediator(story, dispute), settlement=df.settlement(kind="oral")
            )
    before = providers._mediation([story.district], *MARCH)[story.district.pk]
    dispute_facts.refresh()
    after = providers._mediation([story.district], *MARCH)[story.district.pk]
    assert after["disputes_settled"] > before["disputes_settled"]
    _equal_to_the_disputes(story)
    _equals_a_rebuild()


def test_any_sequence_of_changes_keeps_the_facts_equal_to_a_rebuild(story):
    rng = random.Random(20261130)
    grids = [story.grid, story.neighbour_grid, story.other_grid]
    workers = {
        story.grid: story.grid_worker,
        story.neighbour_grid: story.outsider,
        story.other_grid: story.other_worker,
    }
    for step in range(40):
        day = local(2026, rng.choice([2, 3, 4]), rng.randint(1, 28), rng.randint(0, 23), 0)
        with time_machine.travel(day, tick=False):
            choice = rng.random()
            open_ones = list(Dispute.objects.filter(state=State.MEDIATING).order_by("pk"))
            if choice < 0.4 or not open_ones:
                grid = rng.choice(grids)
                df.dispute(grid, workers[grid])
            else:
                dispute = rng.choice(open_ones)
                if dispute.step == Step.TEN_HOUSEHOLD and choice < 0.6:
                    services.escalate(dispute, by=_mediator(story, dispute), reason="升一级调解")
                elif choice < 0.85:
                    services.settle(
                        dispute, by=_mediator(story, dispute), settlement=df.settlement(kind="oral")
                    )
                else:
                    services.withdraw(dispute, by=_mediator(story, dispute), reason="申请人撤回")
        if step % 7 == 0:
            dispute_facts.refresh(batch=3)
    dispute_facts.refresh(batch=3)
    _equal_to_the_disputes(story)
    _equals_a_rebuild()


def _mediator(cast: Any, dispute: Dispute) -> Any:
    """Who mediates the dispute's current step: its mediator, or the committee's worker."""
    record = dispute.steps.order_by("-pk").first()
    assert record is not None
    mediator = record.mediators.first()
    if mediator is not None:
        return mediator.user
    return {
        cast.community.pk: cast.community_worker,
        cast.neighbour_community.pk: cast.outsider,
        cast.other_community.pk: cast.other_worker,
    }[record.unit_id]


def test_moving_a_community_moves_its_disputes_to_its_new_subdistrict(story):
    before = dispute_facts.sums([story.subdistrict], *MARCH)[story.subdistrict.pk]
    org.update_unit(story.neighbour_community, by=story.admin, parent=story.other_subdistrict)
    after = dispute_facts.sums([story.subdistrict], *MARCH)[story.subdistrict.pk]
    assert after[DisputePart.REGISTERED] == before[DisputePart.REGISTERED] - 4
    _equal_to_the_disputes(story)
    _equals_a_rebuild()


def test_the_dashboard_shows_the_kept_figures(story, client):
    login_as(client, story.leader)
    content = client.get(
        reverse("metrics:dashboard"), {"period": "month", "on": "2026-03-01"}
    ).content.decode()
    row = re.search(r'<tr data-indicator="disputes_settled">.*?<td>([^<]*)</td>', content)
    assert row and row.group(1).strip() == str(_direct(story.district, *MARCH)["disputes_settled"])
