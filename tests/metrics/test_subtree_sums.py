"""The subtree sums: each unit's rows equal the facts below it, and stay so when the tree changes
(a unit moves, a unit changes level) — always equal to a rebuild from scratch."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum

from tests import factories
from tests.matters import factories as mf
from tests.metrics.helpers import local, snapshot
from xinkan.matters import services
from xinkan.matters.models import Channel, Outcome, Rating
from xinkan.metrics import aggregation, selectors
from xinkan.metrics.models import (
    DailyFact,
    Part,
    SubtreeCategoryMonthFact,
    SubtreeDayFact,
    SubtreeMonthFact,
)
from xinkan.metrics.periods import Period
from xinkan.org import services as org
from xinkan.org.models import Level
from xinkan.org.roles import Role

pytestmark = pytest.mark.django_db

MARCH = Period.containing("month", dt.date(2026, 3, 1))
# Whole February and half of March: a month from the monthly rows, days from the daily ones.
CUSTOM = Period("custom", dt.date(2026, 2, 1), dt.date(2026, 3, 15))


@pytest.fixture(autouse=True)
def no_lag(settings):  # type: ignore[no-untyped-def]
    settings.XINKAN_METRICS_LAG_SECONDS = 0


def _matters(cast, *grids) -> None:  # type: ignore[no-untyped-def]
    """Two matters per grid on 2 and 10 March (a lift and a leak), the first answered and
    followed up."""
    cadre = factories.member(
        Role.SUBDISTRICT_CADRE, unit=cast.district, username="districtcadre", display_name="孙强"
    )
    for number, grid in enumerate(grids):
        for day in (2, 10):
            with time_machine.travel(local(2026, 3, day, 9, 0), tick=False):
                matter = mf.matter(
                    grid,
                    None,
                    channel=Channel.ONLINE,
                    contact_phone=f"1390{day:02d}{number:05d}",
                    category=mf.category() if day == 2 else mf.category("property.leak", "漏水"),
                )
            if day == 2:
                with time_machine.travel(local(2026, 3, 3, 9, 0), tick=False):
                    services.handle_by_unit(matter, by=cadre)
                    services.reply_to_matter(
                        matter, by=cadre, text=mf.REPLY, outcome=Outcome.SUPPORTED
                    )
                    services.record_follow_up(
                        matter, rating=Rating.SATISFIED, by=cadre, contacted=True
                    )
    aggregation.refresh()


def _equals_a_rebuild() -> None:
    kept = snapshot()
    aggregation.rebuild()
    assert snapshot() == kept


def test_each_units_subtree_rows_are_the_facts_below_it(cast):
    _matters(cast, cast.grid, cast.neighbour_grid, cast.other_grid)
    for unit in (cast.district, cast.subdistrict, cast.community, cast.other_subdistrict):
        below = DailyFact.objects.filter(
            unit__path__startswith=unit.path, part=Part.REGISTERED
        ).aggregate(v=Sum("value"))["v"]
        month = SubtreeMonthFact.objects.filter(unit=unit, part=Part.REGISTERED).aggregate(
            v=Sum("value")
        )["v"]
        assert month == below
    assert cast.community.level not in aggregation.subtrees.daily_levels()
    assert not SubtreeDayFact.objects.filter(unit=cast.community).exists()
    assert (
        SubtreeDayFact.objects.filter(unit=cast.subdistrict, part=Part.REGISTERED).aggregate(
            v=Sum("value")
        )["v"]
        == 4
    )
    _equals_a_rebuild()


def _category_sums_below(unit, categories, period):  # type: ignore[no-untyped-def]
    """A unit's sums of these categories over a period, straight from the daily facts."""
    rows = DailyFact.objects.filter(
        unit__path__startswith=unit.path,
        category_id__in=categories,
        day__gte=period.start,
        day__lte=period.end,
    )
    return {
        row["part"]: row["v"] for row in rows.values("part").annotate(v=Sum("value")).order_by()
    }


def test_the_units_of_the_daily_levels_keep_their_sums_per_category_and_month(cast):
    _matters(cast, cast.grid, cast.neighbour_grid, cast.other_grid)
    lift = mf.category().pk
    rows = SubtreeCategoryMonthFact.objects.filter(part=Part.REGISTERED)
    assert {(row.unit_id, row.category_id, row.value) for row in rows} == {
        (cast.district.pk, lift, 3),
        (cast.district.pk, mf.category("property.leak").pk, 3),
        (cast.subdistrict.pk, lift, 2),
        (cast.subdistrict.pk, mf.category("property.leak").pk, 2),
        (cast.other_subdistrict.pk, lift, 1),
        (cast.other_subdistrict.pk, mf.category("property.leak").pk, 1),
    }
    assert {row.month for row in rows} == {dt.date(2026, 3, 1)}
    # A category's figures, at every level and for a period of whole months and days, are those
    # of the daily facts under the unit.
    _category, ids = selectors.category_filter(mf.category("property").pk)
    _category, leak = selectors.category_filter(mf.category("property.leak").pk)
    for unit in (cast.district, cast.subdistrict, cast.community, cast.grid):
        for period in (MARCH, CUSTOM, Period("custom", dt.date(2026, 3, 5), dt.date(2026, 4, 30))):
            for categories in (ids, leak):
                assert selectors.part_sums(
                    unit, period, categories=categories
                ) == _category_sums_below(unit, categories, period)
    trend = selectors.monthly_trend(cast.district, dt.date(2026, 3, 1), categories=leak)
    assert trend[-1][1] == _category_sums_below(cast.district, leak, MARCH)
    assert trend[-1][1][Part.REGISTERED] == 3
    _equals_a_rebuild()


