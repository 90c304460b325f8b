"""Reads of the performance figures, always within the reader's scope.

A unit's figures are those of its whole subtree (docs/metrics.md): its own rows of the subtree
tables (whole months from `SubtreeMonthFact`, the days left over from `SubtreeDayFact`, or from the
`DailyFact` rows under it, a path prefix, below the daily levels). A department's are the fact rows
with its key. Figures for a category (and the categories below it): a unit of the daily levels reads
its whole months from `SubtreeCategoryMonthFact`; all other days and units read `DailyFact`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth
from django.http import Http404

from xinkan.audit import services as audit
from xinkan.matters.models import Category
from xinkan.metrics import definitions, providers, subtrees
from xinkan.metrics.models import (
    DailyFact,
    MatterPart,
    MonthlyFact,
    Part,
    SubtreeCategoryMonthFact,
    SubtreeDayFact,
    SubtreeMonthFact,
)
from xinkan.metrics.periods import Period, add_months
from xinkan.org.models import LEVEL_RANK, PATH_SEGMENT_WIDTH, Department, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User

Target = Unit | Department
PartSums = dict[str, int]
# A category filter: the ids of a category and of every category below it; None for all.
Categories = Sequence[int] | None


# --- Access ----------------------------------------------------------------------------------------


def _refuse(user: User, data: dict[str, Any]) -> Http404:
    audit.record_failure(actor=user, action="metrics.view_denied", data=data)
    return Http404()


def default_target(user: User) -> Target:
    """The user's own top unit, or their department; 404 (audited) for someone with neither."""
    scope = get_scope(user)
    roots = scope.root_units(Perm.METRICS_VIEW)
    if roots:
        return roots[0]
    departments = sorted(scope.department_ids(Perm.METRICS_VIEW))
    if departments:
        return Department.objects.select_related("unit").get(pk=departments[0])
    raise _refuse(user, {"reason": "no scope"})


def get_target(user: User, *, unit_id: Any = None, department_id: Any = None) -> Target:
    """The unit or department asked for, if the user may see its figures; 404 (the same for
    "not yours" and "does not exist"), with the refusal audited, otherwise."""
    scope = get_scope(user)
    if not unit_id and not department_id:
        return default_target(user)
    try:
        if department_id:
            department = (
                Department.objects.select_related("unit").filter(pk=int(department_id)).first()
            )
            if department and scope.covers_department(department, Perm.METRICS_VIEW):
                return department
        else:
            unit = Unit.objects.filter(pk=int(unit_id)).first()
            if unit and scope.covers_unit(unit, Perm.METRICS_VIEW):
                return unit
    except (TypeError, ValueError):
        pass
    raise _refuse(user, {"unit": str(unit_id or ""), "department": str(department_id or "")})


def category_filter(category_id: Any) -> tuple[Category | None, Categories]:
    """The category asked for (?category=<id>) and the ids it stands for: itself and every
    category below it. Nothing (all categories) for an empty or unknown id."""
    try:
        wanted = int(category_id)
    except (TypeError, ValueError):
        return None, None
    # The tree is a few dozen rows: read whole, walked here (any depth).
    rows = list(Category.objects.values_list("pk", "parent_id"))
    if wanted not in {pk for pk, _parent in rows}:
        return None, None
    below: dict[int, list[int]] = defaultdict(list)
    for pk, parent in rows:
        if parent is not None:
            below[parent].append(pk)
    ids, todo = [], [wanted]
    while todo:
        current = todo.pop()
        ids.append(current)
        todo.extend(below[current])
    return Category.objects.get(pk=wanted), tuple(sorted(ids))


# --- Sums of parts ---------------------------------------------------------------------------------


def _target_q(target: Target, *, unit_field: str = "unit") -> Q:
    if isinstance(target, Department):
        return Q(department_key=target.pk)
    return Q(**{f"{unit_field}__path__startswith": target.path})


