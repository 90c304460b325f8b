"""Every write to drives and stations themselves: creating them, opening and closing them. What
they take in and give out is written by movements.py. Who may do what: access.py."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.aid.models import Drive, DriveStatus, Station, StationKind
from xinkan.audit import services as audit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.org.models import Unit


def refuse(by: User, unit: Unit, action: str, obj: models.Model | None = None) -> NoReturn:
    audit.record_failure(actor=by, action="aid.denied", obj=obj, unit=unit, data={"action": action})
    raise PermissionDenied(_("You may not do this for drives and stations outside your area."))


def require(by: User, unit: Unit, action: str, obj: models.Model | None = None) -> None:
    if not get_scope(by).covers_unit(unit, Perm.AID_MANAGE):
        refuse(by, unit, action, obj)


def create_drive(
    *,
    by: User,
    unit: Unit,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    description: str = "",
) -> Drive:
    """A drive starting today or earlier opens at once; one starting later is planned."""
    require(by, unit, "create_drive")
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the drive a name.")]
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("A drive ends on or after the day it starts.")]
    if errors:
        raise ValidationError(errors)
    status = DriveStatus.OPEN if starts_on <= timezone.localdate() else DriveStatus.PLANNED
    with transaction.atomic():
        drive = Drive.objects.create(
            name=name.strip()[:80],
            unit=unit,
            description=description.strip(),
            starts_on=starts_on,
            ends_on=ends_on,
            status=status,
            created_by=by,
        )
        audit.record(
            actor=by, action="aid.drive_created", obj=drive, unit=unit, data={"status": status}
        )
    return drive


def open_drive(drive: Drive, *, by: User) -> Drive:
    """Open a planned drive so that it takes in donations; opened early, it starts today."""
    require(by, drive.unit, "open_drive", drive)
    if drive.status == DriveStatus.OPEN:
        return drive
    today = timezone.localdate()
    with transaction.atomic():
        changed = Drive.objects.filter(pk=drive.pk, status=DriveStatus.PLANNED).update(
            status=DriveStatus.OPEN, starts_on=Least(F("starts_on"), Value(today))
        )
        if changed != 1:
            drive.refresh_from_db(fields=["status"])
            if drive.status == DriveStatus.OPEN:
                return drive
            raise ValidationError({"status": [_("A closed drive is not opened again.")]})
        audit.record(
            actor=by,
            action="aid.drive_opened",
            obj=drive,
            unit=drive.unit,
            changes={
                "status": [drive.status, DriveStatus.OPEN],
                **({"starts_on": [drive.starts_on, today]} if drive.starts_on > today else {}),
            },
        )
    drive.status, drive.starts_on = DriveStatus.OPEN, min(drive.starts_on, today)
    return drive


def close_drive(drive: Drive, *, by: User) -> Drive:
    """Close a drive: it takes in and gives out nothing more; its figures stay."""
    require(by, drive.unit, "close_drive", drive)
    if drive.status == DriveStatus.CLOSED:
        return drive
    now = timezone.now()
    with transaction.atomic():
        before = drive.status
        changed = (
            Drive.objects.filter(pk=drive.pk)
            .exclude(status=DriveStatus.CLOSED)
            .update(status=DriveStatus.CLOSED, closed_at=now)
        )
        if changed != 1:  # closed meanwhile by someone else: nothing to do
            drive.refresh_from_db(fields=["status", "closed_at"])
            return drive
        audit.record(
            actor=by,
            action="aid.drive_closed",
            obj=drive,
            unit=drive.unit,
            changes={"status": [before, DriveStatus.CLOSED]},
        )
    drive.status, drive.closed_at = DriveStatus.CLOSED, now
    return drive


def create_station(
    *,
    by: User,
    unit: Unit,
    kind: str,
    name: str,
    address: str,
    hours: str = "",
    keeper: str = "",
) -> Station:
    require(by, unit, "create_station")
    errors: dict[str, list[str]] = {}
    if kind not in StationKind.values:
        errors["kind"] = [_("Choose the kind of station.")]
    if not name.strip():
        errors["name"] = [_("Give the station a name.")]
    if not address.strip():
        errors["address"] = [_("Say where the station is.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            station = Station.objects.create(
                kind=kind,
                name=name.strip()[:80],
                unit=unit,
                address=address.strip()[:200],
                hours=hours.strip()[:100],
                keeper=keeper.strip()[:60],
                created_by=by,
            )
            audit.record(
                actor=by, action="aid.station_created", obj=station, unit=unit, data={"kind": kind}
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"name": [_("This unit already has a station of this name.")]}
        ) from exc
    return station


def set_station_open(station: Station, *, by: User, is_open: bool) -> Station:
    """Close a station (it takes in and gives out nothing until reopened), or reopen it."""
    require(by, station.unit, "set_station_open", station)
    if station.is_active == is_open:
        return station
    with transaction.atomic():
        if Station.objects.filter(pk=station.pk, is_active=not is_open).update(is_active=is_open):
            audit.record(
                actor=by,
                action="aid.station_activated" if is_open else "aid.station_deactivated",
                obj=station,
                unit=station.unit,
                changes={"is_active": [not is_open, is_open]},
            )
    station.is_active = is_open
    return station
