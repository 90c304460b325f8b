"""Who sees and who records what, for drives and stations.

- A drive or a station is seen by those holding AID_VIEW over its unit, and also by those below
  it: a subdistrict's drive collects in its communities and its station serves them, so their
  workers see it and its figures. The rows themselves (who gave, which household was helped) are
  listed only to those holding AID_VIEW over the row's unit — a community worker looking at the
  subdistrict's drive sees the whole drive's totals but only the rows of their own community.
- Running a drive or a station (create it, open or close it, take goods in at a station) needs
  AID_MANAGE over its unit.
- Collecting for a drive needs AID_MANAGE over the collecting unit, which lies in the drive's area;
  giving from a drive needs AID_MANAGE over the household helped, who lives in the drive's area.
- Giving from a station needs AID_MANAGE over the station's unit and over the household helped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from xinkan.aid.models import Drive, Station
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope, get_scope
from xinkan.residents.models import Household

if TYPE_CHECKING:
    from xinkan.accounts.models import User

HOUSEHOLD_CHOICES_CAP = 300


def _ancestor_ids(scope: Scope, perm: str) -> list[int]:
    ids: set[int] = set()
    for path in scope.unit_paths(perm):
        ids.update(int(part) for part in path.strip("/").split("/")[:-1] if part)
    return sorted(ids)


def holders_q(scope: Scope) -> Q:
    """Drives or stations of the units in scope and of the units above them."""
    return Q(unit_id__in=scope.unit_ids(Perm.AID_VIEW) + _ancestor_ids(scope, Perm.AID_VIEW))


def drives_for(user: User) -> QuerySet[Drive]:
    return Drive.objects.filter(holders_q(get_scope(user))).select_related("unit")


def stations_for(user: User) -> QuerySet[Station]:
    return Station.objects.filter(holders_q(get_scope(user))).select_related("unit")


def get_drive_for_user(user: User, drive_id: int) -> Drive:
    """The drive, or 404 — the same answer for "not yours" and "does not exist"."""
    drive = drives_for(user).filter(pk=drive_id).first()
    if drive is None:
        raise Http404
    return drive


def get_station_for_user(user: User, station_id: int) -> Station:
    station = stations_for(user).filter(pk=station_id).first()
    if station is None:
        raise Http404
    return station


def runs(user: User, holder: Drive | Station) -> bool:
    """Whether the user runs this drive or station (AID_MANAGE over its unit)."""
    return get_scope(user).covers_unit(holder.unit, Perm.AID_MANAGE)


def collecting_units(user: User, drive: Drive) -> QuerySet[Unit]:
    """The units where the user may record what was collected for the drive."""
    return (
        get_scope(user)
        .units(Perm.AID_MANAGE)
        .filter(path__startswith=drive.unit.path, is_active=True)
        .order_by("path")
    )


def records_for(user: User, drive: Drive) -> bool:
    """Whether the user may record anything for the drive: they manage some part of its area."""
    base = drive.unit.path
    return any(
        root.startswith(base) or base.startswith(root)
        for root in get_scope(user).unit_paths(Perm.AID_MANAGE)
    )


def households_to_help(user: User, within: Unit | None = None) -> QuerySet[Household]:
    """Households the user may record help for (in their AID_MANAGE scope, and `within`'s area)."""
    households = get_scope(user).filter_units(Household.objects.all(), Perm.AID_MANAGE)
    if within is not None:
        households = households.filter(unit__path__startswith=within.path)
    return households.select_related("unit")


def find_household(user: User, code: str, within: Unit | None = None) -> Household | None:
    """The household of this number among those the user may help; None whether it does not exist
    or lies outside the user's area (the same answer)."""
    code = code.strip()
    if not code:
        return None
    return households_to_help(user, within).filter(code=code).first()