def _period_querysets(
    target_q: Q, period: Period, categories: Categories = None
) -> list[QuerySet[Any]]:
    """The fact rows of the period: whole months from the monthly table (unless a category is
    asked for: the monthly table has none), the other days from the daily table."""
    months, ranges = period.split()
    if categories is not None:
        ranges, months = [(period.start, period.end)], []
    querysets: list[QuerySet[Any]] = []
    if months:
        querysets.append(MonthlyFact.objects.filter(target_q, month__in=months))
    if ranges:
        daily = DailyFact.objects.filter(target_q, _days_q(ranges))
        if categories is not None:
            daily = daily.filter(category_id__in=list(categories))
        querysets.append(daily)
    return querysets


def _days_q(ranges: Sequence[tuple[dt.date, dt.date]]) -> Q:
    return Q(*[Q(day__gte=a, day__lte=b) for a, b in ranges], _connector=Q.OR)


def _common_parent(units: Sequence[Unit]) -> str:
    """The longest path above every one of these units (whole segments): the prefix that selects
    all their subtrees at once."""
    step = PATH_SEGMENT_WIDTH + 1
    parents = [unit.path[: len(unit.path) - step] for unit in units]
    common = parents[0]
    for path in parents[1:]:
        while not path.startswith(common):
            common = common[: len(common) - step]
    return common


def _sums_from_daily_facts(
    units: Sequence[Unit], ranges: Sequence[tuple[dt.date, dt.date]], categories: Categories
) -> dict[int, PartSums]:
    """Each unit's subtree sums over these days, from the daily facts (a category is there, and
    the units below the daily levels have no daily subtree rows): one grouped query per depth, by
    each fact's path cut at the units' width."""
    result: dict[int, PartSums] = {}
    by_width: dict[int, list[Unit]] = defaultdict(list)
    for unit in units:
        by_width[len(unit.path)].append(unit)
    for width, group in by_width.items():
        by_path = {unit.path: unit.pk for unit in group}
        rows = DailyFact.objects.filter(
            _days_q(ranges), unit__path__startswith=_common_parent(group)
        )
        if categories is not None:
            rows = rows.filter(category_id__in=list(categories))
        if len(group) == 1:
            rows = rows.filter(unit__path__startswith=group[0].path)
        grouped = (
            rows.annotate(prefix=Substr("unit__path", 1, width))
            .values("prefix", "part")
            .annotate(v=Sum("value"))
            .order_by()
        )
        for row in grouped:
            unit_id = by_path.get(str(row["prefix"]))
            if unit_id is not None:
                sums = result.setdefault(unit_id, {})
                sums[row["part"]] = sums.get(row["part"], 0) + int(row["v"] or 0)
    return result


def _add(into: dict[int, PartSums], more: dict[int, PartSums]) -> None:
    for unit_id, parts in more.items():
        sums = into.get(unit_id)
        if not sums:
            into[unit_id] = parts
            continue
        for part, value in parts.items():
            sums[part] = sums.get(part, 0) + value


def subtree_sums(
    units: Sequence[Unit], period: Period, *, categories: Categories = None
) -> dict[int, PartSums]:
    """Each unit's whole-subtree sums over a period. Whole months from the monthly subtree rows
    (per category for a category filter), the other days from the daily subtree rows; units below
    the daily levels (which have neither daily nor per-category rows) and the days of a category
    from the daily facts — one grouped query per table, however many units."""
    result: dict[int, PartSums] = {unit.pk: {} for unit in units}
    if not units:
        return result
    months, ranges = period.split()
    daily_levels = subtrees.daily_levels()
    kept = [unit for unit in units if unit.level in daily_levels]
    others = [unit for unit in units if unit.level not in daily_levels]
    kept_ids = [unit.pk for unit in kept]
    grouped: list[QuerySet[Any]] = []
    if categories is not None:
        if others:
            _add(result, _sums_from_daily_facts(others, [(period.start, period.end)], categories))
        if kept and months:
            grouped.append(
                SubtreeCategoryMonthFact.objects.filter(
                    unit_id__any_of=kept_ids, month__in=months, category_id__in=list(categories)
                )
            )
        if kept and ranges:
            _add(result, _sums_from_daily_facts(kept, ranges, categories))
    else:
        if months:
            grouped.append(
                SubtreeMonthFact.objects.filter(
                    unit_id__any_of=[unit.pk for unit in units], month__in=months
                )
            )
        if ranges and kept:
            grouped.append(SubtreeDayFact.objects.filter(_days_q(ranges), unit_id__any_of=kept_ids))
        if ranges and others:
            _add(result, _sums_from_daily_facts(others, ranges, None))
    for queryset in grouped:
        _add(result, _pivoted(queryset))
    return result


