"""Mediation's figures on the dashboards, kept like the matters' (DESIGN.md §6, docs/metrics.md §6).

The mediation provider (providers.py) shows, for any unit's subtree and period, the disputes
settled, the settlement rate and the share settled at steps ① and ② — over the cohort of the
disputes registered in the period (mediation/indicators.py). Counted from the disputes at each page
view, a city's year is ~80,000 disputes joined to their units; here they are summed once:

- `DisputeMonthFact`: per (month of registration, the dispute's unit, part), what the disputes
  registered there and then became (DisputePart), recomputed from the disputes themselves;
- `SubtreeDisputeMonthFact`: the same summed for every unit above, and the unit itself.

A dispute never changes its month or its place; a change of its state moves it between parts of
the same cell. So the job recomputes the cells of the disputes whose history grew (each cell a few
disputes, by the index on place and date) and adds the difference to the cell and to each unit
above it. It reads `DisputeEvent` past its own watermark ("disputes"), as the matters' job reads
theirs (aggregation.fold). The whole months of a period come from the subtree rows; the days left
over (a week, this month so far) from the disputes, which are few.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db import models, transaction
from django.db.models import Count, DateField, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from xinkan.mediation import indicators
from xinkan.mediation.models import Dispute, DisputeEvent, State, Step
from xinkan.metrics import aggregation, subtrees
from xinkan.metrics.fact_writes import add_to_facts
from xinkan.metrics.models import (
    DisputeMonthFact,
    DisputePart,
    Progress,
    SubtreeDisputeMonthFact,
)
from xinkan.metrics.periods import Period, add_months
from xinkan.org.models import Unit

PROGRESS_NAME = "disputes"
FIELDS = ("month", "unit_id", "part")
Cell = tuple[dt.date, int]  # (month, unit)
Key = tuple[dt.date, int, str]  # (month, unit, part)
Parts = dict[str, int]

_STATE_PARTS = {
    State.MEDIATING: DisputePart.MEDIATING,
    State.SETTLED: DisputePart.SETTLED,
    State.WITHDRAWN: DisputePart.WITHDRAWN,
    State.REFERRED: DisputePart.REFERRED,
}
_SETTLE_TIME = ExpressionWrapper(F("ended_at") - F("registered_at"), output_field=DurationField())


def _aggregates() -> dict[str, object]:
    values: dict[str, object] = {DisputePart.REGISTERED: Count("pk")}
    for state, part in _STATE_PARTS.items():
        values[part] = Count("pk", filter=Q(state=state))
    for step in Step.values:
        values[f"settled_at_{step}"] = Count("pk", filter=Q(state=State.SETTLED, settled_step=step))
    values[DisputePart.SETTLE_SECONDS] = Sum(_SETTLE_TIME, filter=Q(state=State.SETTLED))
    return values


def _seconds(value: object) -> int:
    """A sum of durations (None: no settled dispute)."""
    return int(value.total_seconds()) if isinstance(value, dt.timedelta) else 0


def _parts(row: dict[str, object]) -> Parts:
    parts = {
        part: int(row[part])  # type: ignore[call-overload]
        for part in DisputePart.values
        if part != DisputePart.SETTLE_SECONDS
    }
    parts[DisputePart.SETTLE_SECONDS] = _seconds(row[DisputePart.SETTLE_SECONDS])
    return {part: value for part, value in parts.items() if value}


def _month_q(month: dt.date) -> Q:
    begin, stop = indicators.span(month, add_months(month, 1) - dt.timedelta(days=1))
    return Q(registered_at__gte=begin, registered_at__lt=stop)


def cells_of(disputes: Q, dispute_model: type[Dispute] = Dispute) -> dict[Key, int]:
    """The parts of the cells (month of registration, unit) of these disputes."""
    rows = (
        dispute_model._default_manager.filter(disputes)
        .annotate(month=TruncMonth("registered_at", output_field=DateField()))
        .values("month", "unit_id")
        .annotate(**_aggregates())
        .order_by()
    )
    result: dict[Key, int] = {}
    for row in rows:
        for part, value in _parts(row).items():
            result[(row["month"], row["unit_id"], part)] = value
    return result


def _subtree_deltas(deltas: dict[Key, int], unit_model: type[Unit] = Unit) -> dict[Key, int]:
    """Each unit's delta for it and every unit above it."""
    units = {unit for _m, unit, _p in deltas}
    lines = {
        pk: subtrees.path_ids(path)
        for pk, path in unit_model._default_manager.filter(pk__in=units).values_list("pk", "path")
    }
    result: dict[Key, int] = defaultdict(int)
    for (month, unit, part), value in deltas.items():
        for ancestor in lines.get(unit, [unit]):
            result[(month, ancestor, part)] += value
    return result


def recompute(dispute_ids: Sequence[int]) -> int:
    """Recompute the cells of these disputes from the disputes and move the subtree rows by the
    difference; the number of cells that changed. The caller holds the lock."""
    cells: set[Cell] = {
        (timezone.localtime(at).date().replace(day=1), unit)
        for at, unit in Dispute.objects.filter(pk__in=list(dispute_ids)).values_list(
            "registered_at", "unit_id"
        )
    }
    if not cells:
        return 0
    new = cells_of(Q(*[Q(_month_q(m), unit_id=u) for m, u in cells], _connector=Q.OR))
    old = {
        (month, unit, part): value
        for month, unit, part, value in DisputeMonthFact.objects.filter(
            Q(*[Q(month=m, unit_id=u) for m, u in cells], _connector=Q.OR)
        ).values_list(*FIELDS, "value")
    }
    deltas = {key: new.get(key, 0) - old.get(key, 0) for key in new.keys() | old.keys()}
    deltas = {key: value for key, value in deltas.items() if value}
    if not deltas:
        return 0
    add_to_facts(DisputeMonthFact, FIELDS, deltas)
    add_to_facts(SubtreeDisputeMonthFact, FIELDS, _subtree_deltas(deltas))
    return len({(month, unit) for month, unit, _part in deltas})


