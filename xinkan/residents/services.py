"""Every write to the residents' archive."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.core.crypto import blind_index
from xinkan.core.phones import is_plausible_phone, normalise_phone
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.identity import IdNumberError, parse_id_number
from xinkan.residents.models import (
    CareVisit,
    ColourCategory,
    Gender,
    Household,
    Need,
    NeedType,
    Resident,
    ResidentColour,
)

ID_PURPOSE = "resident.id_number"
PHONE_PURPOSE = "resident.phone"
# Personal fields are audited as changed, never with their values.
PERSONAL_FIELDS = ("id_number", "phone")

if TYPE_CHECKING:
    from xinkan.accounts.models import User

RESIDENT_FIELDS = [
    "name",
    "gender",
    "birth_date",
    "address",
    "occupation",
    "unit",
    "household",
    "relation",
    "tags",
]


def _require_manage(by: User | None, unit: Unit) -> None:
    # Checked before the service's transaction opens, so that the refusal's audit entry is kept.
    if by is None:  # system set-up (seed data, imports run by the system)
        return
    if not get_scope(by).covers_unit(unit, Perm.RESIDENTS_MANAGE):
        audit.record_failure(actor=by, action="residents.manage.denied", unit=unit)
        raise PermissionDenied(_("You may not change residents of this unit."))


def create_household(*, code: str, unit: Unit, address: str, by: User | None) -> Household:
    _require_manage(by, unit)
    household = Household(code=code.strip(), unit=unit, address=address.strip())
    household.full_clean()
    with transaction.atomic():
        household.save()
        audit.record(
            actor=by,
            action="residents.household.created",
            obj=household,
            unit=unit,
            changes={"code": [None, household.code], "address": [None, household.address]},
        )
    return household


def register_resident(
    *,
    name: str,
    unit: Unit,
    by: User | None,
    household: Household | None = None,
    relation: str = "",
    gender: str = Gender.UNKNOWN,
    birth_date: dt.date | None = None,
    address: str = "",
    occupation: str = "",
    id_number: str = "",
    phone: str = "",
) -> Resident:
    """Add a resident to the archive. An ID number is checked (GB 11643) and gives the date of
    birth and the gender; it may be in the archive once."""
    _require_manage(by, unit)
    if household is not None and household.unit_id != unit.pk:
        _require_manage(by, household.unit)  # no linking to a household outside one's area
    resident = Resident(
        name=name.strip(),
        unit=unit,
        household=household,
        relation=relation,
        gender=gender,
        birth_date=birth_date,
        address=address.strip() or (household.address if household else ""),
        occupation=occupation,
    )
    _set_personal(resident, id_number=id_number, phone=phone)
    resident.full_clean(exclude=["id_number_index", "phone_index"])
    try:
        with transaction.atomic():
            resident.save()
            changes = {k: [None, v] for k, v in audit.snapshot(resident, RESIDENT_FIELDS).items()}
            changes.update({f: [None, "…"] for f in PERSONAL_FIELDS if getattr(resident, f)})
            audit.record(
                actor=by,
                action="residents.resident.created",
                obj=resident,
                unit=unit,
                changes=changes,
            )
    except IntegrityError as exc:
        raise _duplicate_id() from exc
    return resident


def _duplicate_id() -> ValidationError:
    return ValidationError(
        {"id_number": [_("A resident with this ID number is already in the archive.")]}
    )


def _set_personal(resident: Resident, *, id_number: str, phone: str) -> None:
    if id_number.strip():
        try:
            parsed = parse_id_number(id_number)
        except IdNumberError as exc:
            raise ValidationError({"id_number": [str(exc)]}) from exc
        resident.id_number = parsed.value
        resident.id_number_index = blind_index(parsed.value, ID_PURPOSE)
        resident.birth_date = parsed.birth_date
        resident.gender = parsed.gender
    else:
        resident.id_number, resident.id_number_index = "", ""
    digits = normalise_phone(phone)
    if digits and not is_plausible_phone(digits):
        raise ValidationError({"phone": [_("A phone number has 7 to 15 digits.")]})
    resident.phone = digits
    resident.phone_index = blind_index(digits, PHONE_PURPOSE) if digits else ""


def update_personal(resident: Resident, *, by: User, id_number: str, phone: str) -> Resident:
    """Change a resident's ID number and phone; the audit says which changed, not to what."""
    _require_manage(by, resident.unit)
    before = {f: getattr(resident, f) for f in PERSONAL_FIELDS}
    _set_personal(resident, id_number=id_number, phone=phone)
    changed = [f for f in PERSONAL_FIELDS if getattr(resident, f) != before[f]]
    if not changed:
        return resident
    try:
        with transaction.atomic():
            resident.save()
            audit.record(
                actor=by,
                action="residents.resident.updated",
                obj=resident,
                unit=resident.unit,
                changes={f: ["…", "…"] for f in changed},
            )
    except IntegrityError as exc:
        raise _duplicate_id() from exc
    return resident


