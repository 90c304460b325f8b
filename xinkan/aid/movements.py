"""What drives and stations take in and give out — every write of a `Movement`.

Concurrency: each write locks its drive's or station's row (`select_for_update`) and then reads
what it holds, so two people giving from the same stock at once are served one after the other and
the second is refused if too little is left; closing a drive waits for a write in progress, and a
write after it sees the drive closed. (SQLite has one writer at a time: the same holds there.)
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.aid import selectors
from xinkan.aid.models import (
    GOODS,
    Direction,
    Drive,
    DriveStatus,
    ItemType,
    Movement,
    Station,
    unit_word_for,
)
from xinkan.aid.services import refuse, require
from xinkan.audit import services as audit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.org.models import Unit
    from xinkan.residents.models import Household, Resident

MAX_QUANTITY = 1_000_000


def _check(
    *,
    item_type: str,
    quantity: int,
    date: dt.date,
    unit_word: str,
    allowed: list[str],
    not_before: dt.date | None = None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if item_type not in allowed:
        errors["item_type"] = [_("Choose the kind of item.")]
    if not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = [_("The quantity is a whole number from 1 to 1,000,000.")]
    if date > timezone.localdate():
        errors["date"] = [_("Nothing can be recorded for a day still to come.")]
    elif not_before is not None and date < not_before:
        errors["date"] = [
            _("The drive starts on %(date)s: record nothing before it.")
            % {"date": not_before.isoformat()}
        ]
    if len(unit_word.strip()) > 8:
        errors["unit_word"] = [_("A unit word has at most 8 characters.")]
    return errors


def _check_recipient(household: Household, resident: Resident | None) -> dict[str, list[str]]:
    if resident is not None and resident.household_id != household.pk:
        return {"resident": [_("This person does not belong to the household.")]}
    return {}


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _refuse_short(holds: int, item_type: str) -> None:
    raise ValidationError(
        {
            "quantity": [
                _("Only %(n)s %(word)s of %(kind)s are held: give no more than that.")
                % {
                    "n": holds,
                    "word": unit_word_for(item_type),
                    "kind": ItemType(item_type).label,
                }
            ]
        }
    )


def _drive_locked(drive: Drive, *, giving: bool) -> Drive:
    locked = Drive.objects.select_for_update().get(pk=drive.pk)
    if locked.status == DriveStatus.PLANNED:
        raise ValidationError({NON_FIELD_ERRORS: [_("This drive is not open yet: open it first.")]})
    if locked.status == DriveStatus.CLOSED:
        message = (
            _("This drive is closed: it gives out nothing more.")
            if giving
            else _("This drive is closed: it takes in nothing more.")
        )
        raise ValidationError({NON_FIELD_ERRORS: [message]})
    return locked


def _station_locked(station: Station) -> Station:
    locked = Station.objects.select_for_update().get(pk=station.pk)
    if not locked.is_active:
        raise ValidationError({NON_FIELD_ERRORS: [_("This station is closed: reopen it first.")]})
    return locked


def _word(item_type: str, unit_word: str) -> str:
    # Cash is always counted in yuan; a blank word means the item type's usual one.
    return "" if item_type == ItemType.CASH else unit_word.strip()[:8]


def _save(by: User, audit_obj: Drive | Station, **values: object) -> Movement:
    movement = Movement.objects.create(recorded_by=by, **values)
    audit.record(
        actor=by,
        action="aid.received" if movement.direction == Direction.IN else "aid.given",
        obj=audit_obj,
        unit=movement.unit,
        data={
            "movement": movement.pk,
            "item_type": movement.item_type,
            "quantity": movement.quantity,
            "household": movement.household_id,
        },
    )
    return movement


def record_receipt(
    drive: Drive,
    *,
    by: User,
    unit: Unit,
    item_type: str,
    quantity: int,
    date: dt.date,
    description: str = "",
    unit_word: str = "",
    donor: str = "",
) -> Movement:
    """Donations collected for an open drive at `unit` (the organiser or a unit of its area)."""
    if not (get_scope(by).covers_unit(unit, Perm.AID_MANAGE) and unit.is_within(drive.unit)):
        refuse(by, drive.unit, "receive", drive)
    _raise(
        _check(
            item_type=item_type,
            quantity=quantity,
            date=date,
            unit_word=unit_word,
            allowed=list(GOODS),
            not_before=drive.starts_on,
        )
    )
    with transaction.atomic():
        _drive_locked(drive, giving=False)
        return _save(
            by,
            drive,
            drive=drive,
            direction=Direction.IN,
            item_type=item_type,
            quantity=quantity,
            unit_word=_word(item_type, unit_word),
            description=description.strip()[:120],
            donor=donor.strip()[:60],
            unit=unit,
            date=date,
        )


def record_gift(
    drive: Drive,
    *,
    by: User,
    household: Household,
    item_type: str,
    quantity: int,
    date: dt.date,
    description: str = "",
    unit_word: str = "",
    notes: str = "",
    resident: Resident | None = None,
) -> Movement:
    """Help given from an open drive to a household of its area, from what the drive holds."""
    if not get_scope(by).covers_unit(household.unit, Perm.AID_MANAGE):
        refuse(by, drive.unit, "give", drive)
    errors = _check(
        item_type=item_type,
        quantity=quantity,
        date=date,
        unit_word=unit_word,
        allowed=list(GOODS),
        not_before=drive.starts_on,
    )
    if not household.unit.is_within(drive.unit):
        errors["household"] = [_("This household lives outside the drive's area.")]
    errors.update(_check_recipient(household, resident))
    _raise(errors)
    with transaction.atomic():
        _drive_locked(drive, giving=True)
        holds = selectors.held(Movement.objects.filter(drive=drive), item_type)
        if quantity > holds:
            _refuse_short(holds, item_type)
        return _save(
            by,
            drive,
            drive=drive,
            direction=Direction.OUT,
            item_type=item_type,
            quantity=quantity,
            unit_word=_word(item_type, unit_word),
            description=description.strip()[:120],
            household=household,
            resident=resident,
            unit=household.unit,
            date=date,
            notes=notes.strip()[:200],
        )


def station_receive(
    station: Station,
    *,
    by: User,
    item_type: str,
    quantity: int,
    date: dt.date,
    description: str = "",
    unit_word: str = "",
    donor: str = "",
) -> Movement:
    """Goods taken in at an open station."""
    require(by, station.unit, "receive", station)
    _raise(
        _check(
            item_type=item_type,
            quantity=quantity,
            date=date,
            unit_word=unit_word,
            allowed=list(GOODS),
        )
    )
    with transaction.atomic():
        _station_locked(station)
        return _save(
            by,
            station,
            station=station,
            direction=Direction.IN,
            item_type=item_type,
            quantity=quantity,
            unit_word=_word(item_type, unit_word),
            description=description.strip()[:120],
            donor=donor.strip()[:60],
            unit=station.unit,
            date=date,
        )


def station_give(
    station: Station,
    *,
    by: User,
    household: Household,
    item_type: str,
    quantity: int,
    date: dt.date,
    description: str = "",
    unit_word: str = "",
    notes: str = "",
    resident: Resident | None = None,
) -> Movement:
    """Goods given from a station's stock, or help given as a service (a bicycle repaired, a
    wheelchair lent), to a household."""
    require(by, station.unit, "give", station)
    if not get_scope(by).covers_unit(household.unit, Perm.AID_MANAGE):
        refuse(by, station.unit, "give", station)
    errors = _check(
        item_type=item_type,
        quantity=quantity,
        date=date,
        unit_word=unit_word,
        allowed=list(ItemType.values),
    )
    if item_type == ItemType.SERVICE and not description.strip():
        errors["description"] = [_("Say what help was given.")]
    errors.update(_check_recipient(household, resident))
    _raise(errors)
    with transaction.atomic():
        _station_locked(station)
        if item_type != ItemType.SERVICE:
            holds = selectors.held(Movement.objects.filter(station=station), item_type)
            if quantity > holds:
                _refuse_short(holds, item_type)
        return _save(
            by,
            station,
            station=station,
            direction=Direction.OUT,
            item_type=item_type,
            quantity=quantity,
            unit_word=_word(item_type, unit_word),
            description=description.strip()[:120],
            household=household,
            resident=resident,
            unit=household.unit,
            date=date,
            notes=notes.strip()[:200],
        )