def refresh(*, batch: int = aggregation.BATCH, now: dt.datetime | None = None) -> str:
    """Fold the disputes' new history into the facts (the periodic job; idempotent)."""
    report = aggregation.fold(
        PROGRESS_NAME, DisputeEvent.objects.all(), "dispute_id", recompute, batch=batch, now=now
    )
    return report.describe("disputes")


def _bulk(model: type[models.Model], rows: dict[Key, int]) -> None:
    model._default_manager.bulk_create(
        (
            model(month=month, unit_id=unit, part=part, value=value)
            for (month, unit, part), value in rows.items()
            if value
        ),
        batch_size=5000,
    )


def rebuild(*, now: dt.datetime | None = None) -> int:
    """Recompute both tables from all the disputes, under the lock; the number of cells. The
    watermark moves to the last dispute event old enough (see aggregation.lag)."""
    cutoff = (now or timezone.now()) - aggregation.lag()
    with transaction.atomic():
        progress = aggregation.claim(PROGRESS_NAME, wait=True)
        assert progress is not None
        mark = max(
            DisputeEvent.objects.filter(at__lte=cutoff)
            .order_by("-pk")
            .values_list("pk", flat=True)[:1],
            default=0,
        )
        for model in (DisputeMonthFact, SubtreeDisputeMonthFact):
            model.objects.all()._raw_delete(model.objects.db)
        cells = fill(Dispute, Unit, DisputeMonthFact, SubtreeDisputeMonthFact)
        Progress.objects.filter(pk=progress.pk).update(last_event_id=mark)
    return cells


def fill(
    dispute_model: type[Dispute],
    unit_model: type[Unit],
    own: type[models.Model],
    subtree: type[models.Model],
) -> int:
    """Both (empty) tables from all the disputes; the number of cells. Takes the models, so that
    the migration that creates the tables fills them with its own."""
    cells = cells_of(Q(), dispute_model)
    _bulk(own, cells)
    _bulk(subtree, _subtree_deltas(cells, unit_model))
    return len({(month, unit) for month, unit, _part in cells})


def on_unit_moved(unit_id: int, old_path: str, new_path: str) -> None:
    """A unit moved (inside the move's transaction): its subtree's disputes leave the units it
    was under and join those it is now under."""
    old_above = subtrees.path_ids(old_path)[:-1]
    new_above = subtrees.path_ids(new_path)[:-1]
    if old_above == new_above:
        return
    aggregation.claim(PROGRESS_NAME, wait=True)
    rows = SubtreeDisputeMonthFact.objects.filter(unit_id=unit_id).values_list(
        "month", "part", "value"
    )
    moved: dict[Key, int] = defaultdict(int)
    for sign, line in ((-1, old_above), (1, new_above)):
        for ancestor in line:
            for month, part, value in rows:
                moved[(month, ancestor, part)] += sign * value
    add_to_facts(SubtreeDisputeMonthFact, FIELDS, moved)


# --- Reading ---------------------------------------------------------------------------------------


def _add(into: dict[int, Parts], unit_id: int, part: str, value: int) -> None:
    parts = into.setdefault(unit_id, {})
    parts[part] = parts.get(part, 0) + value


def sums(units: Sequence[Unit], start: dt.date, end: dt.date) -> dict[int, Parts]:
    """Each unit's subtree parts for the disputes registered from `start` to `end`: whole months
    from the subtree rows, the days left over from the disputes (units of one depth)."""
    result: dict[int, Parts] = {unit.pk: {} for unit in units}
    if not units:
        return result
    months, ranges = Period("custom", start, end).split()
    if months:
        rows = (
            SubtreeDisputeMonthFact.objects.filter(
                unit_id__any_of=[unit.pk for unit in units], month__in=months
            )
            .values("unit_id", "part")
            .annotate(v=Sum("value"))
            .order_by()
        )
        for row in rows:
            _add(result, row["unit_id"], row["part"], int(row["v"]))
    for first, last in ranges:
        for unit_id, parts in _from_disputes(units, first, last).items():
            for part, value in parts.items():
                _add(result, unit_id, part, value)
    return result


def _from_disputes(units: Sequence[Unit], first: dt.date, last: dt.date) -> dict[int, Parts]:
    width = len(units[0].path)
    if any(len(unit.path) != width for unit in units):
        raise ValueError("compares units of one level")
    by_path = {unit.path: unit.pk for unit in units}
    rows = (
        indicators.cohort(first, last)
        .filter(Q(*[Q(unit__path__startswith=path) for path in by_path], _connector=Q.OR))
        .annotate(prefix=Substr("unit__path", 1, width))
        .values("prefix")
        .annotate(**_aggregates())
        .order_by()
    )
    return {by_path[str(row["prefix"])]: _parts(row) for row in rows}
