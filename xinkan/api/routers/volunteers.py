"""Volunteers and one-to-one pairings, through the volunteers selectors and `volunteers.pairings`
as the pairing pages: volunteers (phones masked) and pairings in scope, one pairing with its
visits, logging a visit (idempotent) and ending a pairing.

A visit is logged by staff who manage volunteers for the pairing's unit (naming the team member
who went, when a team helps; their hours count at once), or by the paired volunteer themselves
through their own session (hours wait for the unit to certify them), exactly as on the pages.
Pairings carry no version: a visit locks the pairing row, and ending is a conditional update
(a second end is refused), so no update can overwrite another."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from xinkan.api import idempotency
from xinkan.api.auth import caller
from xinkan.api.errors import ApiError, ErrorBody
from xinkan.api.pagination import PageParams, page
from xinkan.api.schemas import MAX_INT, Input, PageMeta
from xinkan.core.phones import mask_phone
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.volunteers import pairings, selectors
from xinkan.volunteers.models import Pairing, PairingVisit, Volunteer

router = Router(tags=["volunteers and pairings"])
READ: dict[int, Any] = {
    400: ErrorBody,
    401: ErrorBody,
    403: ErrorBody,
    404: ErrorBody,
    429: ErrorBody,
}
WRITE: dict[int, Any] = {**READ, 409: ErrorBody, 422: ErrorBody}


class VolunteerOut(Schema):
    id: int
    name: str
    unit_id: int
    skills: list[str]
    available_days: list[int]
    max_pairings: int
    is_active: bool
    phone: str = Field(description="Always masked.")


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


class VisitOut(Schema):
    id: int
    volunteer_id: int
    visited_on: dt.date
    hours: Decimal | None
    hours_certified: bool = Field(description="The hours are on the volunteer's service record.")
    notes: str
    recorded_at: dt.datetime


class PairingDetailOut(PairingOut):
    help: str
    ended_on: dt.date | None
    end_reason: str
    visits: list[VisitOut]


class VisitLogged(Schema):
    visit: VisitOut
    pairing: PairingDetailOut


class VisitIn(Input):
    visited_on: dt.date
    notes: str = Field(..., min_length=1, max_length=2000, description="What was done.")
    hours: Decimal | None = Field(None, ge=Decimal("0.5"), le=24, max_digits=4, decimal_places=1)
    volunteer: int | None = Field(
        None,
        ge=1,
        le=MAX_INT,
        description="Staff only: the team member (or the paired volunteer) who visited.",
    )


class EndIn(Input):
    reason: str = Field(..., min_length=1, max_length=200)
    need_met: bool = Field(False, description="The need is met: it is closed too.")


class PairingFilters(Input):
    behind: bool = False
    status: str = ""


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


def _pairing(p: Pairing) -> dict[str, Any]:
    return {
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


def _visit(visit: PairingVisit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "volunteer_id": visit.volunteer_id,
        "visited_on": visit.visited_on,
        "hours": visit.hours,
        "hours_certified": visit.service_record_id is not None,
        "notes": visit.notes,
        "recorded_at": visit.recorded_at,
    }


def _detail(p: Pairing) -> dict[str, Any]:
    return {
        **_pairing(p),
        "help": p.help,
        "ended_on": p.ended_on,
        "end_reason": p.end_reason,
        "visits": [_visit(v) for v in p.visits.order_by("-visited_on", "-pk")],
    }


@router.get("/volunteers", response={200: VolunteerPage, **READ}, summary="Volunteers in scope")
def list_volunteers(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    user = caller(request)
    if not get_scope(user).has_perm(Perm.VOLUNTEERS_VIEW):
        raise PermissionDenied
    volunteers = selectors.volunteers_for(user).order_by("unit__path", "name", "pk")
    items, meta = page(volunteers, paging)
    return {"meta": meta, "items": [_volunteer(v) for v in items]}


@router.get(
    "/pairings", response={200: PairingPage, **READ}, summary="One-to-one pairings in scope"
)
def list_pairings(
    request: HttpRequest, filters: Query[PairingFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    user = caller(request)
    if not get_scope(user).has_perm(Perm.VOLUNTEERS_VIEW):
        raise PermissionDenied
    rows = selectors.pairings_behind(user) if filters.behind else selectors.pairings_for(user)
    if filters.status in Pairing.Status.values:
        rows = rows.filter(status=filters.status)
    items, meta = page(rows.order_by("next_visit_due", "pk"), paging)
    return {"meta": meta, "items": [_pairing(p) for p in items]}


@router.get(
    "/pairings/{pairing_id}",
    response={200: PairingDetailOut, **READ},
    summary="One pairing with its visits (staff in scope, or its own volunteer)",
)
def get_pairing(request: HttpRequest, pairing_id: int) -> dict[str, Any]:
    pairing, _as_staff = selectors.get_pairing_for_user(caller(request), pairing_id)
    return _detail(pairing)


def _log_visit(
    request: HttpRequest, pairing: Pairing, payload: VisitIn
) -> tuple[int, dict[str, Any]]:
    visitor = None
    if payload.volunteer is not None:
        visitor = Volunteer.objects.filter(pk=payload.volunteer).first()
        if visitor is None:
            raise ApiError(
                400,
                "invalid",
                _("Some values are not valid."),
                {"volunteer": [_("Choose the team member who visited.")]},
            )
    visit = pairings.record_visit(
        pairing,
        by=caller(request),
        visited_on=payload.visited_on,
        notes=payload.notes,
        hours=payload.hours,
        volunteer=visitor,
    )
    pairing.refresh_from_db()
    body = {"visit": _visit(visit), "pairing": _detail(pairing)}
    return 201, VisitLogged.model_validate(body).model_dump(mode="json")


@router.post(
    "/pairings/{pairing_id}/visits",
    response={201: VisitLogged, **WRITE},
    summary="Log a visit under the pairing",
    description=(
        "Moves the next visit's due date. Send an `Idempotency-Key` header: a retry returns "
        "the first answer and logs nothing new."
    ),
    openapi_extra={"parameters": [idempotency.OPENAPI_PARAMETER]},
)
def log_visit(request: HttpRequest, pairing_id: int, payload: VisitIn) -> HttpResponse:
    pairing, _as_staff = selectors.get_pairing_for_user(caller(request), pairing_id)
    return idempotency.run(
        request,
        payload.model_dump(mode="json"),
        lambda _key: _log_visit(request, pairing, payload),
    )


@router.post(
    "/pairings/{pairing_id}/end",
    response={200: PairingDetailOut, **WRITE},
    summary="End the pairing, with the reason (and close the need when it is met)",
)
def end_pairing(request: HttpRequest, pairing_id: int, payload: EndIn) -> dict[str, Any]:
    pairing, _as_staff = selectors.get_pairing_for_user(caller(request), pairing_id)
    ended = pairings.end_pairing(
        pairing, by=caller(request), reason=payload.reason, need_met=payload.need_met
    )
    return _detail(ended)
