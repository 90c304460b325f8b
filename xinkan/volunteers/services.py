"""Every write to volunteers and their service hours."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.core.crypto import blind_index
from xinkan.core.phones import is_plausible_phone, normalise_phone
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.volunteers.models import ServiceRecord, Skill, Volunteer

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.org.models import Unit

PHONE_PURPOSE = "volunteer.phone"
MAX_HOURS_PER_RECORD = Decimal("24")


def _require(by: User, unit: Unit, action: str) -> None:
    if not get_scope(by).covers_unit(unit, Perm.VOLUNTEERS_MANAGE):
        audit.record_failure(
            actor=by, action="volunteers.denied", unit=unit, data={"action": action}
        )
        raise PermissionDenied(_("You may not do this for volunteers outside your area."))


def register_volunteer(
    *,
    by: User,
    name: str,
    unit: Unit,
    skills: list[str],
    phone: str = "",
    available_days: list[int] | None = None,
    available_note: str = "",
    max_pairings: int = 2,
) -> Volunteer:
    _require(by, unit, "register")
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the volunteer's name.")]
    if not skills or any(s not in Skill.values for s in skills):
        errors["skills"] = [_("Choose at least one skill.")]
    days = sorted(set(available_days or []))
    if any(d not in range(7) for d in days):
        errors["available_days"] = [_("Choose days of the week.")]
    if not 1 <= max_pairings <= 10:
        errors["max_pairings"] = [_("A volunteer takes between 1 and 10 pairings.")]
    digits = normalise_phone(phone)
    if digits and not is_plausible_phone(digits):
        errors["phone"] = [_("A phone number has 7 to 15 digits.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        volunteer = Volunteer.objects.create(
            name=name.strip()[:60],
            unit=unit,
            skills=sorted(set(skills)),
            phone=digits,
            phone_index=blind_index(digits, PHONE_PURPOSE) if digits else "",
            available_days=days,
            available_note=available_note.strip()[:100],
            max_pairings=max_pairings,
            created_by=by,
        )
        audit.record(
            actor=by,
            action="volunteers.registered",
            obj=volunteer,
            unit=unit,
            data={"skills": volunteer.skills},
        )
    return volunteer


def _tenths(hours: Decimal) -> str:
    return str(Decimal(hours).quantize(Decimal("0.1")))


def _check_hours(hours: Decimal, served_on: dt.date) -> None:
    errors: dict[str, list[str]] = {}
    if not Decimal("0.5") <= hours <= MAX_HOURS_PER_RECORD:
        errors["hours"] = [_("Hours of one activity are between 0.5 and 24.")]
    if served_on > timezone.localdate():
        errors["served_on"] = [_("Hours cannot be recorded for a day still to come.")]
    if errors:
        raise ValidationError(errors)


def record_service(
    volunteer: Volunteer,
    *,
    by: User,
    organiser: Unit,
    activity: str,
    served_on: dt.date,
    hours: Decimal,
) -> ServiceRecord:
    """Hours of an activity, recorded by the unit that organised it (谁组织谁记录)."""
    _require(by, organiser, "record")
    if not activity.strip():
        raise ValidationError({"activity": [_("Name the activity.")]})
    _check_hours(hours, served_on)
    with transaction.atomic():
        record = ServiceRecord.objects.create(
            volunteer=volunteer,
            activity=activity.strip()[:120],
            served_on=served_on,
            hours=hours,
            organiser=organiser,
            recorded_by=by,
        )
        audit.record(
            actor=by,
            action="volunteers.hours_recorded",
            obj=volunteer,
            unit=organiser,
            data={"record": record.pk, "hours": _tenths(hours)},
        )
    return record


def correct_service(
    record: ServiceRecord, *, by: User, hours: Decimal, served_on: dt.date, reason: str
) -> ServiceRecord:
    """A correction asked for by the volunteer, made by the organising unit (谁记录谁证明): a new
    record supersedes the old one, which is kept."""
    _require(by, record.organiser, "correct")
    if len(reason.strip()) < 2:
        raise ValidationError({"reason": [_("Say what the volunteer asked to correct.")]})
    _check_hours(hours, served_on)
    with transaction.atomic():
        if (
            ServiceRecord.objects.filter(pk=record.pk, superseded=False).update(superseded=True)
            != 1
        ):
            raise ValidationError({"reason": [_("This record was already corrected.")]})
        fixed = ServiceRecord.objects.create(
            volunteer=record.volunteer,
            activity=record.activity,
            served_on=served_on,
            hours=hours,
            organiser=record.organiser,
            recorded_by=by,
            corrects=record,
            correction_reason=reason.strip()[:200],
        )
        audit.record(
            actor=by,
            action="volunteers.hours_corrected",
            obj=record.volunteer,
            unit=record.organiser,
            changes={"hours": [_tenths(record.hours), _tenths(hours)]},
            data={"record": fixed.pk, "corrects": record.pk},
        )
    return fixed


def link_account(volunteer: Volunteer, *, by: User, username: str) -> Volunteer:
    """Give the volunteer their own login: an existing account (made by the administrator) is
    tied to the profile, so its holder sees their pairings and hours and logs visits."""
    from xinkan.accounts.models import User as Account

    _require(by, volunteer.unit, "link_account")
    account = Account.objects.filter(username=username.strip(), is_active=True).first()
    if account is None:
        raise ValidationError({"username": [_("No active account has this user name.")]})
    if Volunteer.objects.filter(user=account).exclude(pk=volunteer.pk).exists():
        raise ValidationError(
            {"username": [_("This account already belongs to another volunteer.")]}
        )
    with transaction.atomic():
        volunteer.user = account
        volunteer.save(update_fields=["user"])
        audit.record(
            actor=by,
            action="volunteers.account_linked",
            obj=volunteer,
            unit=volunteer.unit,
            data={"account": account.pk},
        )
    return volunteer
