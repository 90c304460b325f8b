"""How long each step of the ladder may take.

《人民调解法》 practice: a dispute is normally settled within one month (Ministry of Justice rules,
2002, Art. 33). Lower steps are quicker — a neighbour's quarrel is settled in days or it goes up.
A unit may set its own limits (`StepLimit`), which apply to its whole subtree; the deepest wins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from xinkan.core import timelimits
from xinkan.mediation.models import Step, StepLimit
from xinkan.org.models import Unit

# step: (amount, time unit, remind hours before)
DEFAULTS: dict[int, tuple[int, str, int]] = {
    Step.TEN_HOUSEHOLD: (7, timelimits.DAYS, 48),
    Step.COMMITTEE: (10, timelimits.DAYS, 48),
    Step.LAWYER: (15, timelimits.DAYS, 72),
    Step.STATION: (30, timelimits.DAYS, 72),
}


@dataclass(frozen=True)
class Limit:
    amount: int
    time_unit: str
    warn_hours: int

    def due(self, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        return timelimits.due_and_warning(start, self.amount, self.time_unit, self.warn_hours)


def limit_for(step: int, unit: Unit) -> Limit:
    """The limit of `step` for a dispute whose step is run by `unit`."""
    path = [*unit.ancestor_ids(), unit.pk]
    found = list(
        StepLimit.objects.filter(step=step).filter(Q(unit__isnull=True) | Q(unit_id__in=path))
    )
    if found:
        rank = {pk: i for i, pk in enumerate(path)}
        best = max(found, key=lambda limit: rank.get(limit.unit_id, -1) if limit.unit_id else -1)
        return Limit(best.amount, best.time_unit, best.warn_hours)
    amount, time_unit, warn = DEFAULTS[step]
    return Limit(amount, time_unit, warn)