# One column per part: a row per unit rather than a row per (unit, part) — sixteen times fewer
# rows to send and read for a ranking of thousands.
_PARTS = tuple(Part.values)
_PIVOT = {f"sum_{part}": Sum("value", filter=Q(part=part)) for part in _PARTS}


def _pivoted(queryset: QuerySet[Any]) -> dict[int, PartSums]:
    """The rows' sums per unit and part."""
    rows = queryset.values("unit_id").annotate(**_PIVOT).order_by().values_list("unit_id", *_PIVOT)
    return {
        unit_id: {part: int(value) for part, value in zip(_PARTS, values, strict=True) if value}
        for unit_id, *values in rows
    }


def part_sums(target: Target, period: Period, *, categories: Categories = None) -> PartSums:
    if isinstance(target, Unit):
        return subtree_sums([target], period, categories=categories)[target.pk]
    sums: PartSums = defaultdict(int)
    for queryset in _period_querysets(_target_q(target), period, categories):
        for row in queryset.values("part").annotate(v=Sum("value")).order_by():
            sums[row["part"]] += int(row["v"] or 0)
    return dict(sums)


def monthly_trend(
    target: Target, last_month: dt.date, months: int = 12, *, categories: Categories = None
) -> list[tuple[dt.date, PartSums]]:
    """The part sums of each of `months` months up to `last_month`: a unit's from its monthly
    subtree rows (per category for a category filter, at the daily levels), a department's from
    the monthly facts, and for a category otherwise from the daily facts summed by month."""
    first = add_months(last_month, -(months - 1))
    wanted = [add_months(first, i) for i in range(months)]
    sums: dict[dt.date, PartSums] = {month: {} for month in wanted}
    rows: Iterable[dict[str, Any]]
    if categories is not None and isinstance(target, Unit) and subtrees.keeps_days(target):
        rows = (
            SubtreeCategoryMonthFact.objects.filter(
                unit_id=target.pk,
                category_id__in=list(categories),
                month__gte=first,
                month__lte=wanted[-1],
            )
            .values("month", "part")
            .annotate(v=Sum("value"))
            .order_by()
        )
    elif categories is None:
        table: QuerySet[Any] = (
            SubtreeMonthFact.objects.filter(unit_id=target.pk)
            if isinstance(target, Unit)
            else MonthlyFact.objects.filter(_target_q(target))
        )
        rows = (
            table.filter(month__gte=first, month__lte=wanted[-1])
            .values("month", "part")
            .annotate(v=Sum("value"))
            .order_by()
        )
    else:
        rows = (
            DailyFact.objects.filter(
                _target_q(target),
                category_id__in=list(categories),
                day__gte=first,
                day__lt=add_months(last_month, 1),
            )
            .annotate(month=TruncMonth("day"))
            .values("month", "part")
            .annotate(v=Sum("value"))
            .order_by()
        )
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        sums[month][row["part"]] = int(row["v"] or 0)
    return [(month, sums[month]) for month in wanted]


# --- Figures ---------------------------------------------------------------------------------------


@dataclass
class Figures:
    parts: PartSums
    values: dict[str, float | int | None]
    provided: dict[str, float | int | None] = field(default_factory=dict)

    @classmethod
    def of(cls, parts: PartSums, provided: dict[str, Any] | None = None) -> Figures:
        return cls(parts, definitions.evaluate(parts), provided or {})


