"""The subtree sums (SubtreeMonthFact, SubtreeDayFact): every fact counted again for each unit
above its unit, and for that unit itself, so that a unit's figures are read from its own rows.

The facts say where a matter was handled (a community, a subdistrict …); the subtree tables say
what a unit's whole subtree did. They are derived from the facts only: by the same deltas as the
facts (aggregation.recompute), by SQL from the fact tables (`rebuild`), and moved along when a
unit moves in the tree or changes level (aggregation.on_unit_moved / on_unit_relevelled).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping

from django.conf import settings
from django.db import connection
from django.db.models import Sum

from xinkan.metrics.models import DailyFact, MonthlyFact, SubtreeDayFact, SubtreeMonthFact
from xinkan.org.models import PATH_SEGMENT_WIDTH, Unit

# (month, unit, part) and (day, unit, part)
SubtreeKey = tuple[dt.date, int, str]

MONTH_FIELDS = ("month", "unit_id", "part")
DAY_FIELDS = ("day", "unit_id", "part")


def daily_levels() -> tuple[str, ...]:
    """The levels whose subtree sums are kept per day as well as per month."""
    return tuple(getattr(settings, "XINKAN_METRICS_DAILY_SUBTREE_LEVELS", ()))


def keeps_days(unit: Unit) -> bool:
    return unit.level in daily_levels()


def path_ids(path: str) -> list[int]:
    """The ids of the units on a path, top first (the path's own unit last)."""
    return [int(part) for part in path.strip("/").split("/") if part]


def deltas(
    monthly: Mapping[tuple[dt.date, int, int, str], int],
    daily: Mapping[tuple[dt.date, int, int, int, str], int],
) -> tuple[dict[SubtreeKey, int], dict[SubtreeKey, int]]:
    """The subtree deltas of fact deltas keyed (month, unit, department, part) and (day, unit,
    department, category, part): each unit's delta goes to it and to every unit above it (per day
    only to the units of the daily levels). Two queries, however many deltas."""
    units = {key[1] for key in monthly} | {key[1] for key in daily}
    lines = {
        pk: path_ids(path)
        for pk, path in Unit.objects.filter(pk__in=units).values_list("pk", "path")
    }
    above = {pk for line in lines.values() for pk in line}
    with_days = set(
        Unit.objects.filter(pk__in=above, level__in=daily_levels()).values_list("pk", flat=True)
    )
    month_deltas: dict[SubtreeKey, int] = defaultdict(int)
    for (month, unit, _department, part), value in monthly.items():
        for ancestor in lines.get(unit, [unit]):
            month_deltas[(month, ancestor, part)] += value
    day_deltas: dict[SubtreeKey, int] = defaultdict(int)
    for (day, unit, _department, _category, part), value in daily.items():
        for ancestor in lines.get(unit, [unit]):
            if ancestor in with_days:
                day_deltas[(day, ancestor, part)] += value
    return month_deltas, day_deltas


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


def _segment(depth: int) -> str:
    """SQL for the id of a unit's ancestor at `depth` (0: the root), cut from its path."""
    start = depth * (PATH_SEGMENT_WIDTH + 1) + 1
    return f"CAST(SUBSTR(u.path, {start}, {PATH_SEGMENT_WIDTH}) AS BIGINT)"


def rebuild(unit_model: type[Unit] = Unit) -> tuple[int, int]:
    """Recompute both subtree tables from the fact tables (the caller holds the lock, inside a
    transaction); the number of monthly and daily rows. `unit_model`: the migration that made the
    tables passes its own."""
    month_table = SubtreeMonthFact._meta.db_table
    day_table = SubtreeDayFact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {month_table}")  # noqa: S608
        cursor.execute(f"DELETE FROM {day_table}")  # noqa: S608
    fill(
        daily=DailyFact._meta.db_table,
        monthly=MonthlyFact._meta.db_table,
        subtree_month=month_table,
        subtree_day=day_table,
        unit_model=unit_model,
    )
    with connection.cursor() as cursor:
        counts = []
        for table in (month_table, day_table):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            counts.append(int(cursor.fetchone()[0]))
    return counts[0], counts[1]


def fill(
    *,
    daily: str,
    monthly: str,
    subtree_month: str,
    subtree_day: str,
    unit_model: type[Unit] = Unit,
) -> None:
    """The subtree rows summed from the fact tables `daily` and `monthly` into the (empty) tables
    `subtree_month` and `subtree_day`: one grouped INSERT … SELECT per depth of the tree, every
    fact row counted once for its ancestor at that depth."""
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
