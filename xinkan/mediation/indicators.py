"""Mediation indicators, for the units of a tree and for mediators (DESIGN.md §6): disputes
registered, settled, the settlement rate, the step each was settled at (the share settled at ① and
② — small problems settled small), days to settle, escalations, agreements performed.

A cohort: the disputes registered in the period, with whatever became of them since. Each
breakdown is one grouped query, however many units or mediators.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from xinkan.mediation.models import Dispute, Mediator, State, Step, StepRecord, Term
from xinkan.org.models import Unit


@dataclass
class Figures:
    registered: int = 0
    settled: int = 0
    withdrawn: int = 0
    referred: int = 0
    open: int = 0
    escalations: int = 0
    settled_at: dict[int, int] = field(default_factory=dict)
    mean_days_to_settle: float | None = None
    terms: int = 0
    terms_performed: int = 0

    @property
    def ended(self) -> int:
        return self.settled + self.withdrawn + self.referred

    @property
    def settlement_rate(self) -> float | None:
        """Settled / ended (open disputes are not yet judged)."""
        return self.settled / self.ended if self.ended else None

    @property
    def low_steps_share(self) -> float | None:
        """Of the settled, the share settled at steps ① and ②."""
        low = self.settled_at.get(Step.TEN_HOUSEHOLD, 0) + self.settled_at.get(Step.COMMITTEE, 0)
        return low / self.settled if self.settled else None

    @property
    def performance_rate(self) -> float | None:
        return self.terms_performed / self.terms if self.terms else None


def span(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants from local midnight of `start` to local midnight after `end`."""
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    return begin, timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))


def cohort(start: dt.date, end: dt.date) -> QuerySet[Dispute]:
    begin, stop = span(start, end)
    return Dispute.objects.filter(registered_at__gte=begin, registered_at__lt=stop)


_DAYS = ExpressionWrapper(F("ended_at") - F("registered_at"), output_field=DurationField())


def _aggregates() -> dict[str, object]:
    """The disputes' counts, over rows of disputes joined only to their unit (one row each: no
    DISTINCT, which sorted the rows once per count — most of a city's year)."""
    values: dict[str, object] = {
        "registered": Count("pk"),
        "settled": Count("pk", filter=Q(state=State.SETTLED)),
        "withdrawn": Count("pk", filter=Q(state=State.WITHDRAWN)),
        "referred": Count("pk", filter=Q(state=State.REFERRED)),
        "open": Count("pk", filter=Q(state=State.MEDIATING)),
        "mean": Avg(_DAYS, filter=Q(state=State.SETTLED)),
    }
    for step in Step.values:
        values[f"at{step}"] = Count("pk", filter=Q(state=State.SETTLED, settled_step=step))
    return values


def _cohort_of(prefix: str, start: dt.date, end: dt.date, paths: list[str]) -> Q:
    """The cohort's disputes under these paths, seen from a related row (`prefix`: the path to
    the dispute, e.g. "dispute__"): a plain join, not a subquery of disputes joined again."""
    begin, stop = span(start, end)
    return Q(
        Q(*[Q(**{f"{prefix}unit__path__startswith": path}) for path in paths], _connector=Q.OR),
        **{f"{prefix}registered_at__gte": begin, f"{prefix}registered_at__lt": stop},
    )


def _figures(row: dict[str, object]) -> Figures:
    mean = row.get("mean")
    return Figures(
        registered=int(row["registered"]),  # type: ignore[call-overload]
        settled=int(row["settled"]),  # type: ignore[call-overload]
        withdrawn=int(row["withdrawn"]),  # type: ignore[call-overload]
        referred=int(row["referred"]),  # type: ignore[call-overload]
        open=int(row["open"]),  # type: ignore[call-overload]
        settled_at={step: int(row[f"at{step}"]) for step in Step.values},  # type: ignore[call-overload]
        mean_days_to_settle=round(mean.total_seconds() / 86400, 1)
        if isinstance(mean, dt.timedelta)
        else None,
    )


def by_unit(units: list[Unit], start: dt.date, end: dt.date) -> dict[int, Figures]:
    """Figures of each unit's whole subtree, for units of the same depth (the children of a
    unit, usually), in one query per figure group."""
    if not units:
        return {}
    width = len(units[0].path)
    if any(len(unit.path) != width for unit in units):
        raise ValueError("by_unit compares units of one level")
    by_path = {unit.path: unit.pk for unit in units}
    disputes = cohort(start, end).filter(
        Q(*[Q(unit__path__startswith=path) for path in by_path], _connector=Q.OR)
    )
    result = {unit.pk: Figures() for unit in units}
    prefix = Substr("unit__path", 1, width)
    for row in disputes.annotate(prefix=prefix).values("prefix").annotate(**_aggregates()):
        result[by_path[str(row["prefix"])]] = _figures(row)
    steps = (
        StepRecord.objects.filter(
            _cohort_of("dispute__", start, end, list(by_path)),
            outcome=StepRecord.Outcome.NOT_SETTLED,
        )
        .annotate(prefix=Substr("dispute__unit__path", 1, width))
        .values("prefix")
        .annotate(n=Count("pk"))
    )
    for row in steps:
        result[by_path[str(row["prefix"])]].escalations = int(row["n"])
    terms = (
        Term.objects.filter(_cohort_of("agreement__dispute__", start, end, list(by_path)))
        .annotate(prefix=Substr("agreement__dispute__unit__path", 1, width))
        .values("prefix")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(performed=True)))
    )
    for row in terms:
        figures = result[by_path[str(row["prefix"])]]
        figures.terms, figures.terms_performed = int(row["n"]), int(row["done"])
    return result


def total(units: list[Unit], start: dt.date, end: dt.date) -> Figures:
    """All the units' disputes together."""
    disputes = cohort(start, end).filter(
        Q(*[Q(unit__path__startswith=unit.path) for unit in units], _connector=Q.OR)
        if units
        else Q(pk__in=[])
    )
    figures = _figures(disputes.aggregate(**_aggregates()))
    figures.escalations = StepRecord.objects.filter(
        dispute__in=disputes, outcome=StepRecord.Outcome.NOT_SETTLED
    ).count()
    terms = Term.objects.filter(agreement__dispute__in=disputes).aggregate(
        n=Count("pk"), done=Count("pk", filter=Q(performed=True))
    )
    figures.terms, figures.terms_performed = terms["n"], terms["done"]
    return figures


@dataclass
class MediatorFigures:
    user_id: int
    name: str
    steps: int
    settled: int


def by_mediator(units: list[Unit], start: dt.date, end: dt.date) -> list[MediatorFigures]:
    """Steps each person mediated for the units' disputes of the cohort, and how many of those
    steps ended settled; most settled first."""
    disputes = cohort(start, end).filter(
        Q(*[Q(unit__path__startswith=unit.path) for unit in units], _connector=Q.OR)
        if units
        else Q(pk__in=[])
    )
    rows = (
        Mediator.objects.filter(step_record__dispute__in=disputes)
        .values("user_id", "user__display_name", "user__username")
        .annotate(
            steps=Count("step_record", distinct=True),
            settled=Count(
                "step_record",
                filter=Q(step_record__outcome=StepRecord.Outcome.SETTLED),
                distinct=True,
            ),
        )
        .order_by("-settled", "-steps", "user_id")
    )
    return [
        MediatorFigures(
            user_id=row["user_id"],
            name=row["user__display_name"] or row["user__username"],
            steps=row["steps"],
            settled=row["settled"],
        )
        for row in rows
    ]
