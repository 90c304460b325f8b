"""Disputes (read only), through the mediation selectors: the worklists of the disputes page, and
one dispute with its parties and the steps of the ladder. Parties' phones and ID numbers are
always masked here (the agreement PDF, on the web, is where they are printed in full); reading a
dispute is audited, as opening its page is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Schema

from xinkan.api.auth import caller
from xinkan.api.errors import ErrorBody
from xinkan.api.pagination import PageParams, page
from xinkan.api.schemas import PageMeta
from xinkan.core.phones import mask_phone
from xinkan.mediation import selectors
from xinkan.mediation.models import Dispute
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.identity import mask_id_number

router = Router(tags=["disputes"])
ERRORS: dict[int, Any] = {401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody}
LISTS = (
    selectors.Worklist.MINE,
    selectors.Worklist.OVERDUE,
    selectors.Worklist.OPEN,
    selectors.Worklist.ENDED,
)


class DisputeOut(Schema):
    id: int
    code: str
    title: str
    dispute_type: str
    source: str
    state: str
    step: int
    urgency: str
    unit_id: int
    responsible_unit_id: int
    registered_at: dt.datetime
    ended_at: dt.datetime | None
    settled_step: int | None
    referral: str


class PartyOut(Schema):
    position: int
    name: str
    resident_id: int | None
    phone: str  # always masked
    id_number: str  # always masked
    representative: str
    statement: str


class StepOut(Schema):
    step: int
    unit_id: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    outcome: str


class DisputeDetailOut(DisputeOut):
    address: str
    parties: list[PartyOut]
    steps: list[StepOut]


class DisputePage(Schema):
    meta: PageMeta
    items: list[DisputeOut]


class DisputeFilters(Schema):
    list: str = selectors.Worklist.OPEN


def _out(dispute: Dispute) -> dict[str, Any]:
    return {
        "id": dispute.pk,
        "code": dispute.code,
        "title": dispute.title,
        "dispute_type": dispute.dispute_type,
        "source": dispute.source,
        "state": dispute.state,
        "step": dispute.step,
        "urgency": dispute.urgency,
        "unit_id": dispute.unit_id,
        "responsible_unit_id": dispute.responsible_unit_id,
        "registered_at": dispute.registered_at,
        "ended_at": dispute.ended_at,
        "settled_step": dispute.settled_step,
        "referral": dispute.referral,
    }


def _require(request: HttpRequest) -> Any:
    user = caller(request)
    if not get_scope(user).has_perm(Perm.MEDIATION_WORK):
        raise PermissionDenied
    return user


@router.get("/disputes", response={200: DisputePage, **ERRORS}, summary="Disputes in a worklist")
def list_disputes(
    request: HttpRequest, filters: Query[DisputeFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """`list`: mine (to mediate now), overdue, open (default) or ended — as on the disputes page."""
    user = _require(request)
    name = filters.list if filters.list in LISTS else selectors.Worklist.OPEN
    disputes = selectors.worklist(user, name).order_by("-registered_at", "-pk")
    items, meta = page(disputes, paging)
    return {"meta": meta, "items": [_out(dispute) for dispute in items]}


@router.get(
    "/disputes/{dispute_id}",
    response={200: DisputeDetailOut, **ERRORS},
    summary="One dispute with its parties and steps (audited)",
)
def get_dispute(request: HttpRequest, dispute_id: int) -> dict[str, Any]:
    user = _require(request)
    dispute = selectors.get_dispute_for_user(user, dispute_id)
    parties = [
        {
            "position": party.position,
            "name": party.name,
            "resident_id": party.resident_id,
            "phone": mask_phone(party.phone) if party.phone else "",
            "id_number": mask_id_number(party.id_number) if party.id_number else "",
            "representative": party.representative,
            "statement": party.statement,
        }
        for party in dispute.parties.order_by("position")
    ]
    steps = [
        {
            "step": record.step,
            "unit_id": record.unit_id,
            "started_at": record.started_at,
            "ended_at": record.ended_at,
            "outcome": record.outcome,
        }
        for record in dispute.steps.order_by("started_at", "pk")
    ]
    return {**_out(dispute), "address": dispute.address, "parties": parties, "steps": steps}
