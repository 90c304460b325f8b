"""Moving a dispute along the ladder: sessions, going up a step, withdrawal, referral after the
station, and who mediates."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.mediation.models import (
    Dispute,
    Mediator,
    Referral,
    Session,
    State,
    Step,
    StepRecord,
)
from xinkan.mediation.services import _core
from xinkan.mediation.services.notify import send, tell_staff
from xinkan.org.roles import Perm, Role
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.matters.models import Matter


def _reason(text: str, field: str, message: str) -> str:
    text = text.strip()
    if len(text) < 4:
        raise ValidationError({field: [message]})
    return text


def _open(dispute: Dispute) -> StepRecord:
    if dispute.state != State.MEDIATING:
        raise _core.MediationError(
            _("This cannot be done: the dispute is “%(state)s”.")
            % {"state": State(dispute.state).label}
        )
    return _core.current_step(dispute)


# --- Sessions ------------------------------------------------------------------------------------


def record_session(
    dispute: Dispute,
    *,
    by: User,
    at: dt.datetime,
    place: str,
    attendees: str = "",
    statements: str = "",
    proposals: str = "",
    version: int | None = None,
) -> Session:
    """A session of the current step: held (with what each side said) when `at` has passed,
    otherwise planned — the station's calendar shows planned sessions of step ④."""
    record = _open(dispute)
    _core.require_mediate(by, dispute, record, "session")
    if not place.strip():
        raise ValidationError({"place": [_("Say where the session takes place.")]})
    held = at <= timezone.now()
    if held and not statements.strip():
        raise ValidationError({"statements": [_("Record what each side said at the session.")]})
    with transaction.atomic():
        _core.bump(dispute, version=version)
        session = Session.objects.create(
            dispute=dispute,
            step_record=record,
            at=at,
            place=place.strip(),
            attendees=attendees.strip(),
            statements=statements.strip(),
            proposals=proposals.strip(),
            held=held,
            recorded_by=by,
        )
        _core.event(
            dispute,
            by=by,
            action="session_recorded" if held else "session_scheduled",
            note=statements.strip()[:2000] if held else "",
            data={"session": session.pk, "at": at, "place": place.strip(), "step": record.step},
        )
        if not held:
            people = [m.user for m in record.mediators.filter(active=True).select_related("user")]
            send(
                people,
                dispute,
                kind="session_planned",
                text=_("%(code)s: mediation session on %(at)s at %(place)s")
                % {
                    "code": dispute.code,
                    "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M"),
                    "place": place.strip(),
                },
                fact=f"session{session.pk}",
            )
    return session


def complete_session(
    session: Session, *, by: User, statements: str, proposals: str = "", attendees: str = ""
) -> Session:
    """Record what happened at a planned session."""
    dispute = session.dispute
    record = _open(dispute)
    _core.require_mediate(by, dispute, record, "session")
    if session.held:
        raise _core.MediationError(_("This session has already been recorded."))
    if session.at > timezone.now():
        raise _core.MediationError(_("This session has not taken place yet."))
    if not statements.strip():
        raise ValidationError({"statements": [_("Record what each side said at the session.")]})
    with transaction.atomic():
        changed = Session.objects.filter(pk=session.pk, held=False).update(
            held=True,
            statements=statements.strip(),
            proposals=proposals.strip(),
            attendees=attendees.strip() or session.attendees,
        )
        if changed != 1:
            raise _core.stale()
        _core.bump(dispute, version=None)
        _core.event(
            dispute,
            by=by,
            action="session_recorded",
            note=statements.strip()[:2000],
            data={"session": session.pk},
        )
    session.refresh_from_db()
    return session


# --- Up the ladder -------------------------------------------------------------------------------


def escalate(dispute: Dispute, *, by: User, reason: str, version: int | None = None) -> StepRecord:
    """Not settled at this step: say why, and the dispute goes to the next step with its
    mediators assigned (a lawyer from the roster at ③, free of conflicts)."""
    record = _open(dispute)
    _core.require_mediate(by, dispute, record, "escalate")
    reason = _reason(reason, "reason", _("Say why the dispute was not settled at this step."))
    if record.step >= Step.STATION:
        raise _core.MediationError(
            _(
                "The station is the last step: end the mediation and refer the parties to arbitration, a court or letters and visits."
            )
        )
    next_step = record.step + 1
    with transaction.atomic():
        _core.bump(dispute, version=version)
        mediators = _core.mediators_for(dispute, next_step, previous=record)
        StepRecord.objects.filter(pk=record.pk).update(
            outcome=StepRecord.Outcome.NOT_SETTLED, ended_at=timezone.now(), end_reason=reason
        )
        _core.meet_deadline(record)
        _core.event(dispute, by=by, action="not_settled", note=reason, data={"step": record.step})
        new = _core.start_step(dispute, next_step, by=by, mediators=mediators)
        Dispute.objects.filter(pk=dispute.pk).update(
            step=dispute.step, responsible_unit=dispute.responsible_unit
        )
        tell_staff(dispute, new=True, mediators=[user for user, _kind in mediators])
    return new