def figures(
    user: User, target: Target, period: Period, *, categories: Categories = None
) -> Figures:
    """The indicators of a unit (its subtree) or a department over a period — of one category and
    those below it when `categories` is given (the other features' figures have no category and
    are left out then, as on the dashboard); 404 outside scope."""
    if isinstance(target, Department):
        checked = get_target(user, department_id=target.pk)
    else:
        checked = get_target(user, unit_id=target.pk)
    provided: dict[str, Any] = {}
    if isinstance(checked, Unit) and categories is None:
        provided = providers.figures_by_unit([checked], period.start, period.end)[checked.pk]
    return Figures.of(part_sums(checked, period, categories=categories), provided)


def children_of(unit: Unit) -> list[Unit]:
    children = list(Unit.objects.filter(parent=unit, is_active=True).order_by("code"))
    width = {len(child.path) for child in children}
    return children if len(width) <= 1 else []


# --- Drill-down ------------------------------------------------------------------------------------


def cases(
    target: Target, part: str, period: Period, *, categories: Categories = None
) -> QuerySet[MatterPart]:
    """The cases behind a figure: the rows of `part` in the period for the target (and category);
    their count is the figure (each row counts 1, except the seconds-to-resolve sum, which lists
    the resolved)."""
    if part not in Part.values or part == Part.RESOLVE_SECONDS:
        part = Part.RESOLVED
    rows = MatterPart.objects.filter(
        _target_q(target), part=part, day__gte=period.start, day__lte=period.end
    )
    if categories is not None:
        rows = rows.filter(category_id__in=list(categories))
    return rows.select_related("matter", "unit", "category").order_by("-day", "-matter_id", "seq")


# --- Rankings --------------------------------------------------------------------------------------


@dataclass
class RankRow:
    target: Target  # a unit, or a department (the ranking of departments)
    parts: PartSums
    score: float | None
    previous_score: float | None
    rank: int | None = None
    previous_rank: int | None = None
    rank_class: str = ""

    @cached_property
    def figures(self) -> Figures:
        """Every indicator of the row: computed when shown (a page of a ranking of thousands)."""
        return Figures.of(self.parts)

    @property
    def unit(self) -> Unit:
        """The ranked unit, in a ranking of units."""
        if not isinstance(self.target, Unit):
            raise TypeError("a row of the departments' ranking has no unit")
        return self.target

    @property
    def movement(self) -> int | None:
        """Places moved up since last month (negative: down)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def score_change(self) -> float | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score


def units_of_level(root: Unit, level: str) -> list[Unit]:
    units = list(
        Unit.objects.filter(path__startswith=root.path, level=level, is_active=True).order_by(
            "code"
        )
    )
    return units


def department_levels(root: Unit) -> list[str]:
    """The levels of the units in `root`'s subtree that have active departments, top first
    (a district's bureaus, a subdistrict's offices): departments are ranked level by level."""
    levels = (
        Department.objects.filter(
            unit__path__startswith=root.path, unit__is_active=True, is_active=True
        )
        .values_list("unit__level", flat=True)
        .distinct()
        .order_by()
    )
    return sorted(set(levels), key=lambda level: LEVEL_RANK.get(level, len(LEVEL_RANK)))


def departments_of_level(root: Unit, level: str) -> list[Department]:
    """The active departments of the units of `level` in `root`'s subtree, by code."""
    return list(
        Department.objects.filter(
            unit__path__startswith=root.path,
            unit__level=level,
            unit__is_active=True,
            is_active=True,
        )
        .select_related("unit")
        .order_by("code")
    )


def part_sums_by_department(
    departments: Sequence[Department], period: Period, *, categories: Categories = None
) -> dict[int, PartSums]:
    """Each department's sums, in one grouped query per table (by the department key)."""
    result: dict[int, PartSums] = {department.pk: {} for department in departments}
    if not departments:
        return result
    keys = Q(department_key__in=sorted(result))
    for queryset in _period_querysets(keys, period, categories):
        rows = queryset.values("department_key", "part").annotate(v=Sum("value")).order_by()
        for row in rows:
            sums = result[int(row["department_key"])]
            sums[row["part"]] = sums.get(row["part"], 0) + int(row["v"] or 0)
    return result


RankKey = tuple[bool, int]


def _key(target: Target) -> RankKey:
    return (isinstance(target, Department), target.pk)


