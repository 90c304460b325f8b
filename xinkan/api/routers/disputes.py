"""Disputes, through the mediation selectors and services as the disputes pages: the worklists,
one dispute with its parties, steps, sessions, agreement and history; registering a dispute
(idempotent) and the steps of the ladder as actions (a session, going up a step, settling,
withdrawal, referral after the station), each with the dispute's version (409 when stale).

Parties' phones and ID numbers are always masked here (the agreement PDF, on the web, is where
they are printed in full); reading a dispute is audited, as opening its page is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from xinkan.api import idempotency
from xinkan.api.auth import caller
from xinkan.api.concurrency import required_version
from xinkan.api.errors import READ_ERRORS, ApiError, ErrorBody
from xinkan.api.pagination import PageParams, page
from xinkan.api.schemas import Input
from xinkan.api.schemas_disputes import (
    CompleteSessionIn,
    DisputeDetailOut,
    DisputeIn,
    DisputePage,
    DisputeReasonIn,
    DisputeVersioned,
    ReferIn,
    SessionIn,
    SettleIn,
)
from xinkan.core.phones import mask_phone
from xinkan.matters.selectors import matters_for
from xinkan.mediation import selectors, services
from xinkan.mediation.models import Agreement, Dispute, Session
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.identity import mask_id_number

router = Router(tags=["disputes"])
READ: dict[int, Any] = READ_ERRORS
WRITE: dict[int, Any] = {**READ, 409: ErrorBody, 422: ErrorBody, 428: ErrorBody}
ACTION: dict[int, Any] = {200: DisputeDetailOut, **WRITE}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'The dispute\'s version as read (its ETag, e.g. "3"), instead of “version”.',
}
LISTS = (
    selectors.Worklist.MINE,
    selectors.Worklist.OVERDUE,
    selectors.Worklist.OPEN,
    selectors.Worklist.ENDED,
)


class DisputeFilters(Input):
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
        "updated_at": dispute.updated_at,
        "ended_at": dispute.ended_at,
        "settled_step": dispute.settled_step,
        "referral": dispute.referral,
        "version": dispute.version,
    }


def _agreement(dispute: Dispute) -> dict[str, Any] | None:
    agreement = Agreement.objects.filter(dispute=dispute).prefetch_related("terms").first()
    if agreement is None:
        return None
    return {
        "kind": agreement.kind,
        "number": agreement.number,
        "signed_on": agreement.signed_on,
        "confirmation_due": agreement.confirmation_due,
        "terms": [
            {
                "position": term.position,
                "text": term.text,
                "how": term.how,
                "due": term.due,
                "performed": term.performed,
            }
            for term in agreement.terms.all()
        ],
    }


def _detail(dispute: Dispute) -> dict[str, Any]:
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
    sessions = [
        {
            "id": session.pk,
            "step": session.step_record.step,
            "at": session.at,
            "place": session.place,
            "held": session.held,
            "attendees": session.attendees,
            "statements": session.statements,
            "proposals": session.proposals,
        }
        for session in dispute.sessions.select_related("step_record").order_by("at", "pk")
    ]
    timeline = [
        {
            "at": event.at,
            "action": event.action,
            "label": str(event.label),
            "step": event.step,
            "note": event.note,
            "actor": str(event.actor) if event.actor else "",
        }
        for event in dispute.events.select_related("actor").order_by("at", "pk")
    ]
    return {
        **_out(dispute),
        "address": dispute.address,
        "parties": parties,
        "steps": steps,
        "sessions": sessions,
        "agreement": _agreement(dispute),
        "timeline": timeline,
    }


def _json(dispute: Dispute) -> dict[str, Any]:
    return DisputeDetailOut.model_validate(_detail(dispute)).model_dump(mode="json")


def _detail_response(dispute: Dispute, status: int = 200) -> HttpResponse:
    response = JsonResponse(
        _json(dispute), status=status, json_dumps_params={"ensure_ascii": False}
    )
    response["ETag"] = f'"{dispute.version}"'
    return response


def _require(request: HttpRequest, perm: str = Perm.MEDIATION_WORK) -> Any:
    user = caller(request)
    if not get_scope(user).has_perm(perm):
        raise PermissionDenied
    return user


@router.get("/disputes", response={200: DisputePage, **READ}, summary="Disputes in a worklist")
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
    response={200: DisputeDetailOut, **READ},
    summary="One dispute with its parties, steps, sessions and history (audited)",
)
def get_dispute(request: HttpRequest, dispute_id: int) -> HttpResponse:
    user = _require(request)
    return _detail_response(selectors.get_dispute_for_user(user, dispute_id))


# --- Registering ---------------------------------------------------------------------------------


def _unknown(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid", _("Some values are not valid."), {field: [message]})


def _register(request: HttpRequest, payload: DisputeIn, key: str) -> tuple[int, dict[str, Any]]:
    user = caller(request)
    unit = Unit.objects.filter(pk=payload.unit, is_active=True).first()
    if unit is None:
        raise _unknown("unit", _("Unknown unit."))
    matter = None
    if payload.source_matter is not None:
        # Only a matter the caller may see, as on the registration page.
        matter = matters_for(user).filter(pk=payload.source_matter).first()
        if matter is None:
            raise _unknown("source_matter", _("Unknown matter."))
    dispute = services.register_dispute(
        services.NewDispute(
            dispute_type=payload.dispute_type,
            source=payload.source,
            title=payload.title,
            unit=unit,
            address=payload.address,
            urgency=payload.urgency,
            parties=[
                services.NewParty(
                    name=party.name,
                    phone=party.phone,
                    id_number=party.id_number,
                    representative=party.representative,
                    statement=party.statement,
                )
                for party in payload.parties
            ],
            source_matter=matter,
            start_step=payload.start_step,
            start_reason=payload.start_reason,
            idempotency_key=key or None,
        ),
        by=user,
    )
    dispute.refresh_from_db()
    return 201, _json(dispute)


@router.post(
    "/disputes",
    response={201: DisputeDetailOut, **WRITE},
    summary="Register a dispute",
    description=(
        "Registers a dispute and starts its first step (① with the grid's ten-household "
        "mediator, assigned automatically), as the registration page does. Send an "
        "`Idempotency-Key` header: a retry returns the first answer and registers nothing new."
    ),
    openapi_extra={"parameters": [idempotency.OPENAPI_PARAMETER]},
)
def register(request: HttpRequest, payload: DisputeIn) -> HttpResponse:
    _require(request, Perm.MEDIATION_REGISTER)
    return idempotency.run(
        request, payload.model_dump(mode="json"), lambda key: _register(request, payload, key)
    )


# --- Actions -------------------------------------------------------------------------------------


def _act(
    request: HttpRequest,
    dispute_id: int,
    payload: DisputeVersioned,
    run: Callable[[Dispute, Any, int], Any],
) -> HttpResponse:
    """An action on the dispute's current step, with the version the caller read; retried with
    the same Idempotency-Key, the first answer is returned and nothing is done twice."""
    user = _require(request)
    dispute = selectors.get_dispute_for_user(user, dispute_id, audit_view=False)
    version = required_version(request, payload.version)

    def act(_key: str) -> tuple[int, dict[str, Any]]:
        run(dispute, user, version)
        dispute.refresh_from_db()
        return 200, _json(dispute)

    # The version counts as part of the request, wherever it was sent.
    fingerprint = {**payload.model_dump(mode="json"), "version": version}
    response = idempotency.run(request, fingerprint, act)
    if response.status_code == 200:
        response["ETag"] = f'"{dispute.version}"'
    return response


ACTION_DOC: dict[str, Any] = {
    "response": ACTION,
    "openapi_extra": {"parameters": [idempotency.OPENAPI_PARAMETER, IF_MATCH]},
}


@router.post(
    "/disputes/{dispute_id}/sessions",
    summary="Record a mediation session (held) or plan one (调解会)",
    **ACTION_DOC,
)
def record_session(request: HttpRequest, dispute_id: int, payload: SessionIn) -> HttpResponse:
    return _act(
        request,
        dispute_id,
        payload,
        lambda d, u, v: services.record_session(
            d,
            by=u,
            at=payload.at,
            place=payload.place,
            attendees=payload.attendees,
            statements=payload.statements,
            proposals=payload.proposals,
            version=v,
        ),
    )


@router.post(
    "/disputes/{dispute_id}/sessions/{session_id}/complete",
    response=ACTION,
    summary="Record what happened at a planned session",
    description=(
        "No version needed: the session is recorded once (a second attempt gets 409), "
        "whatever else changed on the dispute."
    ),
)
def complete_session(
    request: HttpRequest, dispute_id: int, session_id: int, payload: CompleteSessionIn
) -> HttpResponse:
    user = _require(request)
    dispute = selectors.get_dispute_for_user(user, dispute_id, audit_view=False)
    session = Session.objects.filter(pk=session_id, dispute=dispute).first()
    if session is None:
        raise ApiError(404, "not_found", _("Not found."))
    services.complete_session(
        session,
        by=user,
        statements=payload.statements,
        proposals=payload.proposals,
        attendees=payload.attendees,
    )
    dispute.refresh_from_db()
    return _detail_response(dispute)


@router.post(
    "/disputes/{dispute_id}/escalate",
    summary="Not settled at this step: up to the next one",
    **ACTION_DOC,
)
def escalate(request: HttpRequest, dispute_id: int, payload: DisputeReasonIn) -> HttpResponse:
    return _act(
        request,
        dispute_id,
        payload,
        lambda d, u, v: services.escalate(d, by=u, reason=payload.reason, version=v),
    )


@router.post(
    "/disputes/{dispute_id}/settle",
    summary="Settled by agreement (调解协议书 or an oral agreement)",
    **ACTION_DOC,
)
def settle(request: HttpRequest, dispute_id: int, payload: SettleIn) -> HttpResponse:
    settlement = services.Settlement(
        kind=payload.kind,
        facts=payload.facts,
        points_at_issue=payload.points_at_issue,
        terms=[services.NewTerm(text=t.text, how=t.how, due=t.due) for t in payload.terms],
        signed_on=payload.signed_on,
        responsibilities=payload.responsibilities,
        performance=payload.performance,
    )
    return _act(
        request,
        dispute_id,
        payload,
        lambda d, u, v: services.settle(d, by=u, settlement=settlement, version=v),
    )


@router.post(
    "/disputes/{dispute_id}/withdraw",
    summary="A party withdraws: mediation ends",
    **ACTION_DOC,
)
def withdraw(request: HttpRequest, dispute_id: int, payload: DisputeReasonIn) -> HttpResponse:
    return _act(
        request,
        dispute_id,
        payload,
        lambda d, u, v: services.withdraw(d, by=u, reason=payload.reason, version=v),
    )


@router.post(
    "/disputes/{dispute_id}/refer",
    summary="Not settled at the station: referred to arbitration, a court or letters and visits",
    **ACTION_DOC,
)
def refer(request: HttpRequest, dispute_id: int, payload: ReferIn) -> HttpResponse:
    return _act(
        request,
        dispute_id,
        payload,
        lambda d, u, v: services.refer(d, by=u, to=payload.to, note=payload.note, version=v),
    )