def reveal(resident: Resident, *, field: str, by: User) -> str:
    """The full value of a masked personal field, for those permitted; every showing audited."""
    if field not in PERSONAL_FIELDS:
        raise ValueError(field)
    if not get_scope(by).covers_unit(resident.unit, Perm.RESIDENTS_VIEW_PERSONAL):
        audit.record_failure(
            actor=by, action="residents.resident.reveal.denied", obj=resident, unit=resident.unit
        )
        raise PermissionDenied(_("You may not see this resident's full personal data."))
    audit.record(
        actor=by,
        action="residents.resident.revealed",
        obj=resident,
        unit=resident.unit,
        data={"field": field},
    )
    return str(getattr(resident, field))


# --- Colour categories and visits ----------------------------------------------------------------


def _require_category(by: User, resident: Resident, category: ColourCategory) -> None:
    _require_manage(by, resident.unit)
    if category.sensitive and not get_scope(by).covers_unit(
        resident.unit, Perm.RESIDENTS_VIEW_SENSITIVE
    ):
        audit.record_failure(
            actor=by, action="residents.colour.denied", obj=resident, unit=resident.unit
        )
        raise PermissionDenied(_("You may not record this category: it is sensitive."))


def add_colour(
    resident: Resident,
    *,
    category: ColourCategory,
    reason: str,
    by: User,
    since: dt.date | None = None,
) -> ResidentColour:
    """Put a resident in a colour category, with the reason and the date."""
    _require_category(by, resident, category)
    if len(reason.strip()) < 2:
        raise ValidationError({"reason": [_("Say why the resident is in this category.")]})
    if not category.is_active:
        raise ValidationError({"category": [_("This category is no longer used.")]})
    try:
        with transaction.atomic():
            row = ResidentColour.objects.create(
                resident=resident,
                category=category,
                since=since or timezone.localdate(),
                reason=reason.strip()[:200],
                added_by=by,
            )
            audit.record(
                actor=by,
                action="residents.colour.added",
                obj=resident,
                unit=resident.unit,
                data={"category": category.colour, "sensitive": category.sensitive},
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"category": [_("The resident is already in this category.")]}
        ) from exc
    return row


def end_colour(row: ResidentColour, *, reason: str, by: User) -> ResidentColour:
    """Take a resident out of a category; the history keeps when and why."""
    resident = row.resident
    _require_category(by, resident, row.category)
    if len(reason.strip()) < 2:
        raise ValidationError({"reason": [_("Say why the resident leaves this category.")]})
    with transaction.atomic():
        changed = ResidentColour.objects.filter(pk=row.pk, ended_on__isnull=True).update(
            ended_on=timezone.localdate(), end_reason=reason.strip()[:200], ended_by=by
        )
        if changed != 1:
            raise ValidationError({"category": [_("The resident already left this category.")]})
        audit.record(
            actor=by,
            action="residents.colour.ended",
            obj=resident,
            unit=resident.unit,
            data={"category": row.category.colour},
        )
    row.refresh_from_db()
    return row


def record_care_visit(
    resident: Resident, *, by: User, found: str, visited_on: dt.date | None = None
) -> CareVisit:
    """A care visit: who went, when, what was found."""
    if not get_scope(by).covers_unit(resident.unit, Perm.RESIDENTS_MANAGE):
        audit.record_failure(actor=by, action="residents.visit.denied", obj=resident)
        raise PermissionDenied(_("You may not record visits for this resident."))
    day = visited_on or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"visited_on": [_("A visit cannot be recorded in the future.")]})
    if len(found.strip()) < 2:
        raise ValidationError({"found": [_("Write what was found on the visit.")]})
    with transaction.atomic():
        visit = CareVisit.objects.create(
            resident=resident, visited_by=by, visited_on=day, found=found.strip()
        )
        audit.record(actor=by, action="residents.visit.recorded", obj=resident, unit=resident.unit)
    return visit


# --- Needs ---------------------------------------------------------------------------------------


def open_need(
    resident: Resident,
    *,
    by: User,
    need_type: str,
    urgency: str = Need.Urgency.NORMAL,
    frequency: str = "",
    notes: str = "",
) -> Need:
    """Record what a resident needs help with."""
    _require_manage(by, resident.unit)
    if need_type not in NeedType.values:
        raise ValidationError({"need_type": [_("Choose the kind of help needed.")]})
    if urgency not in Need.Urgency.values:
        raise ValidationError({"urgency": [_("Choose how urgent the need is.")]})
    with transaction.atomic():
        need = Need.objects.create(
            resident=resident,
            need_type=need_type,
            urgency=urgency,
            frequency=frequency.strip()[:60],
            notes=notes.strip(),
            opened_by=by,
        )
        audit.record(
            actor=by,
            action="residents.need.opened",
            obj=resident,
            unit=resident.unit,
            data={"need": need.pk, "type": need_type},
        )
    return need


def close_need(need: Need, *, by: User, reason: str) -> Need:
    """The need is met (or gone): closed with the reason, kept in the history."""
    resident = need.resident
    _require_manage(by, resident.unit)
    if len(reason.strip()) < 2:
        raise ValidationError({"reason": [_("Say why the need is closed.")]})
    with transaction.atomic():
        changed = Need.objects.filter(pk=need.pk, closed_at__isnull=True).update(
            closed_at=timezone.now(), close_reason=reason.strip()[:200]
        )
        if changed != 1:
            raise ValidationError({"reason": [_("This need is already closed.")]})
        audit.record(
            actor=by,
            action="residents.need.closed",
            obj=resident,
            unit=resident.unit,
            data={"need": need.pk},
        )
    need.refresh_from_db()
    return need