def _sums_of(
    targets: Sequence[Target], period: Period, categories: Categories = None
) -> dict[RankKey, PartSums]:
    """Each target's sums (of a category, if given): units in one grouped query per table,
    departments in one per table."""
    sums: dict[RankKey, PartSums] = {}
    units: list[Unit] = []
    departments: list[Department] = []
    for target in targets:
        if isinstance(target, Department):
            departments.append(target)
        else:
            units.append(target)
    if units:
        for pk, parts in subtree_sums(units, period, categories=categories).items():
            sums[(False, pk)] = parts
    if departments:
        for pk, parts in part_sums_by_department(
            departments, period, categories=categories
        ).items():
            sums[(True, pk)] = parts
    return sums


def _rank(rows: Iterable[tuple[Any, float | None, int]]) -> dict[Any, int]:
    """Competition ranking ("1, 1, 3"): equal scores share a place. Units without a score, or
    with fewer valid follow-ups than the minimum, are not ranked."""
    minimum = definitions.min_follow_ups()
    ranked = [
        (key, score) for key, score, sample in rows if score is not None and sample >= minimum
    ]
    ranked.sort(key=lambda item: -round(item[1] or 0, 9))
    places: dict[Any, int] = {}
    previous: float | None = None
    place = 0
    for index, (key, score) in enumerate(ranked, start=1):
        rounded = round(score or 0, 9)
        if rounded != previous:
            place, previous = index, rounded
        places[key] = place
    return places


def ranking(
    targets: Sequence[Target], month: dt.date, *, categories: Categories = None
) -> list[RankRow]:
    """The units of one level — or the departments of the units of one level — for a month (and
    one category with those below it, if given): composite score, place, movement, class, by the
    same rules. Order: by place, then the unranked; ties by code — deterministic."""
    period = Period.containing("month", month)
    current = _sums_of(targets, period, categories)
    previous = _sums_of(targets, period.previous(), categories)
    score = definitions.scorer()
    rows = []
    for target in targets:
        parts = current.get(_key(target), {})
        rows.append(
            RankRow(
                target=target,
                parts=parts,
                score=score(parts),
                previous_score=score(previous.get(_key(target), {})),
            )
        )
    places = _rank((_key(row.target), row.score, row.parts.get(Part.FOLLOW_UPS, 0)) for row in rows)
    previous_places = _rank(
        (
            _key(row.target),
            row.previous_score,
            previous.get(_key(row.target), {}).get(Part.FOLLOW_UPS, 0),
        )
        for row in rows
    )
    classify = definitions.classifier()
    for row in rows:
        row.rank = places.get(_key(row.target))
        row.previous_rank = previous_places.get(_key(row.target))
        row.rank_class = classify(row.score, row.previous_score) if row.rank is not None else ""
    rows.sort(key=lambda row: (row.rank is None, row.rank or 0, row.target.code))
    return rows


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# --- The dashboard ---------------------------------------------------------------------------------


@dataclass
class Dashboard:
    current: Figures
    previous: Figures
    children: list[tuple[Unit, Figures]]
    trend: list[tuple[dt.date, Figures]]


def dashboard(target: Target, period: Period, *, categories: Categories = None) -> Dashboard:
    """Everything the dashboard shows, for a target the caller has checked (see get_target):
    the period against the previous one, the children side by side, twelve months — for one
    category (and those below it) when `categories` is given. The other features' figures
    (providers) have no matter category: they are left out under a category filter."""
    provided: dict[str, Any] = {}
    children: list[tuple[Unit, Figures]] = []
    if isinstance(target, Unit):
        if categories is None:
            provided = providers.figures_by_unit([target], period.start, period.end)[target.pk]
        units = children_of(target)
        sums = subtree_sums(units, period, categories=categories)
        children = [(unit, Figures.of(sums[unit.pk])) for unit in units]
    return Dashboard(
        current=Figures.of(part_sums(target, period, categories=categories), provided),
        previous=Figures.of(part_sums(target, period.previous(), categories=categories)),
        children=children,
        trend=[
            (month, Figures.of(parts))
            for month, parts in monthly_trend(
                target, period.end.replace(day=1), categories=categories
            )
        ],
    )
