"""Reads of matters, always within the reader's scope: worklists, search, the matter page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from xinkan.audit import services as audit
from xinkan.matters import text
from xinkan.matters.models import (
    OPEN_STATES,
    Assignment,
    AssignmentState,
    Deadline,
    Matter,
    State,
    parse_code,
)
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope, get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.org.models import Unit


def visible_q(scope: Scope, perm: str = Perm.MATTERS_VIEW) -> Q:
    """Matters whose place or responsible unit is in the unit scope, or that are dispatched to one
    of the reader's departments."""
    query = Q(pk__in=[])
    if scope.unit_paths(perm):
        query |= scope.any_unit_q(perm, "unit", "handling_unit")
    departments = scope.department_ids(perm)
    if departments:
        query |= Q(
            Exists(
                Assignment.objects.filter(
                    matter=OuterRef("pk"), department_id__in=sorted(departments)
                ).exclude(state=AssignmentState.WITHDRAWN)
            )
        )
    return query


def matters_for(user: User) -> QuerySet[Matter]:
    return Matter.objects.filter(visible_q(get_scope(user)))


def with_list_relations(matters: QuerySet[Matter]) -> QuerySet[Matter]:
    return matters.select_related("category", "unit", "handling_unit", "lead_department").defer(
        "description", "search_text", "contact_phone", "id_number"
    )


def get_matter_for_user(user: User, matter_id: int, *, audit_view: bool = True) -> Matter:
    """The matter, or 404 — the same for "not yours" and "does not exist". Opening a matter shows
    the requester's personal data, so the view is audited."""
    matter = (
        matters_for(user)
        .select_related(
            "category",
            "unit",
            "handling_unit__parent",
            "lead_department",
            "resident",
            "registered_by",
        )
        .filter(pk=matter_id)
        .first()
    )
    if matter is None:
        audit.record_failure(
            actor=user, action="matters.view_denied", data={"matter_id": matter_id}
        )
        raise Http404
    if audit_view:
        audit.record(actor=user, action="matters.viewed", obj=matter, unit=matter.handling_unit)
    return matter


# --- Worklists -----------------------------------------------------------------------------------


class Worklist:
    TO_ACCEPT = "to_accept"
    TO_DISPATCH = "to_dispatch"
    TO_HANDLE = "to_handle"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    FOLLOW_UP = "follow_up"
    REVIEW = "review"
    SUPERVISED = "supervised"
    ALL_OPEN = "open"
    ALL = "all"


def _open_deadline_exists(**filters: object) -> Exists:
    return Exists(
        Deadline.objects.filter(
            matter=OuterRef("pk"), met_at__isnull=True, cancelled=False, **filters
        )
    )


def worklist(
    user: User, name: str, *, now: dt.datetime | None = None, within: Unit | None = None
) -> QuerySet[Matter]:
    """The matters waiting for this user in one list (each list scope-filtered by the permission that
    acting on it needs); `within`: only those handled in that unit's subtree.

    A subtree the user sees whole needs no other visibility filter: every matter handled there is
    visible (visible_q), so the scope's list of unit ids — 67,000 of them for a city's leader,
    converted and sent with each query — is left out."""
    scope = get_scope(user)
    now = now or timezone.now()
    base = Matter.objects.all()
    if within is not None:
        base = base.filter(handling_unit__path__startswith=within.path)
    if name == Worklist.TO_ACCEPT:
        return base.filter(
            scope.unit_q(Perm.MATTERS_ACCEPT, "handling_unit"), state=State.REGISTERED
        )
    if name == Worklist.TO_DISPATCH:
        return base.filter(scope.unit_q(Perm.MATTERS_ACCEPT, "handling_unit"), state=State.ACCEPTED)
    if name == Worklist.TO_HANDLE:
        departments = sorted(scope.department_ids(Perm.MATTERS_HANDLE))
        own_unit = scope.unit_q(Perm.MATTERS_HANDLE, "handling_unit") & Q(
            lead_department__isnull=True, state=State.HANDLING
        )
        if not departments:  # a unit's staff: no OR with an always-empty department branch
            return base.filter(own_unit)
        live = Assignment.objects.filter(
            matter=OuterRef("pk"),
            department_id__in=departments,
            state__in=[AssignmentState.PENDING, AssignmentState.SIGNED],
        )
        return base.filter(
            (Q(Exists(live)) & Q(state__in=[State.DISPATCHED, State.HANDLING])) | own_unit
        )
    if name == Worklist.FOLLOW_UP:
        return base.filter(
            scope.any_unit_q(Perm.MATTERS_FOLLOW_UP, "handling_unit", "unit"),
            state=State.REPLIED,
        ).exclude(last_rating="dissatisfied")
    if name == Worklist.REVIEW:
        return base.filter(
            scope.unit_q(Perm.MATTERS_REVIEW, "handling_unit"),
            state__in=[State.REVIEW, State.REREVIEW],
        )
    if within is not None and scope.covers_unit(within, Perm.MATTERS_VIEW):
        visible = base
    else:
        visible = base.filter(visible_q(scope))
    if name == Worklist.DUE_SOON:
        return visible.filter(
            _open_deadline_exists(warn_at__lte=now, due_at__gt=now), state__in=OPEN_STATES
        )
    if name == Worklist.OVERDUE:
        return visible.filter(_open_deadline_exists(due_at__lte=now), state__in=OPEN_STATES)
    if name == Worklist.SUPERVISED:
        from xinkan.matters.models import Supervision

        # The supervising unit in scope, by its path: the same units as the scope's ids, without
        # sending them (a matter has a few supervisions at most, each joined to its unit).
        supervising = Q(pk__in=[])
        for root in scope.unit_paths(Perm.MATTERS_SUPERVISE):
            supervising |= Q(unit__path__startswith=root)
        return base.filter(
            Exists(
                Supervision.objects.filter(
                    supervising, matter=OuterRef("pk"), closed_at__isnull=True
                )
            ),
            state__in=OPEN_STATES,
        )
    if name == Worklist.ALL_OPEN:
        return visible.filter(state__in=OPEN_STATES)
    return visible


