"""Keeping the aggregates up to date: what each matter contributes, the periodic job that
recomputes only the matters whose history grew, and the rebuild from scratch.

One function, `parts_of`, says what a matter contributes (its `MatterPart` rows); the job and the
rebuild both use it, so they cannot disagree. The job reads `MatterEvent` rows past its watermark
(every transition and every notable fact of a matter is such a row, written in the same
transaction), recomputes those matters' parts from their current rows, and adds the difference
to the daily and monthly facts. Recomputing a matter is idempotent, so processing an event twice
is harmless; this is what makes the job safe to retry and to run on several workers.

Concurrency: the job and the rebuild hold the `Progress` row's lock (SELECT … FOR UPDATE; a
job that finds it taken skips its turn). On SQLite, writers are serialised by the database.

The watermark moves only past events older than `XINKAN_METRICS_LAG_SECONDS` (default 300): an
event with a lower id may still be in an uncommitted transaction, so younger events are processed
(figures stay fresh) but read again on the next run.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, connections, models, transaction
from django.db.models import Max, Min
from django.utils import timezone

from xinkan.core import table_swap
from xinkan.matters.models import (
    Deadline,
    FollowUp,
    Matter,
    MatterEvent,
    Rating,
    Reply,
    Stage,
    State,
    Supervision,
)
from xinkan.metrics import subtrees
from xinkan.metrics.fact_writes import add_to_facts
from xinkan.metrics.models import (
    NO_DEPARTMENT,
    DailyFact,
    MatterPart,
    MonthlyFact,
    Part,
    Progress,
    SubtreeCategoryMonthFact,
    SubtreeDayFact,
    SubtreeMonthFact,
)
from xinkan.org.models import Unit

PROGRESS_NAME = "matters"
DEFAULT_LAG_SECONDS = 300
BATCH = 2000
# The events that say who handled a matter when, or that make a part.
_REVIEW_MOVES = ("review_requested", "rereview_requested")
_DEPARTMENT_MOVES = ("dispatched", "transferred", "returned_for_dispatch")
_REPEATS = ("repeat_visit", "absorbed")
_TIMELINE_ACTIONS = (*_REVIEW_MOVES, *_DEPARTMENT_MOVES, *_REPEATS)
# Deadlines whose miss makes a resolution late (the handling, not the resident's follow-up).
_ON_TIME_STAGES = frozenset({Stage.HANDLE, Stage.PROXY, Stage.REVIEW, Stage.REREVIEW})
_RESOLVED_STATES = frozenset({State.RESOLVED, State.CONCLUDED})
_SOLVED_RATINGS = frozenset({Rating.SATISFIED, Rating.MOSTLY})

# (part, seq) → (day, unit_id, department_key, category_id, value)
Cell = tuple[dt.date, int, int, int, int]
Contribution = dict[tuple[str, int], Cell]


def lag() -> dt.timedelta:
    return dt.timedelta(
        seconds=int(getattr(settings, "XINKAN_METRICS_LAG_SECONDS", DEFAULT_LAG_SECONDS))
    )


# --- What one matter contributes -----------------------------------------------------------------


@dataclass
class History:
    """The rows of one matter that its parts are computed from."""

    matter: dict[str, Any]
    events: list[dict[str, Any]]
    replies: dict[int, dict[str, Any]]
    follow_ups: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
    supervisions: list[dict[str, Any]]


class Timeline:
    """Which unit and department were handling the matter at a given moment.

    Only reviews move the responsible unit (to the level above: events carry from_unit/to_unit);
    dispatches, transfers and returns set the lead department. A matter without such events (one
    loaded in bulk, without history) is attributed to its current unit and department."""

    def __init__(self, matter: dict[str, Any], events: list[dict[str, Any]]) -> None:
        moves = [e for e in events if e["action"] in _REVIEW_MOVES]
        self.initial_unit: int = (
            int(moves[0]["data"]["from_unit"]) if moves else matter["handling_unit_id"]
        )
        self.unit_moves = [(e["at"], int(e["data"]["to_unit"])) for e in moves]
        department_events = [e for e in events if e["action"] in _DEPARTMENT_MOVES]
        self.department_moves: list[tuple[dt.datetime, int]] = []
        for e in department_events:
            if e["action"] == "dispatched":
                key = int(e["data"].get("lead") or NO_DEPARTMENT)
            elif e["action"] == "transferred":
                key = int(e["data"].get("to") or NO_DEPARTMENT)
            else:
                key = NO_DEPARTMENT
            self.department_moves.append((e["at"], key))
        self.initial_department = (
            NO_DEPARTMENT
            if department_events
            else int(matter["lead_department_id"] or NO_DEPARTMENT)
        )

    def unit_at(self, at: dt.datetime) -> int:
        unit = self.initial_unit
        for when, to in self.unit_moves:
            if when <= at:
                unit = to
        return unit

    def department_at(self, at: dt.datetime) -> int:
        department = self.initial_department
        for when, key in self.department_moves:
            if when <= at:
                department = key
        return department


def _day(at: dt.datetime) -> dt.date:
    return at.astimezone(_zone()).date()


def _zone() -> dt.tzinfo:
    global _ZONE
    if _ZONE is None:
        _ZONE = timezone.get_default_timezone()
    return _ZONE


_ZONE: dt.tzinfo | None = None


def parts_of(history: History) -> Contribution:
    """What one matter contributes to the indicators (definitions in docs/metrics.md)."""
    m = history.matter
    category = m["category_id"]
    timeline = Timeline(m, history.events)
    cells: Contribution = {}

    def add(
        part: str,
        at: dt.datetime,
        *,
        seq: int = 0,
        value: int = 1,
        unit: int | None = None,
        department: int | None = None,
    ) -> None:
        cells[(part, seq)] = (
            _day(at),
            timeline.unit_at(at) if unit is None else unit,
            timeline.department_at(at) if department is None else department,
            category,
            value,
        )

    registered = m["registered_at"]
    add(Part.REGISTERED, registered, unit=timeline.initial_unit, department=NO_DEPARTMENT)

    higher = [
        e for e in history.events if e["action"] == "repeat_visit" and e["data"].get("higher_level")
    ]
    if m["skip_level"]:
        add(Part.SKIP_LEVEL, registered, unit=timeline.initial_unit, department=NO_DEPARTMENT)
    elif higher:
        add(Part.SKIP_LEVEL, higher[0]["at"])

    repeats = [e for e in history.events if e["action"] in _REPEATS]
    if repeats:
        add(Part.REPEAT, repeats[0]["at"])
    elsewhere = [
        e
        for e in history.events
        if e["action"] == "repeat_visit"
        and e["data"].get("unit") is not None
        and int(e["data"]["unit"]) != m["unit_id"]
    ]
    if elsewhere:
        add(Part.MULTI_DEPARTMENT, elsewhere[0]["at"])

    first_replies = sorted(
        (r for r in history.replies.values() if r["round"] == 0), key=lambda r: (r["at"], r["id"])
    )
    if first_replies:
        reply = first_replies[0]
        add(
            Part.ANSWERED,
            reply["at"],
            unit=reply["unit_id"],
            department=int(reply["department_id"] or NO_DEPARTMENT),
        )
    reviews = [e for e in history.events if e["action"] in _REVIEW_MOVES]
    if reviews:
        add(Part.REWORKED, reviews[0]["at"], unit=int(reviews[0]["data"]["from_unit"]))

    if m["state"] in _RESOLVED_STATES and m["closed_at"] is not None:
        closed = m["closed_at"]
        add(Part.RESOLVED, closed)
        seconds = max(0, int((closed - registered).total_seconds()))
        add(Part.RESOLVE_SECONDS, closed, value=seconds)
        missed = any(
            d["stage"] in _ON_TIME_STAGES
            and (
                d["overdue_at"] is not None
                or (d["met_at"] is not None and d["met_at"] > d["due_at"])
            )
            for d in history.deadlines
        )
        if not missed:
            add(Part.ON_TIME, closed)

    overdue = [d["overdue_at"] for d in history.deadlines if d["overdue_at"] is not None]
    if overdue:
        add(Part.OVERDUE, min(overdue))
    if history.supervisions:
        add(Part.SUPERVISED, min(s["raised_at"] for s in history.supervisions))

    for seq, follow_up in enumerate(history.follow_ups):
        answered = history.replies.get(follow_up["reply_id"])
        unit = answered["unit_id"] if answered else None
        department = int(answered["department_id"] or NO_DEPARTMENT) if answered else None
        at = follow_up["at"]
        add(Part.FOLLOW_UPS, at, seq=seq, unit=unit, department=department)
        if follow_up["contacted"]:
            add(Part.CONTACTED, at, seq=seq, unit=unit, department=department)
        if follow_up["rating"] in _SOLVED_RATINGS:
            add(Part.SOLVED, at, seq=seq, unit=unit, department=department)
        if follow_up["rating"] == Rating.SATISFIED:
            add(Part.SATISFIED, at, seq=seq, unit=unit, department=department)
        elif follow_up["rating"] == Rating.MOSTLY:
            add(Part.MOSTLY, at, seq=seq, unit=unit, department=department)
    return cells


def load_histories(matter_ids: Sequence[int], *, whole_range: bool = False) -> list[History]:
    """The rows of these matters, six queries however many. `whole_range`: the ids are every
    matter between the first and the last (as the rebuild reads them), so the queries select the
    range instead of sending thousands of ids."""
    ids = list(matter_ids)
    if not ids:
        return []

    def of(field: str) -> dict[str, Any]:
        if whole_range:
            return {f"{field}__gte": ids[0], f"{field}__lte": ids[-1]}
        return {f"{field}__in": ids}

    matters = Matter.objects.filter(**of("pk")).values(
        "id",
        "state",
        "registered_at",
        "closed_at",
        "skip_level",
        "unit_id",
        "handling_unit_id",
        "lead_department_id",
        "category_id",
    )
    by_matter: dict[int, History] = {m["id"]: History(dict(m), [], {}, [], [], []) for m in matters}
    for event in (
        MatterEvent.objects.filter(**of("matter_id"), action__in=_TIMELINE_ACTIONS)
        .order_by("at", "pk")
        .values("id", "matter_id", "at", "action", "data")
    ):
        by_matter[event["matter_id"]].events.append(dict(event))
    for reply in Reply.objects.filter(**of("matter_id")).values(
        "id", "matter_id", "round", "unit_id", "department_id", "at"
    ):
        by_matter[reply["matter_id"]].replies[reply["id"]] = dict(reply)
    for follow_up in (
        FollowUp.objects.filter(**of("matter_id"))
        .order_by("at", "pk")
        .values("matter_id", "reply_id", "rating", "contacted", "at")
    ):
        by_matter[follow_up["matter_id"]].follow_ups.append(dict(follow_up))
    for deadline in Deadline.objects.filter(**of("matter_id")).values(
        "matter_id", "stage", "due_at", "met_at", "overdue_at"
    ):
        by_matter[deadline["matter_id"]].deadlines.append(dict(deadline))
    for supervision in Supervision.objects.filter(**of("matter_id")).values(
        "matter_id", "raised_at"
    ):
        by_matter[supervision["matter_id"]].supervisions.append(dict(supervision))
    return list(by_matter.values())


# --- Applying differences ------------------------------------------------------------------------

DailyKey = tuple[dt.date, int, int, int, str]
MonthlyKey = tuple[dt.date, int, int, str]


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _stored_parts(matter_ids: Sequence[int]) -> dict[int, Contribution]:
    stored: dict[int, Contribution] = defaultdict(dict)
    for row in MatterPart.objects.filter(matter_id__in=list(matter_ids)).values_list(
        "matter_id", "part", "seq", "day", "unit_id", "department_key", "category_id", "value"
    ):
        stored[row[0]][(row[1], row[2])] = (row[3], row[4], row[5], row[6], row[7])
    return stored


def recompute(matter_ids: Sequence[int]) -> int:
    """Recompute these matters' parts and move the facts by the difference; the number of matters
    whose contribution changed. The caller holds the lock."""
    if not matter_ids:
        return 0
    stored = _stored_parts(matter_ids)
    daily: dict[DailyKey, int] = defaultdict(int)
    monthly: dict[MonthlyKey, int] = defaultdict(int)
    replaced: list[int] = []
    new_rows: list[MatterPart] = []
    for history in load_histories(matter_ids):
        matter_id = history.matter["id"]
        new = parts_of(history)
        old = stored.get(matter_id, {})
        if new == old:
            continue
        replaced.append(matter_id)
        for sign, cells in ((-1, old), (1, new)):
            for (part, _seq), (day, unit, department, category, value) in cells.items():
                daily[(day, unit, department, category, part)] += sign * value
                monthly[(_month(day), unit, department, part)] += sign * value
        new_rows.extend(_part_rows(matter_id, new))
    if not replaced:
        return 0
    MatterPart.objects.filter(matter_id__in=replaced).delete()
    MatterPart.objects.bulk_create(new_rows, batch_size=2000)
    add_to_facts(DailyFact, ("day", "unit_id", "department_key", "category_id", "part"), daily)
    add_to_facts(MonthlyFact, ("month", "unit_id", "department_key", "part"), monthly)
    subtrees.deltas(monthly, daily).apply()
    return len(replaced)


PartRow = tuple[int, str, int, dt.date, int, int, int, int]
PART_COLUMNS = (
    "matter_id",
    "part",
    "seq",
    "day",
    "unit_id",
    "department_key",
    "category_id",
    "value",
)


def _part_tuples(matter_id: int, cells: Contribution) -> Iterable[PartRow]:
    for (part, seq), (day, unit, department, category, value) in cells.items():
        yield (matter_id, part, seq, day, unit, department, category, value)


def _part_rows(matter_id: int, cells: Contribution) -> Iterable[MatterPart]:
    for row in _part_tuples(matter_id, cells):
        yield MatterPart(**dict(zip(PART_COLUMNS, row, strict=True)))


# --- The periodic job ------------------------------------------------------------------------------


@dataclass
class RefreshReport:
    events: int = 0
    matters: int = 0  # the rows recomputed: matters, or another job's subjects
    changed: int = 0
    watermark: int = 0
    skipped: bool = False

    def describe(self, subjects: str) -> str:
        if self.skipped:
            return "skipped: another run holds the lock"
        return (
            f"{self.events} events, {self.matters} {subjects} recomputed ({self.changed} "
            f"changed), watermark {self.watermark}"
        )

    def __str__(self) -> str:
        return self.describe("matters")


def claim(name: str, *, wait: bool) -> Progress | None:
    """The lock of one job's aggregates (its Progress row), or None if taken and not `wait`."""
    Progress.objects.get_or_create(name=name)
    query = Progress.objects.filter(name=name)
    query = query.select_for_update() if wait else query.select_for_update(skip_locked=True)
    return query.first()


