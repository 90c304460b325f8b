"""Reads of disputes, always within the reader's scope: the worklist, the dispute page, the
station's calendar."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from xinkan.audit import services as audit
from xinkan.mediation.models import (
    Dispute,
    Mediator,
    Session,
    State,
    Step,
    StepDeadline,
    StepRecord,
    parse_code,
)
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User


def _assigned(user: User) -> Exists:
    return Exists(Mediator.objects.filter(step_record__dispute=OuterRef("pk"), user=user))


def visible_q(user: User) -> Q:
    """Disputes placed in, or run by, a unit the user sees; and those the user mediates (a
    lawyer sees only the disputes assigned to them)."""
    scope = get_scope(user)
    query = Q(_assigned(user))
    if scope.unit_paths(Perm.MEDIATION_VIEW):
        query |= scope.any_unit_q(Perm.MEDIATION_VIEW, "unit", "responsible_unit")
    return query


def disputes_for(user: User) -> QuerySet[Dispute]:
    return Dispute.objects.filter(visible_q(user))


def get_dispute_for_user(user: User, dispute_id: int, *, audit_view: bool = True) -> Dispute:
    """The dispute, or 404 — the same for "not yours" and "does not exist". The page shows the
    parties' personal data, so opening it is audited."""
    dispute = (
        disputes_for(user)
        .select_related("unit", "responsible_unit", "registered_by", "source_matter")
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None:
        audit.record_failure(
            actor=user, action="mediation.view_denied", data={"dispute_id": dispute_id}
        )
        raise Http404
    if audit_view:
        audit.record(actor=user, action="mediation.viewed", obj=dispute, unit=dispute.unit)
    return dispute


class Worklist:
    MINE = "mine"
    OVERDUE = "overdue"
    OPEN = "open"
    ENDED = "ended"


def worklist(user: User, name: str, *, now: dt.datetime | None = None) -> QuerySet[Dispute]:
    """MINE: open disputes whose current step the user mediates (named, or for the step's unit);
    OVERDUE: open ones past their step's limit; OPEN / ENDED: everything visible."""
    now = now or timezone.now()
    visible = disputes_for(user)
    if name == Worklist.MINE:
        scope = get_scope(user)
        ongoing = StepRecord.objects.filter(
            dispute=OuterRef("pk"), outcome=StepRecord.Outcome.ONGOING
        )
        named = Exists(ongoing.filter(mediators__user=user, mediators__active=True))
        query = Q(named)
        if scope.unit_paths(Perm.MEDIATION_MEDIATE):
            query |= Q(Exists(ongoing.filter(scope.unit_q(Perm.MEDIATION_MEDIATE, "unit"))))
        return Dispute.objects.filter(query, state=State.MEDIATING)
    if name == Worklist.OVERDUE:
        late = StepDeadline.objects.filter(
            dispute=OuterRef("pk"), met_at__isnull=True, due_at__lte=now
        )
        return visible.filter(Exists(late), state=State.MEDIATING)
    if name == Worklist.ENDED:
        return visible.exclude(state=State.MEDIATING)
    return visible.filter(state=State.MEDIATING)


def search(disputes: QuerySet[Dispute], query: str) -> QuerySet[Dispute]:
    query = query.strip()
    if not query:
        return disputes
    code = parse_code(query)
    if code is not None:
        return disputes.filter(pk=code[1], code_year=code[0])
    return disputes.filter(Q(title__icontains=query) | Q(address__icontains=query))


def station_sessions(user: User, *, start: dt.date, days: int = 28) -> QuerySet[Session]:
    """Step ④ sessions of the disputes the user sees, from `start` for `days` days."""
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    end = begin + dt.timedelta(days=days)
    return (
        Session.objects.filter(
            step_record__step=Step.STATION,
            at__gte=begin,
            at__lt=end,
            dispute__in=disputes_for(user),
        )
        .select_related("dispute", "step_record__unit")
        .order_by("at")
    )


def current_deadlines(disputes: list[Dispute]) -> dict[int, StepDeadline]:
    """The open step deadline of each listed dispute, in one query."""
    found: dict[int, StepDeadline] = {}
    for deadline in StepDeadline.objects.filter(
        dispute_id__in=[d.pk for d in disputes], met_at__isnull=True
    ):
        found[deadline.dispute_id] = deadline
    return found
