"""Each indicator's definition on hand-made cases, made through the matters services."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.matters import factories as mf
from tests.metrics.helpers import local
from xinkan.matters import services
from xinkan.matters.models import Outcome, Rating
from xinkan.metrics import aggregation, definitions, selectors
from xinkan.metrics.models import Part
from xinkan.metrics.periods import Period

pytestmark = pytest.mark.django_db

MARCH = Period.containing("month", dt.date(2026, 3, 1))
APRIL = Period.containing("month", dt.date(2026, 4, 1))


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0


def test_rates_without_follow_ups_are_undefined_not_zero():
    values = definitions.evaluate({Part.REGISTERED: 3})
    for key in ("response_rate", "resolution_rate", "satisfaction_rate", "composite"):
        assert values[key] is None
    assert values["on_time_rate"] is None and values["average_days"] is None
    assert values["registered"] == 3


def test_the_three_rates_weigh_mostly_satisfied_and_make_the_composite(settings):
    parts = {
        Part.FOLLOW_UPS: 10,
        Part.CONTACTED: 9,
        Part.SOLVED: 8,
        Part.SATISFIED: 6,
        Part.MOSTLY: 2,
    }
    values = definitions.evaluate(parts)
    assert values["response_rate"] == pytest.approx(0.9)
    assert values["resolution_rate"] == pytest.approx(0.8)
    assert values["satisfaction_rate"] == pytest.approx((6 + 0.9 * 2) / 10)
    assert values["composite"] == pytest.approx(0.1 * 0.9 + 0.5 * 0.8 + 0.4 * 0.78)
    settings.XINKAN_METRICS_MOSTLY_WEIGHT = 0.5
    settings.XINKAN_METRICS_WEIGHTS = {"response": 0.3, "resolution": 0.35, "satisfaction": 0.35}
    values = definitions.evaluate(parts)
    assert values["satisfaction_rate"] == pytest.approx(0.7)
    assert values["composite"] == pytest.approx(0.3 * 0.9 + 0.35 * 0.8 + 0.35 * 0.7)


def test_the_four_classes_follow_the_thresholds():
    assert definitions.rank_class(0.95, 0.5) == definitions.RankClass.ADVANCED
    assert definitions.rank_class(0.55, None) == definitions.RankClass.GOVERNANCE
    assert definitions.rank_class(0.70, 0.60) == definitions.RankClass.RECTIFICATION
    assert definitions.rank_class(0.85, 0.78) == definitions.RankClass.IMPROVING
    assert definitions.rank_class(0.85, 0.84) == ""
    assert definitions.rank_class(None, 0.9) == ""


def test_a_matter_spanning_periods_counts_each_part_in_its_own_month(cast):
    with time_machine.travel(local(2026, 3, 30, 9, 0), tick=False):
        matter = mf.handling(cast)
    with time_machine.travel(local(2026, 4, 2, 9, 0), tick=False):
        services.reply_to_matter(matter, by=cast.handler, text=mf.REPLY, outcome=Outcome.SUPPORTED)
        services.record_follow_up(matter, rating=Rating.MOSTLY, by=cast.community_worker)
    aggregation.refresh()
    march = selectors.part_sums(cast.community, MARCH)
    april = selectors.part_sums(cast.community, APRIL)
    assert march == {Part.REGISTERED: 1}
    assert april[Part.RESOLVED] == 1 and april[Part.ON_TIME] == 1
    assert april[Part.FOLLOW_UPS] == 1 and april[Part.MOSTLY] == 1 and april[Part.SOLVED] == 1
    assert april[Part.RESOLVE_SECONDS] == 3 * 86400
    values = definitions.evaluate(april)
    assert values["average_days"] == pytest.approx(3.0)
    assert values["satisfaction_rate"] == pytest.approx(0.9)
    # The department's own figures: the answer was its (dispatched, lead).
    department = selectors.part_sums(cast.department, APRIL)
    assert department[Part.FOLLOW_UPS] == 1 and department[Part.RESOLVED] == 1
    assert Part.REGISTERED not in department


def test_after_a_review_the_level_above_answers_for_what_it_handled(cast):
    """Transfers between units: the community's answer and rating count for the community, the
    review's answer, rating and resolution for the subdistrict that handled it then."""
    with time_machine.travel(local(2026, 3, 3, 9, 0), tick=False):
        matter = mf.replied(cast)
        services.request_review(matter, by=cast.community_worker, reason="居民认为电梯仍未修好")
        services.decide_review(
            matter,
            by=cast.cadre,
            text="经复查，责令物业一周内修复电梯。",
            outcome=Outcome.SUPPORTED,
        )
        services.record_follow_up(matter, rating=Rating.SATISFIED, by=cast.community_worker)
    aggregation.refresh()
    community = selectors.part_sums(cast.community, MARCH)
    neighbour = selectors.part_sums(cast.neighbour_community, MARCH)
    subdistrict = selectors.part_sums(cast.subdistrict, MARCH)
    assert community[Part.FOLLOW_UPS] == 1 and Part.SOLVED not in community  # dissatisfied
    assert community[Part.REWORKED] == 1 and community[Part.ANSWERED] == 1
    assert Part.RESOLVED not in community
    # The subdistrict's own rows (its subtree minus its communities) hold the review's results.
    own = {
        part: subdistrict.get(part, 0) - community.get(part, 0) - neighbour.get(part, 0)
        for part in subdistrict
    }
    assert own[Part.RESOLVED] == 1 and own[Part.FOLLOW_UPS] == 1 and own[Part.SATISFIED] == 1
    assert subdistrict[Part.FOLLOW_UPS] == 2