def _claim(*, wait: bool) -> Progress | None:
    return claim(PROGRESS_NAME, wait=wait)


def refresh(
    *, batch: int = BATCH, max_batches: int = 1000, now: dt.datetime | None = None
) -> RefreshReport:
    """Process the matter events past the watermark, `batch` at a time, each batch in its own
    transaction. Idempotent; returns at once when another run holds the lock."""
    return fold(
        PROGRESS_NAME,
        MatterEvent.objects.all(),
        "matter_id",
        recompute,
        batch=batch,
        max_batches=max_batches,
        now=now,
    )


def fold(
    name: str,
    events_of: models.QuerySet[Any],
    subject: str,
    recompute_subjects: Callable[[Sequence[int]], int],
    *,
    batch: int = BATCH,
    max_batches: int = 1000,
    now: dt.datetime | None = None,
) -> RefreshReport:
    """One job's pass: the events (`events_of`, with `pk`, `at` and the `subject` id) past the
    watermark of `name`, `batch` at a time, each batch's subjects recomputed in its own
    transaction; the watermark moves only past events older than the lag."""
    cutoff = (now or timezone.now()) - lag()
    report = RefreshReport()
    cursor = 0
    safe = True  # no event too young to pass the watermark seen yet
    for _ in range(max_batches):
        with transaction.atomic():
            progress = claim(name, wait=False)
            if progress is None:
                report.skipped = report.events == 0
                break
            mark = progress.last_event_id
            cursor = max(cursor, mark)
            events = list(
                events_of.filter(pk__gt=cursor)
                .order_by("pk")
                .values_list("pk", subject, "at")[:batch]
            )
            if not events:
                report.watermark = mark
                break
            ids = sorted({subject_id for _pk, subject_id, _at in events})
            report.changed += recompute_subjects(ids)
            report.events += len(events)
            report.matters += len(ids)
            for pk, _subject_id, at in events:
                if safe and at <= cutoff:
                    mark = pk
                else:
                    safe = False
            cursor = events[-1][0]
            Progress.objects.filter(pk=progress.pk).update(
                last_event_id=mark, updated_at=timezone.now()
            )
            report.watermark = mark
        if len(events) < batch:
            break
    return report