def test_a_custom_period_adds_months_and_days_for_every_level(cast):
    _matters(cast, cast.grid, cast.neighbour_grid, cast.other_grid)
    for unit in (cast.district, cast.subdistrict, cast.community, cast.grid):
        # Up to 15 March: the matters of 2 and 10 March; the whole month has the same here.
        custom = selectors.part_sums(unit, CUSTOM)
        assert custom == selectors.part_sums(unit, MARCH)
        later = selectors.part_sums(
            unit, Period("custom", dt.date(2026, 3, 5), dt.date(2026, 3, 31))
        )
        assert later.get(Part.REGISTERED, 0) == custom.get(Part.REGISTERED, 0) // 2
    assert selectors.part_sums(cast.district, CUSTOM)[Part.REGISTERED] == 6


def test_moving_a_community_moves_its_sums_to_its_new_subdistrict(cast):
    _matters(cast, cast.grid, cast.neighbour_grid, cast.other_grid)
    assert selectors.part_sums(cast.subdistrict, MARCH)[Part.REGISTERED] == 4
    org.update_unit(cast.neighbour_community, by=cast.admin, parent=cast.other_subdistrict)
    assert selectors.part_sums(cast.subdistrict, MARCH)[Part.REGISTERED] == 2
    assert selectors.part_sums(cast.other_subdistrict, MARCH)[Part.REGISTERED] == 4
    assert selectors.part_sums(cast.other_subdistrict, CUSTOM)[Part.SATISFIED] == 2
    assert selectors.part_sums(cast.district, MARCH)[Part.REGISTERED] == 6
    _category, lift = selectors.category_filter(mf.category().pk)
    moved = selectors.part_sums(cast.other_subdistrict, MARCH, categories=lift)
    assert moved == _category_sums_below(cast.other_subdistrict, lift, MARCH)
    assert moved[Part.REGISTERED] == 2
    _equals_a_rebuild()


def test_moving_a_subdistrict_to_another_district(cast):
    _matters(cast, cast.grid, cast.neighbour_grid, cast.other_grid)
    elsewhere = factories.unit("长安区", Level.DISTRICT, code="139902")
    org.update_unit(cast.other_subdistrict, by=None, parent=elsewhere)
    assert selectors.part_sums(cast.district, CUSTOM)[Part.REGISTERED] == 4
    assert selectors.part_sums(elsewhere, CUSTOM)[Part.REGISTERED] == 2
    _equals_a_rebuild()


def test_a_unit_that_changes_level_keeps_daily_rows_only_at_the_daily_levels(cast):
    lone = factories.unit("新城街道", Level.SUBDISTRICT, cast.district, code="139901009")
    lone_grid = factories.unit("新城第一网格", Level.GRID, lone, code="13990100900101")
    _matters(cast, lone_grid)
    assert SubtreeDayFact.objects.filter(unit=lone).exists()
    assert SubtreeCategoryMonthFact.objects.filter(unit=lone).exists()
    org.update_unit(lone, by=cast.admin, level=Level.COMMUNITY)
    assert not SubtreeDayFact.objects.filter(unit=lone).exists()
    assert not SubtreeCategoryMonthFact.objects.filter(unit=lone).exists()
    assert selectors.part_sums(lone, CUSTOM)[Part.REGISTERED] == 2
    _equals_a_rebuild()
    org.update_unit(lone, by=cast.admin, level=Level.SUBDISTRICT)
    assert SubtreeDayFact.objects.filter(unit=lone).exists()
    assert SubtreeCategoryMonthFact.objects.filter(unit=lone).exists()
    _equals_a_rebuild()


def test_the_dashboard_of_a_district_reads_no_fact_rows(cast, django_assert_max_num_queries):
    """A district's dashboard for a month: its own subtree rows and its children's, a fixed
    number of queries whatever the number of matters."""
    _matters(cast, cast.grid, cast.neighbour_grid, cast.other_grid)
    with django_assert_max_num_queries(12):
        board = selectors.dashboard(cast.district, MARCH)
    assert board.current.parts[Part.REGISTERED] == 6
    assert [figures.parts.get(Part.REGISTERED) for _unit, figures in board.children] == [4, 2]
    assert board.trend[-1][1].parts[Part.REGISTERED] == 6


def test_rebuilding_the_subtrees_alone_gives_the_same_rows(cast, settings):
    _matters(cast, cast.grid, cast.other_grid)
    kept = snapshot()
    assert aggregation.rebuild_subtrees() == {
        SubtreeMonthFact._meta.db_table: len(kept["subtree_monthly"]),
        SubtreeDayFact._meta.db_table: len(kept["subtree_daily"]),
        SubtreeCategoryMonthFact._meta.db_table: len(kept["subtree_categories"]),
    }
    assert snapshot() == kept
    # Another choice of daily levels takes effect with the rebuild.
    settings.XINKAN_METRICS_DAILY_SUBTREE_LEVELS = ["district", "subdistrict", "community"]
    aggregation.rebuild_subtrees()
    assert SubtreeDayFact.objects.filter(unit=cast.community).exists()


def test_the_command_rebuilds_the_subtrees_alone(cast):
    _matters(cast, cast.grid)
    kept = snapshot()
    SubtreeMonthFact.objects.all().delete()
    SubtreeCategoryMonthFact.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_metrics", "--subtrees", stdout=out)
    assert "subtree rows" in out.getvalue()
    assert snapshot() == kept