def test_overdue_supervised_and_late_resolution(cast):
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        matter = mf.handling(cast)
    with time_machine.travel(local(2026, 6, 1, 9, 0), tick=False):
        services.sweep_all()
        services.reply_to_matter(matter, by=cast.handler, text=mf.REPLY, outcome=Outcome.SUPPORTED)
        services.record_follow_up(matter, rating=Rating.SATISFIED, by=cast.community_worker)
    aggregation.refresh()
    spring = Period("custom", dt.date(2026, 3, 1), dt.date(2026, 6, 30))
    sums = selectors.part_sums(cast.community, spring)
    assert sums[Part.OVERDUE] == 1 and sums[Part.SUPERVISED] == 1
    assert sums[Part.RESOLVED] == 1 and Part.ON_TIME not in sums
    assert definitions.evaluate(sums)["on_time_rate"] == 0


def test_repeat_and_skip_level_visits_are_counted_once_per_matter(cast):
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        matter = mf.matter(cast.grid, cast.grid_worker)
        for _ in range(2):
            again = services.register_matter(
                mf.intake(cast.grid, description=matter.description + "又来反映。"),
                by=cast.cadre,  # the subdistrict: a level above the community
            )
            assert again.folded
    aggregation.refresh()
    sums = selectors.part_sums(cast.district, MARCH)
    assert sums[Part.REGISTERED] == 1
    assert sums[Part.REPEAT] == 1
    assert sums[Part.SKIP_LEVEL] == 1


def test_periods_split_into_whole_months_and_days():
    period = Period("custom", dt.date(2026, 1, 20), dt.date(2026, 4, 10))
    months, ranges = period.split()
    assert months == [dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert ranges == [
        (dt.date(2026, 1, 20), dt.date(2026, 1, 31)),
        (dt.date(2026, 4, 1), dt.date(2026, 4, 10)),
    ]
    assert Period.containing("quarter", dt.date(2026, 5, 5)) == Period(
        "quarter", dt.date(2026, 4, 1), dt.date(2026, 6, 30)
    )
    assert Period.containing("week", dt.date(2026, 3, 4)).start == dt.date(2026, 3, 2)
    assert Period.containing("month", dt.date(2026, 3, 4)).previous().start == dt.date(2026, 2, 1)
    assert period.previous() == Period("custom", dt.date(2025, 10, 31), dt.date(2026, 1, 19))
