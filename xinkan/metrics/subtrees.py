"""The subtree sums (SubtreeMonthFact, SubtreeDayFact, SubtreeCategoryMonthFact): every fact
counted again for each unit above its unit, and for that unit itself, so that a unit's figures are
read from its own rows.

The facts say where a matter was handled (a community, a subdistrict …); the subtree tables say
what a unit's whole subtree did. They are derived from the facts only: by the same deltas as the
facts (aggregation.recompute), by SQL from the fact tables (`rebuild`), and moved along when a
unit moves in the tree or changes level (aggregation.on_unit_moved / on_unit_relevelled).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from xinkan.metrics.fact_writes import add_to_facts
from xinkan.metrics.models import (
    DailyFact,
    MonthlyFact,
    SubtreeCategoryMonthFact,
    SubtreeDayFact,
    SubtreeMonthFact,
)
from xinkan.org.models import PATH_SEGMENT_WIDTH, Unit

# (month, unit, part) and (day, unit, part)
SubtreeKey = tuple[dt.date, int, str]
# (month, unit, category, part)
CategoryKey = tuple[dt.date, int, int, str]

MONTH_FIELDS = ("month", "unit_id", "part")
DAY_FIELDS = ("day", "unit_id", "part")
CATEGORY_FIELDS = ("month", "unit_id", "category_id", "part")


def daily_levels() -> tuple[str, ...]:
    """The levels whose subtree sums are kept per day as well as per month."""
    return tuple(getattr(settings, "XINKAN_METRICS_DAILY_SUBTREE_LEVELS", ()))


def keeps_days(unit: Unit) -> bool:
    return unit.level in daily_levels()


def path_ids(path: str) -> list[int]:
    """The ids of the units on a path, top first (the path's own unit last)."""
    return [int(part) for part in path.strip("/").split("/") if part]


@dataclass
class Deltas:
    """What a change of the facts adds to each subtree table."""

    months: dict[SubtreeKey, int] = field(default_factory=lambda: defaultdict(int))
    days: dict[SubtreeKey, int] = field(default_factory=lambda: defaultdict(int))
    categories: dict[CategoryKey, int] = field(default_factory=lambda: defaultdict(int))

    def apply(self) -> None:
        add_to_facts(SubtreeMonthFact, MONTH_FIELDS, self.months)
        add_to_facts(SubtreeDayFact, DAY_FIELDS, self.days)
        add_to_facts(SubtreeCategoryMonthFact, CATEGORY_FIELDS, self.categories)


def deltas(
    monthly: Mapping[tuple[dt.date, int, int, str], int],
    daily: Mapping[tuple[dt.date, int, int, int, str], int],
) -> Deltas:
    """The subtree deltas of fact deltas keyed (month, unit, department, part) and (day, unit,
    department, category, part): each unit's delta goes to it and to every unit above it (per day
    and per category only to the units of the daily levels). Two queries, however many deltas."""
    units = {key[1] for key in monthly} | {key[1] for key in daily}
    lines = {
        pk: path_ids(path)
        for pk, path in Unit.objects.filter(pk__in=units).values_list("pk", "path")
    }
    above = {pk for line in lines.values() for pk in line}
    with_days = set(
        Unit.objects.filter(pk__in=above, level__in=daily_levels()).values_list("pk", flat=True)
    )
    result = Deltas()
    for (month, unit, _department, part), value in monthly.items():
        for ancestor in lines.get(unit, [unit]):
            result.months[(month, ancestor, part)] += value
    for (day, unit, _department, category, part), value in daily.items():
        for ancestor in lines.get(unit, [unit]):
            if ancestor in with_days:
                result.days[(day, ancestor, part)] += value
                result.categories[(day.replace(day=1), ancestor, category, part)] += value
    return result


def days_below(path: str) -> dict[SubtreeKey, int]:
    """The daily sums of the subtree at `path`, summed from the daily facts (for a unit that has
    no daily subtree rows of its own)."""
    unit_id = path_ids(path)[-1]
    rows = (
        DailyFact.objects.filter(unit__path__startswith=path)
        .values("day", "part")
        .annotate(v=Sum("value"))
        .order_by()
    )
    return {(row["day"], unit_id, row["part"]): int(row["v"]) for row in rows if row["v"]}


def category_months_below(path: str) -> dict[CategoryKey, int]:
    """The monthly sums per category of the subtree at `path`, summed from the daily facts."""
    unit_id = path_ids(path)[-1]
    rows = (
        DailyFact.objects.filter(unit__path__startswith=path)
        .annotate(month=TruncMonth("day"))
        .values("month", "category_id", "part")
        .annotate(v=Sum("value"))
        .order_by()
    )
    result: dict[CategoryKey, int] = {}
    for row in rows:
        if row["v"]:
            month = row["month"]
            if isinstance(month, dt.datetime):
                month = month.date()
            result[(month, unit_id, row["category_id"], row["part"])] = int(row["v"])
    return result


def _segment(depth: int) -> str:
    """SQL for the id of a unit's ancestor at `depth` (0: the root), cut from its path."""
    start = depth * (PATH_SEGMENT_WIDTH + 1) + 1
    return f"CAST(SUBSTR(u.path, {start}, {PATH_SEGMENT_WIDTH}) AS BIGINT)"


TABLES = (SubtreeMonthFact, SubtreeDayFact, SubtreeCategoryMonthFact)


def rebuild(unit_model: type[Unit] = Unit) -> dict[str, int]:
    """Recompute the subtree tables from the fact tables (the caller holds the lock, inside a
    transaction); the number of rows of each, by table. `unit_model`: the migration that made the
    tables passes its own."""
    month_table, day_table, category_table = (model._meta.db_table for model in TABLES)
    with connection.cursor() as cursor:
        for table in (month_table, day_table, category_table):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    fill(
        daily=DailyFact._meta.db_table,
        monthly=MonthlyFact._meta.db_table,
        subtree_month=month_table,
        subtree_day=day_table,
        subtree_category=category_table,
        unit_model=unit_model,
    )
    counts = {}
    with connection.cursor() as cursor:
        for table in (month_table, day_table, category_table):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            counts[table] = int(cursor.fetchone()[0])
    return counts


def fill(
    *,
    daily: str,
    monthly: str,
    subtree_month: str,
    subtree_day: str,
    subtree_category: str | None,
    unit_model: type[Unit] = Unit,
) -> None:
    """The subtree rows summed from the fact tables `daily` and `monthly` into the (empty) tables
    `subtree_month`, `subtree_day` and `subtree_category` (unless None): one grouped INSERT …
    SELECT per depth of the tree, every fact row counted once for its ancestor at that depth."""
    unit_table = unit_model._meta.db_table
    levels = daily_levels()
    deepest = unit_model.objects.order_by("-depth").values_list("depth", flat=True).first()
    day_depths = set(
        unit_model.objects.filter(level__in=levels)
        .values_list("depth", flat=True)
        .distinct()
        .order_by()
    )
    with connection.cursor() as cursor:
        for depth in range(0, (deepest if deepest is not None else -1) + 1):
            ancestor = _segment(depth)
            cursor.execute(
                f"""
                INSERT INTO {subtree_month} (month, unit_id, part, value)
                SELECT f.month, {ancestor}, f.part, SUM(f.value)
                FROM {monthly} f JOIN {unit_table} u ON u.id = f.unit_id
                WHERE u.depth >= %s
                GROUP BY f.month, {ancestor}, f.part
                HAVING SUM(f.value) <> 0
                """,  # noqa: S608 - table names and SQL from the code; the depth a parameter
                [depth],
            )
            if depth not in day_depths:
                continue
            marks = ", ".join(["%s"] * len(levels))
            cursor.execute(
                f"""
                INSERT INTO {subtree_day} (day, unit_id, part, value)
                SELECT f.day, a.id, f.part, SUM(f.value)
                FROM {daily} f
                JOIN {unit_table} u ON u.id = f.unit_id
                JOIN {unit_table} a ON a.id = {ancestor}
                WHERE u.depth >= %s AND a.level IN ({marks})
                GROUP BY f.day, a.id, f.part
                HAVING SUM(f.value) <> 0
                """,  # noqa: S608 - table names and SQL from the code; values are parameters
                [depth, *levels],
            )
    if subtree_category is not None:
        fill_categories(daily=daily, subtree_category=subtree_category, unit_model=unit_model)


def month_of(column: str) -> str:
    """SQL for the first day of the month of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"date({column}, 'start of month')"


def fill_categories(*, daily: str, subtree_category: str, unit_model: type[Unit] = Unit) -> None:
    """The monthly subtree sums per category of the units of the daily levels, into the (empty)
    table `subtree_category`: the daily facts summed by month once (a temporary table, a fraction
    of their size), then one grouped INSERT … SELECT per depth that has such units."""
    unit_table = unit_model._meta.db_table
    levels = daily_levels()
    depths = sorted(
        unit_model.objects.filter(level__in=levels)
        .values_list("depth", flat=True)
        .distinct()
        .order_by()
    )
    if not depths:
        return
    marks = ", ".join(["%s"] * len(levels))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS metrics_category_months")
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE metrics_category_months AS
            SELECT {month_of("f.day")} AS month, f.unit_id, f.category_id, f.part,
                   SUM(f.value) AS value
            FROM {daily} f
            GROUP BY {month_of("f.day")}, f.unit_id, f.category_id, f.part
            """  # noqa: S608 - table names and SQL from the code, no input
        )
        for depth in depths:
            ancestor = _segment(depth)
            cursor.execute(
                f"""
                INSERT INTO {subtree_category} (month, unit_id, category_id, part, value)
                SELECT f.month, a.id, f.category_id, f.part, SUM(f.value)
                FROM metrics_category_months f
                JOIN {unit_table} u ON u.id = f.unit_id
                JOIN {unit_table} a ON a.id = {ancestor}
                WHERE u.depth >= %s AND a.level IN ({marks})
                GROUP BY f.month, a.id, f.category_id, f.part
                HAVING SUM(f.value) <> 0
                """,  # noqa: S608 - table names and SQL from the code; values are parameters
                [depth, *levels],
            )
        cursor.execute("DROP TABLE metrics_category_months")
