"""Residents, through the same scope-filtered selectors and services as the archive pages: the
list and one resident's record (read audited), adding a resident to a household, and recording a
care visit (both idempotent). ID numbers and phones are masked unless the caller may see them in
full for that resident's unit; sensitive colour categories only for those permitted.

Correcting a resident's facts is not offered here: a resident carries no version, so an edit
through the API could silently overwrite one made on the page meanwhile."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from xinkan.api import idempotency
from xinkan.api.auth import caller
from xinkan.api.errors import READ_ERRORS, ApiError, ErrorBody
from xinkan.api.pagination import PageParams, page
from xinkan.api.routers import volunteers
from xinkan.api.schemas import MAX_INT, Input, PageMeta
from xinkan.core.phones import mask_phone
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents import services
from xinkan.residents.identity import mask_id_number
from xinkan.residents.listing import resident_listing
from xinkan.residents.models import CareVisit, Gender, Household, Resident
from xinkan.residents.selectors import colours_of, get_resident_for_user

router = Router(tags=["residents"])
# Volunteers and pairings have their own module, mounted here so that api.py keeps one router
# per area of the pages (residents and volunteers share the community's archive).
router.add_router("", volunteers.router)
READ: dict[int, Any] = READ_ERRORS
WRITE: dict[int, Any] = {**READ, 409: ErrorBody, 422: ErrorBody}


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


class ResidentFilters(Input):
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


@router.get("/residents", response={200: ResidentPage, **READ}, summary="Residents in scope")
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
    response={200: ResidentDetailOut, **READ},
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


# --- Writes --------------------------------------------------------------------------------------


class ResidentIn(Input):
    """The household page's "add a member" form."""

    household: int = Field(..., ge=1, le=MAX_INT, description="The household's id.")
    name: str = Field(..., min_length=1, max_length=60)
    relation: str = Field("", max_length=20, description="Relation to the head (户主, 配偶 …).")
    id_number: str = Field(
        "", max_length=18, description="Checked (GB 11643); gives the birth date and gender."
    )
    phone: str = Field("", max_length=20)
    gender: Gender = Gender.UNKNOWN
    birth_date: dt.date | None = None
    occupation: str = Field("", max_length=60)
    address: str = Field("", max_length=200, description="Empty: the household's address.")


class CareVisitIn(Input):
    found: str = Field(..., min_length=1, max_length=5000, description="What was found.")
    visited_on: dt.date | None = Field(None, description="Today when left out.")


class CareVisitOut(Schema):
    id: int
    resident_id: int
    visited_on: dt.date
    found: str
    visited_by: str
    created_at: dt.datetime


def _add_resident(request: HttpRequest, payload: ResidentIn) -> tuple[int, dict[str, Any]]:
    user = caller(request)
    household = (
        get_scope(user)
        .filter_units(Household.objects.all(), Perm.RESIDENTS_VIEW)
        .select_related("unit")
        .filter(pk=payload.household)
        .first()
    )
    if household is None:
        raise ApiError(
            400,
            "invalid",
            _("Some values are not valid."),
            {"household": [_("Unknown household.")]},
        )
    resident = services.register_resident(
        name=payload.name,
        unit=household.unit,
        by=user,
        household=household,
        relation=payload.relation,
        gender=payload.gender,
        birth_date=payload.birth_date,
        address=payload.address,
        occupation=payload.occupation,
        id_number=payload.id_number,
        phone=payload.phone,
    )
    full = get_scope(user).covers_unit(resident.unit, Perm.RESIDENTS_VIEW_PERSONAL)
    body = {**_out(resident, full=full), "colours": []}
    return 201, ResidentDetailOut.model_validate(body).model_dump(mode="json")


@router.post(
    "/residents",
    response={201: ResidentDetailOut, **WRITE},
    summary="Add a resident to a household",
    description=(
        "As the household page's form, with the same checks (ID number check digit, one entry "
        "per ID number, the household's unit in the caller's area). Send an `Idempotency-Key` "
        "header: a retry returns the first answer and adds nobody."
    ),
    openapi_extra={"parameters": [idempotency.OPENAPI_PARAMETER]},
)
def add_resident(request: HttpRequest, payload: ResidentIn) -> HttpResponse:
    if not get_scope(caller(request)).has_perm(Perm.RESIDENTS_MANAGE):
        raise PermissionDenied
    return idempotency.run(
        request, payload.model_dump(mode="json"), lambda _key: _add_resident(request, payload)
    )


def _care_visit(request: HttpRequest, resident: Resident, payload: CareVisitIn) -> dict[str, Any]:
    user = caller(request)
    visit: CareVisit = services.record_care_visit(
        resident, by=user, found=payload.found, visited_on=payload.visited_on
    )
    body = {
        "id": visit.pk,
        "resident_id": resident.pk,
        "visited_on": visit.visited_on,
        "found": visit.found,
        "visited_by": str(user),
        "created_at": visit.created_at,
    }
    return CareVisitOut.model_validate(body).model_dump(mode="json")


@router.post(
    "/residents/{resident_id}/care-visits",
    response={201: CareVisitOut, **WRITE},
    summary="Record a care visit (走访)",
    description=(
        "Who went (the caller), when, what was found. Send an `Idempotency-Key` header: a "
        "retry returns the first answer and records nothing new."
    ),
    openapi_extra={"parameters": [idempotency.OPENAPI_PARAMETER]},
)
def record_care_visit(request: HttpRequest, resident_id: int, payload: CareVisitIn) -> HttpResponse:
    resident = get_resident_for_user(caller(request), resident_id, audit_view=False)
    return idempotency.run(
        request,
        payload.model_dump(mode="json"),
        lambda _key: (201, _care_visit(request, resident, payload)),
    )