# --- Filters and search --------------------------------------------------------------------------


@dataclass(frozen=True)
class MatterFilter:
    query: str = ""
    state: str = ""
    category_id: int | None = None
    unit_id: int | None = None
    channel: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue: bool = False


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search(matters: QuerySet[Matter], query: str) -> QuerySet[Matter]:
    """Chinese full-text search. A matter code finds that matter. PostgreSQL: the jieba words of the
    query against the matter's jieba words (full-text, 'simple' configuration, GIN index);
    SQLite: every word must appear in the stored words."""
    query = query.strip()
    if not query:
        return matters
    code = parse_code(query)
    if code is not None:
        return matters.filter(pk=code[1], registered_at__year=code[0])
    terms = search_terms(query)
    if connection.vendor == "postgresql":
        # The same expression as the GIN index of migration 0003, so the index serves the query.
        return matters.filter(
            RawSQL(
                'to_tsvector(\'simple\'::regconfig, "matters_matter"."search_text") '
                "@@ to_tsquery('simple'::regconfig, %s)",
                [" & ".join(_ts_quote(t) for t in terms)],
                output_field=BooleanField(),
            )
        )
    for term in terms:
        matters = matters.filter(search_text__contains=term)
    return matters


def search_terms(query: str) -> list[str]:
    """The words a search asks for all of: jieba's search-mode words of the query, less those
    inside a longer one ("拖欠工资" gives 拖欠, 工资 and 拖欠工资: a matter with the compound has
    its parts too). Asked for together, the parts added nothing but a wrong estimate: PostgreSQL
    multiplies their frequencies as if independent (0.06 % of a city's matters for 拖欠工资,
    really 8.7 %) and chose to sort 870,000 matters instead of walking the newest (26 s → 8 ms)."""
    terms = text.words(query) or [query.strip().lower()]
    unique = list(dict.fromkeys(terms))
    return [t for t in unique if not any(t != other and t in other for other in unique)]


def _ts_quote(term: str) -> str:
    return "'" + term.replace("'", "''").replace("\\", "") + "'"


def apply_filter(
    matters: QuerySet[Matter], criteria: MatterFilter, *, now: dt.datetime | None = None
) -> QuerySet[Matter]:
    if criteria.state:
        matters = matters.filter(state=criteria.state)
    if criteria.category_id:
        matters = matters.filter(
            Q(category_id=criteria.category_id) | Q(category__parent_id=criteria.category_id)
        )
    if criteria.unit_id:
        from xinkan.org.models import Unit

        path = Unit.objects.filter(pk=criteria.unit_id).values_list("path", flat=True).first()
        matters = matters.filter(unit__path__startswith=path) if path else matters.none()
    if criteria.channel:
        matters = matters.filter(channel=criteria.channel)
    if criteria.date_from:
        matters = matters.filter(registered_at__gte=_local_midnight(criteria.date_from))
    if criteria.date_to:
        matters = matters.filter(
            registered_at__lt=_local_midnight(criteria.date_to + dt.timedelta(days=1))
        )
    if criteria.overdue:
        matters = matters.filter(_open_deadline_exists(due_at__lte=now or timezone.now()))
    return search(matters, criteria.query)


SORTS = {
    "new": ("-registered_at", "-id"),
    "old": ("registered_at", "id"),
    "updated": ("-updated_at", "-id"),
}


def next_deadlines(matters: list[Matter]) -> dict[int, Deadline]:
    """The earliest open deadline of each listed matter, in one query."""
    deadlines: dict[int, Deadline] = {}
    for deadline in Deadline.objects.filter(
        matter_id__in=[m.pk for m in matters], met_at__isnull=True, cancelled=False
    ).order_by("due_at"):
        deadlines.setdefault(deadline.matter_id, deadline)
    return deadlines


def find_for_resident(code: str, secret: str) -> Matter | None:
    """The matter with this code whose phone (or anonymous key) is `secret` — how a resident
    follows their matter on the portal without an account. Merged matters lead to where they went."""
    from xinkan.core.crypto import blind_index
    from xinkan.matters.services.intake import PHONE_PURPOSE, PORTAL_PURPOSE

    parsed = parse_code(code)
    if parsed is None or not secret.strip():
        return None
    year, pk = parsed
    matter = (
        Matter.objects.filter(pk=pk)
        .filter(
            Q(contact_phone_index=blind_index(secret, PHONE_PURPOSE))
            | Q(portal_key_index=blind_index(secret, PORTAL_PURPOSE))
        )
        .select_related("category", "handling_unit", "merged_into")
        .first()
    )
    if matter is None or timezone.localtime(matter.registered_at).year != year:
        return None
    return matter