def withdraw(dispute: Dispute, *, by: User, reason: str, version: int | None = None) -> None:
    """A party withdraws or refuses mediation (《人民调解法》 Art. 17, 23): mediation ends."""
    record = _open(dispute)
    _core.require_mediate(by, dispute, record, "withdraw")
    reason = _reason(reason, "reason", _("Say who withdrew and why."))
    with transaction.atomic():
        now = timezone.now()
        _core.bump(dispute, version=version, state=State.WITHDRAWN, ended_at=now)
        StepRecord.objects.filter(pk=record.pk).update(
            outcome=StepRecord.Outcome.WITHDRAWN, ended_at=now, end_reason=reason
        )
        _core.meet_deadline(record)
        _core.event(
            dispute,
            by=by,
            action="withdrawn",
            note=reason,
            changes={"state": [State.MEDIATING, State.WITHDRAWN]},
        )


def refer(dispute: Dispute, *, by: User, to: str, note: str, version: int | None = None) -> Dispute:
    """Not settled at the station: end mediation and record where the parties were sent
    (《人民调解法》 Art. 26). Sent to letters and visits, a matter is registered for them."""
    record = _open(dispute)
    if record.step != Step.STATION:
        raise _core.MediationError(
            _("Only the station refers a dispute elsewhere; below it, the dispute goes up a step.")
        )
    _core.require_mediate(by, dispute, record, "refer")
    if to not in Referral.values:
        raise ValidationError({"to": [_("Choose where the parties are referred.")]})
    note = _reason(
        note, "note", _("Say why the station could not settle it and what the parties were told.")
    )
    with transaction.atomic():
        now = timezone.now()
        matter = _petition(dispute, by=by, note=note) if to == Referral.PETITION else None
        _core.bump(
            dispute,
            version=version,
            state=State.REFERRED,
            ended_at=now,
            referral=to,
            referral_note=note,
            referral_matter=matter,
        )
        StepRecord.objects.filter(pk=record.pk).update(
            outcome=StepRecord.Outcome.NOT_SETTLED, ended_at=now, end_reason=note
        )
        _core.meet_deadline(record)
        _core.event(
            dispute,
            by=by,
            action="referred",
            note=note,
            data={"to": to, "matter": matter.pk if matter else None},
            changes={"state": [State.MEDIATING, State.REFERRED]},
        )
    return dispute


def _petition(dispute: Dispute, *, by: User, note: str) -> Matter:
    """A matter for the letters-and-visits channel, through the matters services."""
    from xinkan.matters import services as matters
    from xinkan.matters.models import Category, Channel

    party = dispute.parties.order_by("position").first()
    category = (
        Category.objects.filter(code="neighbours", is_active=True).first()
        or Category.objects.filter(code="other", is_active=True).first()
    )
    if category is None:
        raise _core.MediationError(_("No category for letters and visits is set up."))
    text = _(
        "Dispute %(code)s (%(title)s) was not settled by mediation at the station: %(note)s"
    ) % {"code": dispute.code, "title": dispute.title, "note": note}
    result = matters.register_matter(
        matters.Intake(
            channel=Channel.VISIT,
            category=category,
            description=text[:2000],
            unit=dispute.unit,
            address=dispute.address,
            contact_name=party.name if party else "",
            contact_phone=party.phone if party else "",
            resident=party.resident if party else None,
            idempotency_key=f"dispute:{dispute.pk}:petition",
        ),
        by=by,
    )
    return result.matter


# --- Who mediates --------------------------------------------------------------------------------


def assign_mediator(
    dispute: Dispute, *, by: User, user: User, version: int | None = None
) -> Mediator:
    """Add a mediator to the current step (a committee member at ②, more mediators and lawyers at
    the station). A lawyer who represented one of the parties is never assigned."""
    record = _open(dispute)
    _core.require_manage(by, dispute, record.unit, "assign")
    scope = get_scope(user)
    is_lawyer = scope.has_role(Role.LAWYER)
    if is_lawyer and _core.is_lawyer_conflicted(dispute, user):
        raise _core.MediationError(
            _("%(name)s represented one of the parties before and may not mediate this dispute.")
            % {"name": user}
        )
    if not is_lawyer and not scope.covers_unit(record.unit, Perm.MEDIATION_MEDIATE):
        raise _core.MediationError(
            _("%(name)s does not mediate for %(unit)s.") % {"name": user, "unit": record.unit.name}
        )
    with transaction.atomic():
        _core.bump(dispute, version=version)
        mediator, created = Mediator.objects.get_or_create(
            step_record=record,
            user=user,
            defaults={"kind": Mediator.Kind.LAWYER if is_lawyer else Mediator.Kind.MEDIATOR},
        )
        if not created and not mediator.active:
            Mediator.objects.filter(pk=mediator.pk).update(active=True)
        _core.event(
            dispute,
            by=by,
            action="mediator_assigned",
            data={"user": user.pk, "step": record.step, "lawyer": is_lawyer},
        )
        send(
            [user],
            dispute,
            kind="dispute_new",
            text=_("%(code)s: you mediate this dispute — %(title)s")
            % {"code": dispute.code, "title": dispute.title},
            fact=f"assigned{record.pk}",
        )
    return mediator
