"""Indicators that other features provide: the plug-in point.

A provider computes its figures for a list of units of one depth (each unit's whole subtree) over a
period, in a few grouped queries, from its own app's definitions — metrics does not repeat them.
Matters' indicators come from the aggregates (selectors.py); mediation and volunteers register here.

The public affairs square (xinkan/square, in progress) plugs in the same way, without metrics
importing it: its app calls, in its AppConfig.ready(),

    from xinkan.metrics import providers
    providers.register(providers.Provider(
        key="square",
        indicators=[providers.ProvidedIndicator("square_on_the_spot", _("Answered on the spot"), "count"), …],
        by_units=square_figures_by_unit,   # (units, start, end) -> {unit_id: {key: value}}
    ))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xinkan.org.models import Unit

Values = dict[str, float | int | None]
ByUnits = Callable[[list[Unit], dt.date, dt.date], dict[int, Values]]


@dataclass(frozen=True)
class ProvidedIndicator:
    key: str
    label: str | Promise
    kind: str  # "rate", "count", "hours"


@dataclass(frozen=True)
class Provider:
    key: str
    indicators: list[ProvidedIndicator]
    by_units: ByUnits


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    _PROVIDERS[provider.key] = provider


def all_providers() -> list[Provider]:
    return list(_PROVIDERS.values())


def figures_by_unit(units: list[Unit], start: dt.date, end: dt.date) -> dict[int, Values]:
    """Every provider's figures for each unit (units of one depth)."""
    result: dict[int, Values] = {unit.pk: {} for unit in units}
    if not units:
        return result
    for provider in _PROVIDERS.values():
        for unit_id, values in provider.by_units(units, start, end).items():
            result.setdefault(unit_id, {}).update(values)
    return result


# --- Built in: mediation and volunteers ---------------------------------------------------------


def _mediation(units: list[Unit], start: dt.date, end: dt.date) -> dict[int, Values]:
    """The cohort's settled disputes, settlement rate (settled / ended) and share settled at steps
    ① and ② (definitions: mediation/indicators.py), from the dispute facts (dispute_facts.py)."""
    from xinkan.metrics import dispute_facts
    from xinkan.metrics.models import DisputePart as P

    result: dict[int, Values] = {}
    for unit_id, parts in dispute_facts.sums(units, start, end).items():
        settled = parts.get(P.SETTLED, 0)
        ended = settled + parts.get(P.WITHDRAWN, 0) + parts.get(P.REFERRED, 0)
        low = parts.get(P.SETTLED_AT_1, 0) + parts.get(P.SETTLED_AT_2, 0)
        result[unit_id] = {
            "disputes_settled": settled,
            "settlement_rate": settled / ended if ended else None,
            "low_steps_share": low / settled if settled else None,
        }
    return result


def _by_prefix(units: list[Unit]) -> tuple[int, dict[str, int], Q]:
    width = len(units[0].path)
    by_path = {unit.path: unit.pk for unit in units}
    return width, by_path, Q(*[Q(path__startswith=p) for p in by_path], _connector=Q.OR)


def _volunteers(units: list[Unit], start: dt.date, end: dt.date) -> dict[int, Values]:
    """Pairings active at some time in the period (by the pairing's unit) and service hours served
    in the period (by the organising unit; corrected records count in their corrected form)."""
    from xinkan.volunteers.models import Pairing, ServiceRecord

    if len({len(unit.path) for unit in units}) != 1:
        raise ValueError("compares units of one level")
    width, by_path, _ = _by_prefix(units)
    result: dict[int, Values] = {
        unit.pk: {"pairings_active": 0, "volunteer_hours": 0.0} for unit in units
    }
    in_units = Q(*[Q(unit__path__startswith=p) for p in by_path], _connector=Q.OR)
    pairings = (
        Pairing.objects.filter(in_units, starts_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .annotate(prefix=Substr("unit__path", 1, width))
        .values("prefix")
        .annotate(n=Count("pk"))
    )
    for row in pairings:
        result[by_path[str(row["prefix"])]]["pairings_active"] = int(row["n"])
    in_organisers = Q(*[Q(organiser__path__startswith=p) for p in by_path], _connector=Q.OR)
    hours = (
        ServiceRecord.objects.filter(
            in_organisers, superseded=False, served_on__gte=start, served_on__lte=end
        )
        .annotate(prefix=Substr("organiser__path", 1, width))
        .values("prefix")
        .annotate(h=Sum("hours"))
    )
    for row in hours:
        result[by_path[str(row["prefix"])]]["volunteer_hours"] = float(row["h"] or 0)
    return result


def register_builtin() -> None:
    register(
        Provider(
            "mediation",
            [
                ProvidedIndicator("disputes_settled", _("Disputes settled"), "count"),
                ProvidedIndicator("settlement_rate", _("Settlement rate"), "rate"),
                ProvidedIndicator("low_steps_share", _("Settled at steps ① and ②"), "rate"),
            ],
            _mediation,
        )
    )
    register(
        Provider(
            "volunteers",
            [
                ProvidedIndicator("pairings_active", _("Pairings active"), "count"),
                ProvidedIndicator("volunteer_hours", _("Volunteer hours"), "hours"),
            ],
            _volunteers,
        )
    )
