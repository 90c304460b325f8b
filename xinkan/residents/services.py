"""Every write to the residents' archive."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.models import Gender, Household, Resident

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
) -> Resident:
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
    resident.full_clean()
    with transaction.atomic():
        resident.save()
        audit.record(
            actor=by,
            action="residents.resident.created",
            obj=resident,
            unit=unit,
            changes={k: [None, v] for k, v in audit.snapshot(resident, RESIDENT_FIELDS).items()},
        )
    return resident
