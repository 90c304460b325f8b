"""Every write to one-to-one pairings (一帮一结对子) and their visits.

A pairing is made by those who manage volunteers for the assisted resident's unit; it binds one
open need to one volunteer (or a service team) under an assistance agreement: what help, how
often, from when to when. Each visit moves the next visit's due date; a pairing whose due date
has passed falls behind and shows on the community's worklist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.models import Need
from xinkan.volunteers.models import Pairing, PairingVisit, ServiceRecord, Team, Volunteer
from xinkan.volunteers.services import MAX_HOURS_PER_RECORD

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.org.models import Unit

MAX_AGREEMENT_DAYS = 3 * 366
MAX_VISIT_INTERVAL = 365


def _require_manage(by: User, unit: Unit, action: str) -> None:
    if not get_scope(by).covers_unit(unit, Perm.VOLUNTEERS_MANAGE):
        audit.record_failure(
            actor=by, action="volunteers.pairing.denied", unit=unit, data={"do": action}
        )
        raise PermissionDenied(_("You may not manage pairings for this resident's unit."))


def active_load(volunteer: Volunteer) -> int:
    return Pairing.objects.filter(volunteer=volunteer, status=Pairing.Status.ACTIVE).count()


def _check_terms(
    *, help_text: str, visit_every_days: int, starts_on: dt.date, ends_on: dt.date
) -> None:
    errors: dict[str, list[str]] = {}
    if len(help_text.strip()) < 2:
        errors["help"] = [_("Say what help is agreed.")]
    if not 1 <= visit_every_days <= MAX_VISIT_INTERVAL:
        errors["visit_every_days"] = [_("Visits are between every day and once a year.")]
    if ends_on < starts_on:
        errors["ends_on"] = [_("The agreement cannot end before it starts.")]
    elif (ends_on - starts_on).days > MAX_AGREEMENT_DAYS:
        errors["ends_on"] = [_("An agreement runs for at most three years; renew it after.")]
    if starts_on < timezone.localdate() - dt.timedelta(days=31):
        errors["starts_on"] = [_("An agreement cannot start more than a month ago.")]
    if errors:
        raise ValidationError(errors)


def pair(
    *,
    by: User,
    need: Need,
    help_text: str,
    visit_every_days: int,
    starts_on: dt.date,
    ends_on: dt.date,
    volunteer: Volunteer | None = None,
    team: Team | None = None,
    match_reasons: Sequence[object] = (),
) -> Pairing:
    """Pair a volunteer (or a team) with the resident of an open need."""
    resident = need.resident
    _require_manage(by, resident.unit, "pair")
    if (volunteer is None) == (team is None):
        raise ValidationError({"volunteer": [_("Choose a volunteer or a service team.")]})
    if volunteer is not None and volunteer.resident_id == resident.pk:
        raise ValidationError({"volunteer": [_("A volunteer cannot be paired with themselves.")]})
    helper_unit = volunteer.unit if volunteer is not None else team.unit  # type: ignore[union-attr]
    if not get_scope(by).covers_unit(helper_unit, Perm.VOLUNTEERS_VIEW):
        audit.record_failure(actor=by, action="volunteers.pairing.denied", unit=helper_unit)
        raise PermissionDenied(_("This volunteer is outside your area."))
    _check_terms(
        help_text=help_text,
        visit_every_days=visit_every_days,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    try:
        with transaction.atomic():
            locked_need = Need.objects.select_for_update().get(pk=need.pk)
            if locked_need.closed_at is not None:
                raise ValidationError({"need": [_("This need is closed.")]})
            if volunteer is not None:
                # The volunteer's row is locked so two pairings cannot both take the last place.
                helper = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
                if not helper.is_active:
                    raise ValidationError({"volunteer": [_("This volunteer is no longer active.")]})
                if active_load(helper) >= helper.max_pairings:
                    raise ValidationError(
                        {
                            "volunteer": [
                                _("%(name)s already has %(count)d pairings, their limit.")
                                % {"name": helper.name, "count": helper.max_pairings}
                            ]
                        }
                    )
            pairing = Pairing.objects.create(
                code=uuid.uuid4().hex[:20],
                volunteer=volunteer,
                team=team,
                resident=resident,
                need=locked_need,
                unit=resident.unit,
                help=help_text.strip(),
                visit_every_days=visit_every_days,
                starts_on=starts_on,
                ends_on=ends_on,
                next_visit_due=starts_on + dt.timedelta(days=visit_every_days),
                match_reasons=list(match_reasons),
                created_by=by,
            )
            pairing.code = f"BF-{starts_on.year}-{pairing.pk:06d}"
            pairing.save(update_fields=["code"])
            audit.record(
                actor=by,
                action="volunteers.pairing.created",
                obj=pairing,
                unit=resident.unit,
                data={
                    "resident": resident.pk,
                    "need": need.pk,
                    "volunteer": volunteer.pk if volunteer else None,
                    "team": team.pk if team else None,
                    "proposed": bool(match_reasons),
                },
            )
    except IntegrityError as exc:
        raise ValidationError({"need": [_("Someone is already paired with this need.")]}) from exc
    return pairing


def _visitor_for(pairing: Pairing, by: User, volunteer: Volunteer | None) -> tuple[Volunteer, bool]:
    """Who made the visit, and whether ``by`` records it as staff (else as the volunteer)."""
    staff = get_scope(by).covers_unit(pairing.unit, Perm.VOLUNTEERS_MANAGE)
    own = Volunteer.objects.filter(user=by, is_active=True).first()
    if pairing.volunteer_id is not None:
        members = {pairing.volunteer_id}
    else:
        members = set(pairing.team.members.values_list("pk", flat=True))  # type: ignore[union-attr]
    if staff:
        chosen = volunteer or pairing.volunteer
        if chosen is None or chosen.pk not in members:
            raise ValidationError({"volunteer": [_("Choose the team member who visited.")]})
        return chosen, True
    if own is not None and own.pk in members and (volunteer is None or volunteer.pk == own.pk):
        return own, False
    audit.record_failure(actor=by, action="volunteers.visit.denied", obj=pairing, unit=pairing.unit)
    raise PermissionDenied(_("Only the paired volunteer or the community can log this visit."))


def record_visit(
    pairing: Pairing,
    *,
    by: User,
    visited_on: dt.date,
    notes: str,
    hours: Decimal | None = None,
    volunteer: Volunteer | None = None,
) -> PairingVisit:
    """A visit under the pairing. Logged by staff, its hours become service hours recorded by the
    pairing's unit at once; logged by the volunteer, they wait for the unit to certify them."""
    visitor, as_staff = _visitor_for(pairing, by, volunteer)
    errors: dict[str, list[str]] = {}
    if visited_on > timezone.localdate():
        errors["visited_on"] = [_("A visit cannot be logged for a day still to come.")]
    elif visited_on < pairing.starts_on:
        errors["visited_on"] = [_("The visit is before the agreement started.")]
    if len(notes.strip()) < 2:
        errors["notes"] = [_("Write what was done on the visit.")]
    if hours is not None and not Decimal("0.5") <= hours <= MAX_HOURS_PER_RECORD:
        errors["hours"] = [_("Hours of one activity are between 0.5 and 24.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Pairing.objects.select_for_update().get(pk=pairing.pk)
        if locked.status != Pairing.Status.ACTIVE:
            raise ValidationError({"visited_on": [_("This pairing has ended.")]})
        record = None
        if hours is not None and as_staff:
            record = _service_record(locked, visitor, by=by, day=visited_on, hours=hours)
        visit = PairingVisit.objects.create(
            pairing=locked,
            volunteer=visitor,
            visited_on=visited_on,
            hours=hours,
            notes=notes.strip(),
            service_record=record,
            recorded_by=by,
        )
        last = max(filter(None, [locked.last_visit_on, visited_on]))
        locked.last_visit_on = last
        locked.next_visit_due = last + dt.timedelta(days=locked.visit_every_days)
        locked.save(update_fields=["last_visit_on", "next_visit_due"])
        audit.record(
            actor=by,
            action="volunteers.visit.logged",
            obj=locked,
            unit=locked.unit,
            data={"visit": visit.pk, "by_volunteer": not as_staff},
        )
    pairing.last_visit_on, pairing.next_visit_due = locked.last_visit_on, locked.next_visit_due
    return visit


def _service_record(
    pairing: Pairing, volunteer: Volunteer, *, by: User, day: dt.date, hours: Decimal
) -> ServiceRecord:
    return ServiceRecord.objects.create(
        volunteer=volunteer,
        activity=_("Pairing visit %(code)s") % {"code": pairing.code},
        served_on=day,
        hours=hours,
        organiser=pairing.unit,
        recorded_by=by,
    )


def certify_visit_hours(visit: PairingVisit, *, by: User) -> ServiceRecord:
    """The unit certifies the hours a volunteer logged for a visit (谁记录谁证明)."""
    pairing = visit.pairing
    _require_manage(by, pairing.unit, "certify")
    with transaction.atomic():
        locked = PairingVisit.objects.select_for_update().get(pk=visit.pk)
        if locked.hours is None:
            raise ValidationError({"hours": [_("No hours were logged for this visit.")]})
        if locked.service_record_id is not None:
            raise ValidationError({"hours": [_("These hours are already certified.")]})
        record = _service_record(
            pairing, locked.volunteer, by=by, day=locked.visited_on, hours=locked.hours
        )
        locked.service_record = record
        locked.save(update_fields=["service_record"])
        audit.record(
            actor=by,
            action="volunteers.hours_recorded",
            obj=locked.volunteer,
            unit=pairing.unit,
            data={"record": record.pk, "visit": locked.pk, "hours": str(locked.hours)},
        )
    visit.service_record = record
    return record


def end_pairing(pairing: Pairing, *, by: User, reason: str, need_met: bool = False) -> Pairing:
    """End the agreement, with the reason; when the need is met it is closed too."""
    _require_manage(by, pairing.unit, "end")
    if len(reason.strip()) < 2:
        raise ValidationError({"reason": [_("Say why the pairing ends.")]})
    with transaction.atomic():
        changed = Pairing.objects.filter(pk=pairing.pk, status=Pairing.Status.ACTIVE).update(
            status=Pairing.Status.ENDED, ended_on=timezone.localdate(), end_reason=reason[:200]
        )
        if changed != 1:
            raise ValidationError({"reason": [_("This pairing has already ended.")]})
        if need_met:
            Need.objects.filter(pk=pairing.need_id, closed_at__isnull=True).update(
                closed_at=timezone.now(),
                close_reason=_("Met through pairing %(code)s") % {"code": pairing.code},
            )
        audit.record(
            actor=by,
            action="volunteers.pairing.ended",
            obj=pairing,
            unit=pairing.unit,
            data={"need_met": need_met},
        )
    pairing.refresh_from_db()
    return pairing
