"""Residents, volunteers and pairings (read only), through the same scope-filtered selectors as
the pages. ID numbers and phones are masked unless the caller may see them in full for that
resident's unit; sensitive colour categories only for those permitted; every resident's record
read is audited, as on the resident page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, QueryDict
from ninja import Query, Router, Schema

from xinkan.api.auth import caller
from xinkan.api.errors import ErrorBody
from xinkan.api.pagination import PageParams, page
from xinkan.api.schemas import PageMeta
from xinkan.core.phones import mask_phone
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.identity import mask_id_number
from xinkan.residents.listing import resident_listing
from xinkan.residents.models import Resident
from xinkan.residents.selectors import colours_of, get_resident_for_user
from xinkan.volunteers import selectors as volunteer_selectors
from xinkan.volunteers.models import Pairing, Volunteer

router = Router(tags=["residents and volunteers"])
ERRORS: dict[int, Any] = {401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody}


class ResidentOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: dt.date | None
    unit_id: int
    household_code: str | None
    relation: str
    address: str
    occupation: str
    tags: list[str]
    id_number: str  # masked unless the caller may see it in full
    phone: str  # masked unless the caller may see it in full


class ColourOut(Schema):
    colour: str
    meaning: str
    since: dt.date
    reason: str


class ResidentDetailOut(ResidentOut):
    colours: list[ColourOut]


class ResidentPage(Schema):
    meta: PageMeta
    items: list[ResidentOut]


class ResidentFilters(Schema):
    q: str = ""
    unit: int | None = None
    colour: str = ""
    tag: str = ""


def _out(resident: Resident, full: bool) -> dict[str, Any]:
    id_number, phone = resident.id_number, resident.phone
    return {
        "id": resident.pk,
        "name": resident.name,
        "gender": resident.gender,
        "birth_date": resident.birth_date,
        "unit_id": resident.unit_id,
        "household_code": resident.household.code if resident.household else None,
        "relation": resident.relation,
        "address": resident.address,
        "occupation": resident.occupation,
        "tags": list(resident.tags or []),
        "id_number": id_number if full else (mask_id_number(id_number) if id_number else ""),
        "phone": phone if full else (mask_phone(phone) if phone else ""),
    }


@router.get("/residents", response={200: ResidentPage, **ERRORS}, summary="Residents in scope")
def list_residents(
    request: HttpRequest, filters: Query[ResidentFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The residents list's filters (name, unit subtree, colour, tag); numbers always masked in
    lists."""
    user = caller(request)
    if not get_scope(user).has_perm(Perm.RESIDENTS_VIEW):
        raise PermissionDenied
    data = QueryDict(mutable=True)
    for key, value in filters.dict().items():
        if value not in ("", None):
            data[key] = str(value)
    listing = resident_listing(user, data)
    items, meta = page(listing.residents, paging)
    return {"meta": meta, "items": [_out(resident, full=False) for resident in items]}


@router.get(
    "/residents/{resident_id}",
    response={200: ResidentDetailOut, **ERRORS},
    summary="One resident (audited)",
)
def get_resident(request: HttpRequest, resident_id: int) -> dict[str, Any]:
    user = caller(request)
    resident = get_resident_for_user(user, resident_id)
    full = get_scope(user).covers_unit(resident.unit, Perm.RESIDENTS_VIEW_PERSONAL)
    colours = [
        {
            "colour": row.category.colour,
            "meaning": row.category.name,
            "since": row.since,
            "reason": row.reason,
        }
        for row in colours_of(user, resident)
        if row.ended_on is None
    ]
    return {**_out(resident, full=full), "colours": colours}


class VolunteerOut(Schema):
    id: int
    name: str
    unit_id: int
    skills: list[str]
    available_days: list[int]
    max_pairings: int
    is_active: bool
    phone: str  # always masked


class VolunteerPage(Schema):
    meta: PageMeta
    items: list[VolunteerOut]


class PairingOut(Schema):
    id: int
    code: str
    status: str
    volunteer_id: int | None
    team_id: int | None
    resident_id: int
    need_id: int
    unit_id: int
    visit_every_days: int
    starts_on: dt.date
    ends_on: dt.date
    last_visit_on: dt.date | None
    next_visit_due: dt.date
    behind: bool


class PairingPage(Schema):
    meta: PageMeta
    items: list[PairingOut]


@router.get("/volunteers", response={200: VolunteerPage, **ERRORS}, summary="Volunteers in scope")
def list_volunteers(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    user = caller(request)
    if not get_scope(user).has_perm(Perm.VOLUNTEERS_VIEW):
        raise PermissionDenied
    volunteers = volunteer_selectors.volunteers_for(user).order_by("unit__path", "name", "pk")
    items, meta = page(volunteers, paging)
    return {"meta": meta, "items": [_volunteer(v) for v in items]}


def _volunteer(volunteer: Volunteer) -> dict[str, Any]:
    return {
        "id": volunteer.pk,
        "name": volunteer.name,
        "unit_id": volunteer.unit_id,
        "skills": list(volunteer.skills or []),
        "available_days": list(volunteer.available_days or []),
        "max_pairings": volunteer.max_pairings,
        "is_active": volunteer.is_active,
        "phone": mask_phone(volunteer.phone) if volunteer.phone else "",
    }


class PairingFilters(Schema):
    behind: bool = False
    status: str = ""


@router.get(
    "/pairings", response={200: PairingPage, **ERRORS}, summary="One-to-one pairings in scope"
)
def list_pairings(
    request: HttpRequest, filters: Query[PairingFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    user = caller(request)
    if not get_scope(user).has_perm(Perm.VOLUNTEERS_VIEW):
        raise PermissionDenied
    pairings = (
        volunteer_selectors.pairings_behind(user)
        if filters.behind
        else volunteer_selectors.pairings_for(user)
    )
    if filters.status in Pairing.Status.values:
        pairings = pairings.filter(status=filters.status)
    items, meta = page(pairings.order_by("next_visit_due", "pk"), paging)
    return {
        "meta": meta,
        "items": [
            {
                "id": p.pk,
                "code": p.code,
                "status": p.status,
                "volunteer_id": p.volunteer_id,
                "team_id": p.team_id,
                "resident_id": p.resident_id,
                "need_id": p.need_id,
                "unit_id": p.unit_id,
                "visit_every_days": p.visit_every_days,
                "starts_on": p.starts_on,
                "ends_on": p.ends_on,
                "last_visit_on": p.last_visit_on,
                "next_visit_due": p.next_visit_due,
                "behind": p.is_behind(),
            }
            for p in items
        ],
    }
