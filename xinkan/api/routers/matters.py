"""Matters: intake, list, detail with timeline, and the transitions as actions. Every read goes
through matters.selectors and every write through matters.services, as the web pages do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from xinkan.api import idempotency
from xinkan.api.auth import caller
from xinkan.api.errors import READ_ERRORS, ApiError, ErrorBody
from xinkan.api.pagination import PageParams, page
from xinkan.api.schemas import (
    DecideReviewIn,
    DispatchIn,
    FollowUpIn,
    Input,
    IntakeIn,
    IntakeOut,
    MatterDetail,
    MatterPage,
    NoteIn,
    ReasonIn,
    ReplyIn,
    TransferIn,
    Versioned,
)
from xinkan.core.phones import mask_phone
from xinkan.matters import selectors, services
from xinkan.matters.models import Category, Channel, Matter, MatterEvent, State
from xinkan.org.models import Department, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.identity import mask_id_number

router = Router(tags=["matters"])

ERRORS: dict[int, Any] = {**READ_ERRORS, 409: ErrorBody, 422: ErrorBody, 428: ErrorBody}

ORDERINGS = {
    "-registered_at": selectors.SORTS["new"],
    "registered_at": selectors.SORTS["old"],
    "-updated_at": selectors.SORTS["updated"],
}


def _ref(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.pk, "code": getattr(obj, "code", ""), "name": obj.name}


def summary(matter: Matter) -> dict[str, Any]:
    return {
        "id": matter.pk,
        "code": matter.code,
        "title": matter.title,
        "state": matter.state,
        "channel": matter.channel,
        "category": _ref(matter.category),
        "unit": _ref(matter.unit),
        "handling_unit": _ref(matter.handling_unit),
        "lead_department": _ref(matter.lead_department),
        "registered_at": matter.registered_at,
        "updated_at": matter.updated_at,
        "version": matter.version,
    }


def _may_see_personal(user: Any, matter: Matter) -> bool:
    # The same rule as the matter page (matters.access.allowed_actions.view_personal).
    scope = get_scope(user)
    return scope.covers_unit(matter.unit, Perm.RESIDENTS_VIEW_PERSONAL) or scope.covers_unit(
        matter.handling_unit, Perm.RESIDENTS_VIEW_PERSONAL
    )


def detail(user: Any, matter: Matter) -> dict[str, Any]:
    full = _may_see_personal(user, matter)
    now = timezone.now()
    events = MatterEvent.objects.filter(matter=matter).order_by("at", "pk")
    return {
        **summary(matter),
        "description": matter.description,
        "address": matter.address,
        "latitude": matter.latitude,
        "longitude": matter.longitude,
        "group_size": matter.group_size,
        "repeat_count": matter.repeat_count,
        "requester": {
            "name": matter.contact_name,
            "phone": matter.contact_phone if full else mask_phone(matter.contact_phone),
            "id_number": matter.id_number if full else mask_id_number(matter.id_number),
            "anonymous": matter.anonymous,
            "masked": not full,
        },
        "assignments": [
            {"department": _ref(a.department), "role": a.role, "state": a.state}
            for a in matter.assignments.select_related("department")
        ],
        "deadlines": [
            {
                "stage": d.stage,
                "due_at": d.due_at,
                "met_at": d.met_at,
                "overdue": d.is_open and d.due_at <= now,
            }
            for d in matter.deadlines.filter(cancelled=False)
        ],
        "timeline": [
            {
                "at": e.at,
                "action": e.action,
                "label": e.label,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "note": e.note,
                "actor": e.actor_label,
                "public": e.public,
            }
            for e in events
        ],
    }


def _json(data: dict[str, Any], schema: type[Schema]) -> dict[str, Any]:
    return schema.model_validate(data).model_dump(mode="json")


def _detail_response(user: Any, matter: Matter, status: int = 200) -> HttpResponse:
    response = JsonResponse(
        _json(detail(user, matter), MatterDetail),
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    response["ETag"] = f'"{matter.version}"'
    return response


class MatterQuery(Input):
    state: State | None = None
    category: int | None = Field(None, description="A category id (its subcategories too).")
    unit: int | None = Field(None, description="A unit id: matters arising in its subtree.")
    channel: Channel | None = None
    registered_after: dt.date | None = Field(None, description="From this day (inclusive).")
    registered_before: dt.date | None = Field(None, description="Up to this day (inclusive).")
    q: str = Field("", max_length=100, description="Full-text search, or a matter code.")
    overdue: bool = False
    ordering: Literal["-registered_at", "registered_at", "-updated_at"] = "-registered_at"


@router.get("/matters", response={200: MatterPage, **ERRORS}, summary="List matters in scope")
def list_matters(
    request: HttpRequest, filters: Query[MatterQuery], paging: Query[PageParams]
) -> dict[str, Any]:
    criteria = selectors.MatterFilter(
        query=filters.q,
        state=filters.state or "",
        category_id=filters.category,
        unit_id=filters.unit,
        channel=filters.channel or "",
        date_from=filters.registered_after,
        date_to=filters.registered_before,
        overdue=filters.overdue,
    )
    matters: QuerySet[Matter] = selectors.apply_filter(
        selectors.matters_for(caller(request)), criteria
    )
    matters = selectors.with_list_relations(matters).order_by(*ORDERINGS[filters.ordering])
    items, meta = page(matters, paging)
    return {"meta": meta, "items": [summary(m) for m in items]}


def _intake(request: HttpRequest, payload: IntakeIn, key: str) -> tuple[int, dict[str, Any]]:
    user = caller(request)
    category = Category.objects.filter(code=payload.category, is_active=True).first()
    unit = Unit.objects.filter(pk=payload.unit).first()
    handling = (
        Unit.objects.filter(pk=payload.handling_unit).first() if payload.handling_unit else None
    )
    fields: dict[str, list[str]] = {}
    if category is None:
        fields["category"] = [_("Unknown category.")]
    if unit is None:
        fields["unit"] = [_("Unknown unit.")]
    if payload.handling_unit and handling is None:
        fields["handling_unit"] = [_("Unknown unit.")]
    if fields:
        raise ApiError(400, "invalid", _("Some values are not valid."), fields)
    assert category is not None and unit is not None
    result = services.register_matter(
        services.Intake(
            channel=payload.channel,
            category=category,
            description=payload.description,
            unit=unit,
            title=payload.title,
            handling_unit=handling,
            address=payload.address,
            latitude=payload.latitude,
            longitude=payload.longitude,
            contact_name=payload.contact_name,
            contact_phone=payload.contact_phone,
            id_number=payload.id_number,
            group_size=payload.group_size,
            extra=dict(payload.extra),
            idempotency_key=key or None,
        ),
        by=user,
    )
    matter = result.matter
    if result.created:
        outcome = "declined_as_concluded" if result.concluded_match else "created"
        body = {"outcome": outcome, "id": matter.pk, "code": matter.code}
        body["matter"] = detail(user, matter)
        return 201, _json(body, IntakeOut)
    # Folded into an earlier matter of the same person, which may lie outside the caller's scope:
    # only its number is told, as the portal does.
    return 200, _json({"outcome": "folded", "id": matter.pk, "code": matter.code}, IntakeOut)


@router.post(
    "/matters",
    response={201: IntakeOut, 200: IntakeOut, **ERRORS},
    summary="Register a matter",
    description=(
        "Registers a matter through the same intake as the staff pages (duplicate and repeat "
        "detection included). Send an `Idempotency-Key` header: a retry returns the first "
        "answer and registers nothing new."
    ),
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 64},
            }
        ]
    },
)
def register(request: HttpRequest, payload: IntakeIn) -> HttpResponse:
    return idempotency.run(
        request,
        payload.model_dump(mode="json"),
        lambda key: _intake(request, payload, key),
    )


@router.get(
    "/matters/{matter_id}",
    response={200: MatterDetail, **ERRORS},
    summary="One matter with its timeline",
)
def get_matter(request: HttpRequest, matter_id: int) -> HttpResponse:
    matter = selectors.get_matter_for_user(caller(request), matter_id)
    return _detail_response(caller(request), matter)


# --- Actions -------------------------------------------------------------------------------------


def _version(request: HttpRequest, payload: Versioned) -> int:
    """Optimistic concurrency (docs/adr/0005): the version the caller read, from the body or from
    If-Match; required, so a client cannot overwrite what it has not seen."""
    if payload.version is not None:
        return payload.version
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if header.isascii() and header.isdigit():
        return int(header)
    raise ApiError(
        428,
        "version_required",
        _("Send the matter's version (the “version” field or an If-Match header)."),
    )


def _department(pk: int, field: str) -> Department:
    found = Department.objects.select_related("unit").filter(pk=pk, is_active=True).first()
    if found is None:
        raise ApiError(
            400, "invalid", _("Some values are not valid."), {field: [_("Unknown department.")]}
        )
    return found


def _act(
    request: HttpRequest,
    matter_id: int,
    payload: Versioned,
    run: Callable[[Matter, Any, int], Any],
) -> HttpResponse:
    user = caller(request)
    matter = selectors.get_matter_for_user(user, matter_id, audit_view=False)
    version = _version(request, payload)
    run(matter, user, version)
    matter.refresh_from_db()
    return _detail_response(user, matter)


ACTION: dict[int, Any] = {200: MatterDetail, **ERRORS}


@router.post("/matters/{matter_id}/accept", summary="Accept (受理)", response=ACTION)
def accept(request: HttpRequest, matter_id: int, payload: NoteIn) -> HttpResponse:
    return _act(
        request,
        matter_id,
        payload,
        lambda m, u, v: services.accept_matter(m, by=u, version=v, note=payload.note),
    )


@router.post(
    "/matters/{matter_id}/decline", summary="Decline with a reason (不予受理)", response=ACTION
)
def decline(request: HttpRequest, matter_id: int, payload: ReasonIn) -> HttpResponse:
    return _act(
        request,
        matter_id,
        payload,
        lambda m, u, v: services.decline_matter(m, by=u, reason=payload.reason, version=v),
    )


@router.post(
    "/matters/{matter_id}/dispatch", summary="Dispatch to departments (派单)", response=ACTION
)
def dispatch(request: HttpRequest, matter_id: int, payload: DispatchIn) -> HttpResponse:
    lead = _department(payload.lead_department, "lead_department")
    co = [_department(pk, "co_departments") for pk in payload.co_departments]
    return _act(
        request,
        matter_id,
        payload,
        lambda m, u, v: services.dispatch_matter(
            m, lead=lead, co=co, by=u, version=v, note=payload.note, due_at=payload.due_at
        ),
    )


@router.post(
    "/matters/{matter_id}/handle-by-unit", summary="The unit handles it itself", response=ACTION
)
def handle_by_unit(request: HttpRequest, matter_id: int, payload: NoteIn) -> HttpResponse:
    return _act(
        request,
        matter_id,
        payload,
        lambda m, u, v: services.handle_by_unit(m, by=u, version=v, note=payload.note),
    )


@router.post("/matters/{matter_id}/sign-for", summary="Sign for a dispatch (签收)", response=ACTION)
def sign_for(request: HttpRequest, matter_id: int, payload: Versioned) -> HttpResponse:
    return _act(request, matter_id, payload, lambda m, u, v: services.sign_for(m, by=u, version=v))


@router.post(
    "/matters/{matter_id}/transfer", summary="Transfer to another department", response=ACTION
)
def transfer(request: HttpRequest, matter_id: int, payload: TransferIn) -> HttpResponse:
    to = _department(payload.to_department, "to_department")
    return _act(
        request,
        matter_id,
        payload,
        lambda m, u, v: services.transfer_matter(m, to=to, by=u, reason=payload.reason, version=v),
    )


@router.post(
    "/matters/{matter_id}/return", summary="Return to the dispatcher (退回)", response=ACTION
)
def return_(request: HttpRequest, matter_id: int, payload: ReasonIn) -> HttpResponse:
    return _act(
        request,
        matter_id,
        payload,
        lambda m, u, v: services.return_to_dispatcher(m, by=u, reason=payload.reason, version=v),
    )


@router.post("/matters/{matter_id}/reply", summary="The written reply (答复)", response=ACTION)
def reply(request: HttpRequest, matter_id: int, payload: ReplyIn) -> HttpResponse:
    return _act(
        request,
        matter_id,
        payload,
        lambda m, u, v: services.reply_to_matter(
            m, by=u, text=payload.text, outcome=payload.outcome, version=v
        ),
    )


@router.post(
    "/matters/{matter_id}/follow-up", summary="The resident's rating (回访)", response=ACTION
)
def follow_up(request: HttpRequest, matter_id: int, payload: FollowUpIn) -> HttpResponse:
    return _act(
        request,
        matter_id,
        payload,
        lambda m, u, v: services.record_follow_up(
            m,
            rating=payload.rating,
            by=u,
            comment=payload.comment,
            contacted=payload.contacted,
            version=v,
        ),
    )


@router.post(
    "/matters/{matter_id}/request-review",
    summary="Ask the level above to review (复查)",
    response=ACTION,
)
def request_review(request: HttpRequest, matter_id: int, payload: ReasonIn) -> HttpResponse:
    return _act(
        request,
        matter_id,
        payload,
        lambda m, u, v: services.request_review(m, by=u, reason=payload.reason, version=v),
    )


@router.post(
    "/matters/{matter_id}/decide-review", summary="Decide a review or re-review", response=ACTION
)
def decide_review(request: HttpRequest, matter_id: int, payload: DecideReviewIn) -> HttpResponse:
    return _act(
        request,
        matter_id,
        payload,
        lambda m, u, v: services.decide_review(
            m, by=u, text=payload.text, outcome=payload.outcome, version=v
        ),
    )
