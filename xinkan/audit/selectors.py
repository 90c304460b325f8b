"""Reads of the audit log, limited to the reader's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from xinkan.audit.models import AuditEntry
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User

# Object types whose text names a person: shown masked on the audit page.
PERSONAL_OBJECT_TYPES = frozenset({"residents.resident", "residents.household"})


def entries_for(user: User) -> QuerySet[AuditEntry]:
    """Entries about units in the reader's audit scope; entries tied to no unit (logins, system
    jobs) only for those who audit the system."""
    scope = get_scope(user)
    if user.is_superuser:
        visible = Q()
    else:
        visible = (
            scope.unit_q(Perm.AUDIT_VIEW, "unit")
            if scope.unit_paths(Perm.AUDIT_VIEW)
            else Q(pk__in=[])
        )
        if scope.has_perm(Perm.AUDIT_VIEW_SYSTEM):
            visible |= Q(unit__isnull=True)
    return AuditEntry.objects.filter(visible).select_related("unit").order_by("-id")


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    outcome: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    object_type: str = ""
    object_id: str = ""


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_entries(entries: QuerySet[AuditEntry], criteria: AuditFilter) -> QuerySet[AuditEntry]:
    if criteria.action:
        entries = entries.filter(action__startswith=criteria.action)
    if criteria.actor:
        entries = entries.filter(actor_label=criteria.actor)
    if criteria.outcome:
        entries = entries.filter(outcome=criteria.outcome)
    # Whole local days as a time range, so that the index on `at` serves the filter.
    if criteria.date_from:
        entries = entries.filter(at__gte=_local_midnight(criteria.date_from))
    if criteria.date_to:
        entries = entries.filter(at__lt=_local_midnight(criteria.date_to + dt.timedelta(days=1)))
    if criteria.object_type:
        entries = entries.filter(object_type=criteria.object_type)
        if criteria.object_id:
            entries = entries.filter(object_id=criteria.object_id)
    return entries


def page_of(
    entries: QuerySet[AuditEntry], *, before: int | None, size: int
) -> tuple[list[AuditEntry], int | None]:
    """Keyset pagination by id: constant cost however long the log grows (no COUNT)."""
    if before:
        entries = entries.filter(id__lt=before)
    rows = list(entries[: size + 1])
    next_before = rows[size - 1].pk if len(rows) > size else None
    return rows[:size], next_before
