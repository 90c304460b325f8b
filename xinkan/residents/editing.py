"""Changing the archive by hand: a household's address and place, a resident's basic facts, their
household and relation to its head. Creation is in services (register_resident,
create_household); ID numbers and phones change through services.update_personal.

Every change is audited with the fields changed, before and after (personal values never).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.org.models import Level, Unit
from xinkan.residents.models import Gender, Household, Resident
from xinkan.residents.services import RESIDENT_FIELDS, _require_manage

if TYPE_CHECKING:
    from xinkan.accounts.models import User

HOUSEHOLD_FIELDS = ["address", "unit"]
# Where people live: a grid or a community (a village), never a subdistrict or the district.
RESIDENCE_LEVELS = (Level.GRID, Level.COMMUNITY)
# The usual answers to "relation to the head of the household" (与户主关系), as in the hukou booklet.
RELATIONS = (
    "户主",
    "配偶",
    "子",
    "女",
    "父亲",
    "母亲",
    "孙子",
    "孙女",
    "兄弟",
    "姐妹",
    "儿媳",
    "女婿",
    "其他",
)


MAX_TAGS = 10
MAX_TAG_LENGTH = 20


def parse_tags(text: str) -> list[str]:
    """Tags typed as one line, separated by commas, 、 or spaces; each once, in the order given."""
    seen: list[str] = []
    for part in re.split(r"[,，、;；\s]+", text):
        tag = part.strip()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def _check_place(unit: Unit) -> None:
    if unit.level not in RESIDENCE_LEVELS:
        raise ValidationError({"unit": [_("Residents live in a grid or a community.")]})


def update_household(household: Household, *, by: User, address: str, unit: Unit) -> Household:
    """Correct a household's address or move it to another grid; its members move with it."""
    _require_manage(by, household.unit)
    if unit.pk != household.unit_id:
        _require_manage(by, unit)
        _check_place(unit)
    if len(address.strip()) < 2:
        raise ValidationError({"address": [_("Give the household's address.")]})
    before = audit.snapshot(household, HOUSEHOLD_FIELDS)
    household.address = address.strip()[:200]
    household.unit = unit
    changes = audit.diff(before, audit.snapshot(household, HOUSEHOLD_FIELDS))
    if not changes:
        return household
    with transaction.atomic():
        household.save(update_fields=["address", "unit", "updated_at"])
        if "unit" in changes:
            household.members.update(unit=unit)
        audit.record(
            actor=by,
            action="residents.household.updated",
            obj=household,
            unit=unit,
            changes=changes,
        )
    return household


def update_resident(
    resident: Resident,
    *,
    by: User,
    name: str,
    unit: Unit,
    household: Household | None,
    relation: str,
    address: str,
    occupation: str,
    gender: str = "",
    birth_date: dt.date | None = None,
    tags: list[str] | None = None,
) -> Resident:
    """Correct a resident's basic facts. With an ID number on file, the date of birth and the
    gender come from it and are not changed by hand."""
    _require_manage(by, resident.unit)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the resident's name.")]
    if unit.pk != resident.unit_id:
        _require_manage(by, unit)
        if unit.level not in RESIDENCE_LEVELS:
            errors["unit"] = [_("Residents live in a grid or a community.")]
    if household is not None and household.pk != resident.household_id:
        _require_manage(by, household.unit)
    if household is not None and household.unit_id != unit.pk:
        errors["household"] = [_("The household is in another grid; move the household instead.")]
    if household is None and relation.strip():
        errors["relation"] = [_("A relation to the head needs a household.")]
    if not resident.id_number:
        if gender and gender not in Gender.values:
            errors["gender"] = [_("Choose a gender.")]
        if birth_date is not None and birth_date > dt.date.today():
            errors["birth_date"] = [_("The date of birth is in the future.")]
    if tags is not None and (
        len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in tags)
    ):
        errors["tags"] = [
            _("At most %(n)d tags of at most %(m)d characters each.")
            % {"n": MAX_TAGS, "m": MAX_TAG_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(resident, RESIDENT_FIELDS)
    resident.name = name.strip()[:60]
    resident.unit = unit
    resident.household = household
    resident.relation = relation.strip()[:20] if household is not None else ""
    resident.address = address.strip()[:200] or (household.address if household else "")
    resident.occupation = occupation.strip()[:60]
    if tags is not None:
        resident.tags = tags
    if not resident.id_number:
        resident.gender = gender or resident.gender
        resident.birth_date = birth_date
    changes = audit.diff(before, audit.snapshot(resident, RESIDENT_FIELDS))
    if not changes:
        return resident
    with transaction.atomic():
        resident.save()
        audit.record(
            actor=by,
            action="residents.resident.updated",
            obj=resident,
            unit=unit,
            changes=changes,
        )
    return resident
