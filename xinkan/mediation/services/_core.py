"""What every mediation service shares: refusals, the one place a dispute's state or step changes,
history rows with their audit entries, the ladder's units, and starting a step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.mediation import limits
from xinkan.mediation.models import (
    Dispute,
    DisputeEvent,
    Mediator,
    Party,
    Representation,
    Step,
    StepDeadline,
    StepRecord,
)
from xinkan.org.models import LEVEL_RANK, Level, Membership, Unit
from xinkan.org.roles import Perm, Role
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User


class MediationError(Exception):
    """A refusal the user can understand; the message is shown as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleDispute(MediationError):
    """Someone else changed the dispute since the form was loaded."""


def stale() -> StaleDispute:
    return StaleDispute(_("This dispute was changed by someone else. Reload it and try again."))


def refuse(by: User, dispute: Dispute | None, action: str, message: str) -> PermissionDenied:
    """A refusal, audited. Services check permissions before they write, so the audit entry is
    never rolled back with the refused work."""
    audit.record_failure(
        actor=by,
        action=f"mediation.{action}.denied",
        obj=dispute,
        unit=dispute.responsible_unit if dispute else None,
    )
    return PermissionDenied(message)


def event(
    dispute: Dispute,
    *,
    by: User | None,
    action: str,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
) -> DisputeEvent:
    """A history row and its audit entry, written together."""
    row = DisputeEvent.objects.create(
        dispute=dispute,
        actor=by,
        action=action,
        step=dispute.step,
        note=note,
        data=audit.jsonable(dict(data or {})),
    )
    audit.record(
        actor=by,
        actor_label=None if by else "system",
        action=f"mediation.{action}",
        obj=dispute,
        unit=dispute.responsible_unit,
        changes=changes,
        data=dict(data or {}),
    )
    return row


def bump(dispute: Dispute, *, version: int | None, **values: Any) -> None:
    """Change the dispute if nobody changed it since `version` (or since it was read): a
    conditional UPDATE, so two people acting at once cannot both succeed."""
    expected = dispute.version if version is None else version
    if expected != dispute.version:
        raise stale()
    now = timezone.now()
    changed = Dispute.objects.filter(pk=dispute.pk, version=expected).update(
        version=F("version") + 1, updated_at=now, **values
    )
    if changed != 1:
        raise stale()
    dispute.version += 1
    dispute.updated_at = now
    for key, value in values.items():
        setattr(dispute, key, value)


# --- The ladder's places -------------------------------------------------------------------------


def _up_to(unit: Unit, level: str) -> Unit:
    """`unit` or the first unit above it at `level` (or the highest found below that level)."""
    current: Unit | None = unit
    last = unit
    while current is not None and LEVEL_RANK[current.level] > LEVEL_RANK[level]:
        last = current
        current = current.parent
    return current if current is not None else last


def step_unit(step: int, place: Unit) -> Unit:
    """Who runs a step for a dispute at `place`: the grid, the community, the subdistrict."""
    if step == Step.TEN_HOUSEHOLD:
        return place
    if step == Step.COMMITTEE:
        return _up_to(place, Level.COMMUNITY)
    return _up_to(place, Level.SUBDISTRICT)


def current_step(dispute: Dispute) -> StepRecord:
    record = dispute.steps.filter(outcome=StepRecord.Outcome.ONGOING).first()
    if record is None:
        raise MediationError(_("This dispute is no longer being mediated."))
    return record


# --- Choosing mediators --------------------------------------------------------------------------


def _load() -> Any:
    """Ongoing steps a person mediates now (for load balancing)."""
    return Count(
        "user__mediations",
        filter=Q(
            user__mediations__active=True,
            user__mediations__step_record__outcome=StepRecord.Outcome.ONGOING,
        ),
        distinct=True,
    )