# --- From scratch ----------------------------------------------------------------------------------


def _insert_parts(rows: list[PartRow], table: str) -> None:
    """Many rows at once: COPY of plain tuples on PostgreSQL (building a model instance per row
    cost more than the rest of the rebuild), else bulk_create."""
    if connection.vendor != "postgresql":
        MatterPart.objects.bulk_create(
            [MatterPart(**dict(zip(PART_COLUMNS, row, strict=True))) for row in rows],
            batch_size=5000,
        )
        return
    columns = ", ".join(PART_COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _month_sql() -> str:
    if connection.vendor == "postgresql":
        return "date_trunc('month', day)::date"
    return "date(day, 'start of month')"


DERIVED = (
    MatterPart,
    DailyFact,
    MonthlyFact,
    SubtreeMonthFact,
    SubtreeDayFact,
    SubtreeCategoryMonthFact,
)
# Memory for the rebuild's own connection (PostgreSQL): its grouping and index sorts over tens of
# millions of rows stay in memory instead of spilling to disk. Other connections keep the server's.
REBUILD_WORK_MEM = "256MB"
REBUILD_MAINTENANCE_WORK_MEM = "1GB"


def _roomy_session(*, local: bool) -> None:
    if connection.vendor != "postgresql":
        return
    scope = "LOCAL " if local else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SET {scope}work_mem = '{REBUILD_WORK_MEM}'")
        cursor.execute(f"SET {scope}maintenance_work_mem = '{REBUILD_MAINTENANCE_WORK_MEM}'")


def rebuild(
    *,
    batch: int = 5000,
    workers: int = 1,
    log: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Recompute every matter's parts and the facts from them, in one transaction under the lock;
    returns the number of matters. The watermark is set to the last event old enough (see lag).

    On PostgreSQL each table is built beside the live one and swapped in at the end
    (core/table_swap.py): readers keep the old figures until the commit, and no row is written
    through an index. Elsewhere the tables are emptied and refilled in place.

    `workers` > 1 (PostgreSQL only): see `_rebuild_in_parallel`."""
    cutoff = (now or timezone.now()) - lag()
    if workers > 1 and connection.vendor == "postgresql":
        return _rebuild_in_parallel(batch=batch, workers=workers, log=log, cutoff=cutoff)
    with transaction.atomic():
        _roomy_session(local=True)
        progress = _claim(wait=True)
        assert progress is not None
        mark = MatterEvent.objects.filter(at__lte=cutoff).aggregate(last=Max("pk"))["last"] or 0
        builds: list[table_swap.Rebuilt] = []
        if connection.vendor == "postgresql":
            builds = [table_swap.Rebuilt(model) for model in DERIVED]
            for build in builds:
                build.create()
            tables = {build.model: build.name for build in builds}
        else:
            for model in DERIVED:
                model.objects.all()._raw_delete(model.objects.db)
            tables = {model: model._meta.db_table for model in DERIVED}
        done = _fill_parts(tables[MatterPart], batch=batch, log=log)
        _fill_facts(tables, log)
        if builds:
            if log:
                log("  indexes …")
            for build in builds:
                build.finish()
            for build in builds:
                build.swap()
        Progress.objects.filter(pk=progress.pk).update(
            last_event_id=mark, updated_at=timezone.now()
        )
    return done


def _fill_facts(tables: dict[type[models.Model], str], log: Callable[[str], None] | None) -> None:
    """The daily, monthly and subtree facts summed from the parts in `tables[MatterPart]`."""
    if log:
        log("  daily and monthly facts …")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {tables[DailyFact]}
                (day, unit_id, department_key, category_id, part, value)
            SELECT day, unit_id, department_key, category_id, part, SUM(value)
            FROM {tables[MatterPart]}
            GROUP BY day, unit_id, department_key, category_id, part
            HAVING SUM(value) <> 0
            """  # noqa: S608 - table names and SQL from the code, no input
        )
        cursor.execute(
            f"""
            INSERT INTO {tables[MonthlyFact]}
                (month, unit_id, department_key, part, value)
            SELECT {_month_sql()}, unit_id, department_key, part, SUM(value)
            FROM {tables[DailyFact]}
            GROUP BY {_month_sql()}, unit_id, department_key, part
            HAVING SUM(value) <> 0
            """  # noqa: S608 - table names and SQL from the code, no input
        )
    if log:
        log("  subtree sums …")
    subtrees.fill(
        daily=tables[DailyFact],
        monthly=tables[MonthlyFact],
        subtree_month=tables[SubtreeMonthFact],
        subtree_day=tables[SubtreeDayFact],
        subtree_category=tables[SubtreeCategoryMonthFact],
    )


def _rebuild_in_parallel(
    *, batch: int, workers: int, log: Callable[[str], None] | None, cutoff: dt.datetime
) -> int:
    """The rebuild of a large database (PostgreSQL): the copies are made and committed first,
    `workers` processes fill the parts in ranges of matter ids, the facts and indexes follow, and
    only the swap takes the lock — the periodic job keeps running meanwhile. What it writes to the
    old tables in the meantime is dropped with them: the watermark goes back to where the rebuild
    started reading, so the job then recomputes every matter changed since (idempotently). The
    rows must be committed for the workers to see them: not inside a transaction."""
    if connection.in_atomic_block:
        raise RuntimeError("a parallel rebuild reads committed rows: run it outside a transaction")
    mark = MatterEvent.objects.filter(at__lte=cutoff).aggregate(last=Max("pk"))["last"] or 0
    builds = [table_swap.Rebuilt(model) for model in DERIVED]
    for build in builds:
        build.create()
    tables: dict[type[models.Model], str] = {build.model: build.name for build in builds}
    bounds = Matter.objects.aggregate(first=Min("pk"), last=Max("pk"))
    ranges = [
        (tables[MatterPart], start, min(start + batch - 1, bounds["last"]))
        for start in range(bounds["first"] or 1, (bounds["last"] or 0) + 1, batch)
    ]
    done = 0
    connections.close_all()  # each process opens its own
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for count in pool.imap_unordered(_fill_range, ranges):
            done += count
            if log:
                log(f"  {done:,} matters")
    _roomy_session(local=False)
    _fill_facts(tables, log)
    if log:
        log("  indexes …")
    for build in builds:
        build.finish()
    connection.close()  # the session's settings go with it
    with transaction.atomic():
        progress = _claim(wait=True)
        assert progress is not None
        for build in builds:
            build.swap()
        Progress.objects.filter(pk=progress.pk).update(
            last_event_id=mark, updated_at=timezone.now()
        )
    return done


def _fill_range(task: tuple[str, int, int]) -> int:
    """One worker's share: the parts of the matters with ids in [first, last] into `table`."""
    table, first, last = task
    ids = list(
        Matter.objects.filter(pk__gte=first, pk__lte=last)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rows: list[PartRow] = []
    for history in load_histories(ids, whole_range=True):
        rows.extend(_part_tuples(history.matter["id"], parts_of(history)))
    _insert_parts(rows, table)
    return len(ids)


def _fill_parts(table: str, *, batch: int, log: Callable[[str], None] | None) -> int:
    """Every matter's parts into `table`, `batch` matters at a time; the number of matters."""
    last_id = 0
    done = 0
    while True:
        ids = list(
            Matter.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        rows: list[PartRow] = []
        for history in load_histories(ids, whole_range=True):
            rows.extend(_part_tuples(history.matter["id"], parts_of(history)))
        _insert_parts(rows, table)
        done += len(ids)
        last_id = ids[-1]
        if log:
            log(f"  {done:,} matters")


def rebuild_subtrees() -> dict[str, int]:
    """Recompute the subtree sums from the facts, under the lock (after the daily levels changed);
    the number of rows of each table."""
    with transaction.atomic():
        _claim(wait=True)
        return subtrees.rebuild()


# --- Changes of the tree ---------------------------------------------------------------------------


def on_unit_moved(unit_id: int, old_path: str, new_path: str) -> None:
    """A unit moved in the tree (inside the move's transaction, its new paths written): its
    subtree's sums leave the units it was under and join those it is now under. The unit's own
    subtree rows, and those of the units below it, stay as they are."""
    old_above = subtrees.path_ids(old_path)[:-1]
    new_above = subtrees.path_ids(new_path)[:-1]
    if old_above == new_above:
        return
    _claim(wait=True)
    months = {
        (month, unit_id, part): value
        for month, part, value in SubtreeMonthFact.objects.filter(unit_id=unit_id).values_list(
            "month", "part", "value"
        )
    }
    days = subtrees.days_below(new_path)
    categories = subtrees.category_months_below(new_path)
    with_days = set(
        Unit.objects.filter(
            pk__in=[*old_above, *new_above], level__in=subtrees.daily_levels()
        ).values_list("pk", flat=True)
    )
    moved = subtrees.Deltas()
    for sign, line in ((-1, old_above), (1, new_above)):
        for ancestor in line:
            for (month, _unit, part), value in months.items():
                moved.months[(month, ancestor, part)] += sign * value
            if ancestor in with_days:
                for (day, _unit, part), value in days.items():
                    moved.days[(day, ancestor, part)] += sign * value
                for (month, _unit, category, part), value in categories.items():
                    moved.categories[(month, ancestor, category, part)] += sign * value
    moved.apply()


def on_unit_relevelled(unit: Unit) -> None:
    """A unit changed level: it keeps daily and per-category subtree rows if its new level is one
    of the daily levels, and none otherwise."""
    _claim(wait=True)
    SubtreeDayFact.objects.filter(unit_id=unit.pk).delete()
    SubtreeCategoryMonthFact.objects.filter(unit_id=unit.pk).delete()
    if subtrees.keeps_days(unit):
        add_to_facts(SubtreeDayFact, subtrees.DAY_FIELDS, subtrees.days_below(unit.path))
        add_to_facts(
            SubtreeCategoryMonthFact,
            subtrees.CATEGORY_FIELDS,
            subtrees.category_months_below(unit.path),
        )
