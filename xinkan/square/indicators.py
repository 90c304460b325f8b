"""Square indicators per department, for the performance feature (DESIGN.md §6): questions
answered, the share answered on the spot, promises kept on time.

A cohort: the questions of the sessions held in the period, with whatever became of their
promises since. Each breakdown is one grouped query, however many departments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from xinkan.matters.models import OPEN_STATES
from xinkan.square.models import KEPT_Q, OnSpot, Question, QuestionState


@dataclass(frozen=True)
class DepartmentFigures:
    department_id: int
    answered: int = 0
    on_spot: int = 0
    solved_on_spot: int = 0
    promised: int = 0
    # Promises whose time has come: resolved (on time or not), or past their date.
    promises_due: int = 0
    kept: int = 0

    @property
    def on_spot_share(self) -> float | None:
        return self.on_spot / self.answered if self.answered else None

    @property
    def kept_rate(self) -> float | None:
        """Kept on time / promises due (a promise still within its time is not yet judged)."""
        return self.kept / self.promises_due if self.promises_due else None


def _span(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    return begin, timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))


def by_department(
    start: dt.date, end: dt.date, *, now: dt.datetime | None = None
) -> dict[int, DepartmentFigures]:
    """Figures of every department that answered at a session held from `start` to `end`
    (inclusive), keyed by department id: one grouped query."""
    begin, stop = _span(start, end)
    now = now or timezone.now()
    closed = Q(matter__isnull=False) & ~Q(matter__state__in=sorted(OPEN_STATES))
    due = Q(state=QuestionState.PROMISED) & (Q(promised_by__lt=now) | closed)
    rows = (
        Question.objects.filter(
            session__starts_at__gte=begin,
            session__starts_at__lt=stop,
            panelist__isnull=False,
            state__in=[QuestionState.ANSWERED, QuestionState.PROMISED],
        )
        .values("panelist__department_id")
        .annotate(
            n_answered=Count("pk"),
            n_on_spot=Count("pk", filter=Q(state=QuestionState.ANSWERED)),
            n_solved_on_spot=Count(
                "pk", filter=Q(state=QuestionState.ANSWERED, on_spot=OnSpot.SOLVED)
            ),
            n_promised=Count("pk", filter=Q(state=QuestionState.PROMISED)),
            n_promises_due=Count("pk", filter=due),
            n_kept=Count("pk", filter=KEPT_Q),
        )
        .order_by()
    )
    return {
        row["panelist__department_id"]: DepartmentFigures(
            department_id=row["panelist__department_id"],
            answered=row["n_answered"],
            on_spot=row["n_on_spot"],
            solved_on_spot=row["n_solved_on_spot"],
            promised=row["n_promised"],
            promises_due=row["n_promises_due"],
            kept=row["n_kept"],
        )
        for row in rows
    }
