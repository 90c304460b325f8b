"""Deadline policy look-up for matters; the arithmetic is `xinkan.core.timelimits` (shared with
disputes), the working-day calendar `xinkan.core.calendar`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from xinkan.core import calendar, timelimits
from xinkan.matters.models import Category, DeadlinePolicy, Stage, TimeUnit
from xinkan.org.models import Unit

# 《信访工作条例》 defaults: accept within 15 days (Art. 22-23), handle within 60 days with at most 30
# more (Art. 34), review and re-review decided within 30 days (Art. 35-36). First response and
# follow-up are local practice (接诉即办 follow-up when the deadline expires, Art. 23 of Beijing's rules).
STATUTORY_DEFAULTS: dict[str, tuple[int, str, int, int]] = {
    # stage: (amount, time unit, warn hours, max extension days)
    Stage.RESPOND: (2, TimeUnit.WORKING_DAYS, 4, 0),
    Stage.ACCEPT: (15, TimeUnit.DAYS, 72, 0),
    Stage.HANDLE: (60, TimeUnit.DAYS, 7 * 24, 30),
    Stage.FOLLOW_UP: (7, TimeUnit.DAYS, 48, 0),
    Stage.REVIEW: (30, TimeUnit.DAYS, 72, 0),
    Stage.REREVIEW: (30, TimeUnit.DAYS, 72, 0),
    Stage.PROXY: (15, TimeUnit.WORKING_DAYS, 48, 0),
}
# The resident may ask for a review (or re-review) within this many days of the written answer.
REVIEW_REQUEST_WINDOW_DAYS = 30


is_working_day = calendar.is_working_day
add_time = timelimits.add_time


@dataclass(frozen=True)
class ResolvedPolicy:
    stage: str
    amount: int
    time_unit: str
    warn_hours: int
    max_extension_days: int

    def due(self, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """(due_at, warn_at) for a stage starting at `start`."""
        return timelimits.due_and_warning(start, self.amount, self.time_unit, self.warn_hours)


def _ancestor_ids(category: Category | None) -> list[int]:
    ids = []
    seen = 0
    while category is not None and seen < 10:
        ids.append(category.pk)
        category = category.parent
        seen += 1
    return ids


def resolve_policy(stage: str, *, category: Category | None, unit: Unit | None) -> ResolvedPolicy:
    """The most specific policy for `stage`: the deepest unit on the unit's path, then the deepest
    category; the statutory default when none is set."""
    unit_ids = [*unit.ancestor_ids(), unit.pk] if unit is not None else []
    category_ids = _ancestor_ids(category)
    candidates = list(
        DeadlinePolicy.objects.filter(stage=stage)
        .filter(Q(unit__isnull=True) | Q(unit_id__in=unit_ids))
        .filter(Q(category__isnull=True) | Q(category_id__in=category_ids))
    )
    if candidates:
        unit_rank = {pk: i for i, pk in enumerate(unit_ids)}  # deeper units have higher index
        category_rank = {pk: len(category_ids) - i for i, pk in enumerate(category_ids)}

        def specificity(policy: DeadlinePolicy) -> tuple[int, int]:
            return (
                unit_rank.get(policy.unit_id, -1) if policy.unit_id else -1,
                category_rank.get(policy.category_id, -1) if policy.category_id else -1,
            )

        best = max(candidates, key=specificity)
        return ResolvedPolicy(
            stage, best.amount, best.time_unit, best.warn_hours, best.max_extension_days
        )
    amount, time_unit, warn, extension = STATUTORY_DEFAULTS[stage]
    return ResolvedPolicy(stage, amount, time_unit, warn, extension)