def grid_mediator(grid: Unit) -> User | None:
    """The grid's ten-household mediator with the fewest disputes in hand."""
    if grid.level != Level.GRID:
        return None
    membership = (
        Membership.objects.filter(
            unit=grid, role=Role.MEDIATOR, is_active=True, user__is_active=True
        )
        .annotate(load=_load())
        .order_by("load", "user_id")
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def conflicted_lawyers(parties: list[Party]) -> set[int]:
    """Lawyers who represented one of the parties before (by resident, ID number or phone)."""
    query = Q(pk__in=[])
    residents = [p.resident_id for p in parties if p.resident_id]
    ids = [p.id_number_index for p in parties if p.id_number_index]
    phones = [p.phone_index for p in parties if p.phone_index]
    if residents:
        query |= Q(resident_id__in=residents)
    if ids:
        query |= Q(id_number_index__in=ids)
    if phones:
        query |= Q(phone_index__in=phones)
    return set(Representation.objects.filter(query).values_list("lawyer_id", flat=True))


def pick_lawyer(dispute: Dispute, station: Unit, *, prefer: int | None = None) -> User:
    """A lawyer from the roster of the subdistrict (or the units above it) with no conflict with
    any party, the least loaded first; `prefer` (the lawyer of step ③) keeps the case if free."""
    conflicts = conflicted_lawyers(list(dispute.parties.all()))
    memberships = (
        Membership.objects.filter(
            unit_id__in=[*station.ancestor_ids(), station.pk],
            role=Role.LAWYER,
            is_active=True,
            user__is_active=True,
        )
        .exclude(user_id__in=conflicts)
        .annotate(load=_load())
        .order_by("load", "user_id")
        .select_related("user")
    )
    candidates = list(memberships)
    if not candidates:
        raise MediationError(
            _(
                "No lawyer on the roster of %(unit)s is free of conflicts with these parties. Add a lawyer to the roster first."
            )
            % {"unit": station.name}
        )
    for membership in candidates:
        if membership.user_id == prefer:
            return membership.user
    return candidates[0].user


def is_lawyer_conflicted(dispute: Dispute, lawyer: User) -> bool:
    return lawyer.pk in conflicted_lawyers(list(dispute.parties.all()))


# --- Starting a step -----------------------------------------------------------------------------


def start_step(
    dispute: Dispute,
    step: int,
    *,
    by: User,
    reason: str = "",
    mediators: list[tuple[User, str]] | None = None,
    at: dt.datetime | None = None,
) -> StepRecord:
    """Open `step` for the dispute: its record, its mediators, its time limit, a history row."""
    unit = step_unit(step, dispute.unit)
    now = at or timezone.now()
    record = StepRecord.objects.create(
        dispute=dispute, step=step, unit=unit, started_at=now, start_reason=reason
    )
    for user, kind in mediators or []:
        Mediator.objects.create(step_record=record, user=user, kind=kind)
    due_at, warn_at = limits.limit_for(step, unit).due(now)
    StepDeadline.objects.create(step_record=record, dispute=dispute, due_at=due_at, warn_at=warn_at)
    dispute.step = step
    dispute.responsible_unit = unit
    event(
        dispute,
        by=by,
        action="step_started",
        note=reason,
        data={
            "step": step,
            "unit": unit.pk,
            "mediators": [user.pk for user, _kind in mediators or []],
            "due_at": due_at,
        },
    )
    return record


def mediators_for(dispute: Dispute, step: int, *, previous: StepRecord | None) -> list[Any]:
    """Who mediates a step when it starts: the grid's mediator at ①, nobody named at ② (the
    committee acts), a roster lawyer at ③, the lawyer of ③ (or another) at ④."""
    if step == Step.TEN_HOUSEHOLD:
        mediator = grid_mediator(dispute.unit)
        return [(mediator, Mediator.Kind.MEDIATOR)] if mediator else []
    if step == Step.COMMITTEE:
        return []
    prefer = None
    if previous is not None:
        prefer = (
            previous.mediators.filter(kind=Mediator.Kind.LAWYER, active=True)
            .values_list("user_id", flat=True)
            .first()
        )
    lawyer = pick_lawyer(dispute, step_unit(step, dispute.unit), prefer=prefer)
    return [(lawyer, Mediator.Kind.LAWYER)]


def meet_deadline(record: StepRecord) -> None:
    StepDeadline.objects.filter(step_record=record, met_at__isnull=True).update(
        met_at=timezone.now()
    )


# --- Permissions ---------------------------------------------------------------------------------


def is_mediator(user: User, record: StepRecord) -> bool:
    return record.mediators.filter(user=user, active=True).exists()


def require_mediate(by: User, dispute: Dispute, record: StepRecord, action: str) -> None:
    """The step's own mediators, or staff who mediate for the step's unit."""
    if is_mediator(by, record):
        return
    if get_scope(by).covers_unit(record.unit, Perm.MEDIATION_MEDIATE):
        return
    raise refuse(by, dispute, action, _("Only the mediators of this step may do this."))


def require_manage(by: User, dispute: Dispute | None, unit: Unit, action: str) -> None:
    if not get_scope(by).covers_unit(unit, Perm.MEDIATION_MANAGE):
        raise refuse(by, dispute, action, _("You may not do this for a dispute outside your area."))
