"""The public affairs square: the sessions the public pages announce, and a session's published
answers and promises — what the public results page shows, askers anonymised, with each
promise's current status (from its matter); a resident's question sent in for a session open for
questions, as the portal's form does (rate limited, idempotent); and for staff who run the
session, its questions and their moderation (approve into the queue, decline with a reason),
through the square's selectors and services as the session page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from xinkan.api import idempotency
from xinkan.api.auth import caller, owner_key
from xinkan.api.errors import READ_ERRORS, ApiError, ErrorBody
from xinkan.api.pagination import PageParams, page
from xinkan.api.ratelimit import _retry_after
from xinkan.api.schemas import MAX_INT, Input, PageMeta
from xinkan.core import context
from xinkan.core.phones import mask_phone
from xinkan.core.ratelimit import allow
from xinkan.org.models import Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.square import selectors, services
from xinkan.square.models import Panelist, Question, public_asker
from xinkan.square.public_views import ASK_LIMIT

router = Router(tags=["public affairs square"])
ERRORS: dict[int, Any] = READ_ERRORS
WRITE: dict[int, Any] = {**ERRORS, 409: ErrorBody, 422: ErrorBody}


class SessionOut(Schema):
    id: int
    theme: str
    state: str
    starts_at: dt.datetime
    place: str
    unit_id: int
    attendance: int
    broadcast_media: str
    broadcast_url: str


class SessionPage(Schema):
    meta: PageMeta
    items: list[SessionOut]


class AnswerOut(Schema):
    position: int
    question: str
    asked_by: str  # anonymised: 王** or "a resident"
    residents_asking: int
    department_id: int | None
    state: str
    answer: str
    on_spot: str
    promised_by: dt.datetime | None
    promise_status: str | None
    matter_code: str | None


class ResultsOut(Schema):
    session: SessionOut
    answers: list[AnswerOut]


def _session(session: Any) -> dict[str, Any]:
    return {
        "id": session.pk,
        "theme": session.theme,
        "state": session.state,
        "starts_at": session.starts_at,
        "place": session.place,
        "unit_id": session.unit_id,
        "attendance": session.attendance,
        "broadcast_media": session.broadcast_media,
        "broadcast_url": session.broadcast_url,
    }


@router.get("/square/sessions", response={200: SessionPage, **ERRORS}, summary="Announced sessions")
def list_sessions(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    sessions = selectors.public_sessions().order_by("-starts_at", "-pk")
    items, meta = page(sessions, paging)
    return {"meta": meta, "items": [_session(session) for session in items]}


@router.get(
    "/square/sessions/{session_id}/results",
    response={200: ResultsOut, **ERRORS},
    summary="A session's published answers and promises",
)
def results(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = selectors.get_public_session(session_id)
    answers = []
    for question in selectors.published(session):
        matter = question.matter
        if matter is not None and matter.merged_into_id:
            matter = matter.merged_into
        answers.append(
            {
                "position": question.position,
                "question": question.text,
                "asked_by": public_asker(question.asker_name),
                "residents_asking": 1 + int(getattr(question, "asked_by", 0) or 0),
                "department_id": question.panelist.department_id if question.panelist else None,
                "state": question.state,
                "answer": question.answer,
                "on_spot": question.on_spot,
                "promised_by": question.promised_by,
                "promise_status": question.promise_status,
                "matter_code": matter.code if matter is not None else None,
            }
        )
    return {"session": _session(session), "answers": answers}


# --- Questions -----------------------------------------------------------------------------------


class QuestionIn(Input):
    """The portal's question form."""

    text: str = Field(..., min_length=6, max_length=1000)
    name: str = Field(
        "", max_length=60, description="The asker's name (optional, never published)."
    )
    phone: str = Field("", max_length=20, description="For follow-up only (never published).")
    community: int | None = Field(
        None, ge=1, le=MAX_INT, description="A community or village of the session's area."
    )


class QuestionSubmitted(Schema):
    id: int
    session_id: int
    state: str
    position: int


class QuestionOut(Schema):
    id: int
    position: int
    source: str
    state: str
    text: str
    asker_name: str
    asker_phone: str = Field(description="Always masked.")
    community_id: int | None
    department_id: int | None = Field(description="The department the question is put to.")
    decline_reason: str
    merged_into_id: int | None
    residents_asking: int


class QuestionPage(Schema):
    meta: PageMeta
    items: list[QuestionOut]


class ApproveIn(Input):
    department: int | None = Field(
        None, ge=1, le=MAX_INT, description="Put it to this department of the session."
    )


class DeclineIn(Input):
    reason: str = Field(..., min_length=1, max_length=2000)


def _ask_limit() -> tuple[int, int]:
    return getattr(settings, "XINKAN_API_RATE_ASK", ASK_LIMIT)


def _check_ask_rate(request: HttpRequest) -> None:
    """Questions are limited per caller and per client address, as the portal limits its form."""
    limit, window = _ask_limit()
    address = context.current().client_ip or "unknown"
    allowed = allow("api-square-ask", owner_key(request), limit=limit, window=window)
    allowed = allow("api-square-ask-address", address, limit=limit, window=window) and allowed
    if not allowed:
        raise ApiError(
            429,
            "rate_limited",
            _("Too many questions. Wait a while and try again."),
            headers={"Retry-After": str(_retry_after(window))},
        )


def _submit(request: HttpRequest, session_id: int, payload: QuestionIn, key: str) -> Any:
    session = selectors.get_public_session(session_id)
    community = None
    if payload.community is not None:
        community = Unit.objects.filter(
            pk=payload.community, level=Level.COMMUNITY, is_active=True
        ).first()
        if community is None:
            raise ApiError(
                400,
                "invalid",
                _("Some values are not valid."),
                {"community": [_("Unknown community.")]},
            )
    question = services.submit_question(
        session,
        services.NewQuestion(
            text=payload.text,
            asker_name=payload.name,
            asker_phone=payload.phone,
            community=community,
            idempotency_key=key or None,
        ),
    )
    body = {
        "id": question.pk,
        "session_id": session.pk,
        "state": question.state,
        "position": question.position,
    }
    return 201, QuestionSubmitted.model_validate(body).model_dump(mode="json")


@router.post(
    "/square/sessions/{session_id}/questions",
    response={201: QuestionSubmitted, **WRITE},
    summary="Send in a resident's question for a session open for questions",
    description=(
        "As the portal's form: the question waits for moderation; the asker's name and phone "
        "are never published. Limited per caller and per client address (setting "
        "`XINKAN_API_RATE_ASK`, by default the portal's five an hour). Send an "
        "`Idempotency-Key` header: a retry returns the first answer and adds nothing."
    ),
    openapi_extra={"parameters": [idempotency.OPENAPI_PARAMETER]},
)
def submit_question(request: HttpRequest, session_id: int, payload: QuestionIn) -> HttpResponse:
    selectors.get_public_session(session_id)
    _check_ask_rate(request)
    return idempotency.run(
        request,
        payload.model_dump(mode="json"),
        lambda key: _submit(request, session_id, payload, key),
    )


def _require_view(request: HttpRequest) -> Any:
    user = caller(request)
    if not get_scope(user).has_perm(Perm.SQUARE_VIEW):
        raise PermissionDenied
    return user


def _question(question: Question) -> dict[str, Any]:
    panelist = question.panelist
    return {
        "id": question.pk,
        "position": question.position,
        "source": question.source,
        "state": question.state,
        "text": question.text,
        "asker_name": question.asker_name,
        "asker_phone": mask_phone(question.asker_phone) if question.asker_phone else "",
        "community_id": question.community_id,
        "department_id": panelist.department_id if panelist else None,
        "decline_reason": question.decline_reason,
        "merged_into_id": question.merged_into_id,
        "residents_asking": 1 + int(getattr(question, "asked_by", 0) or 0),
    }


@router.get(
    "/square/sessions/{session_id}/questions",
    response={200: QuestionPage, **ERRORS},
    summary="A session's questions, for the staff who see the session",
)
def list_questions(
    request: HttpRequest, session_id: int, paging: Query[PageParams]
) -> dict[str, Any]:
    session = selectors.get_session_for_user(_require_view(request), session_id)
    items, meta = page(selectors.questions_of(session), paging)
    return {"meta": meta, "items": [_question(q) for q in items]}


def _moderated(question: Question) -> dict[str, Any]:
    question.refresh_from_db()
    return _question(question)


@router.post(
    "/square/questions/{question_id}/approve",
    response={200: QuestionOut, **WRITE},
    summary="Approve a question into the queue (and put it to a department)",
)
def approve(request: HttpRequest, question_id: int, payload: ApproveIn) -> dict[str, Any]:
    user = _require_view(request)
    question = selectors.get_question_for_user(user, question_id)
    panelist = None
    if payload.department is not None:
        panelist = Panelist.objects.filter(
            session=question.session, department_id=payload.department
        ).first()
        if panelist is None:
            raise ApiError(
                400,
                "invalid",
                _("Some values are not valid."),
                {"department": [_("Choose a department of the session.")]},
            )
    services.approve_question(question, by=user, panelist=panelist)
    return _moderated(question)


@router.post(
    "/square/questions/{question_id}/decline",
    response={200: QuestionOut, **WRITE},
    summary="Decline a question, with the reason (it is never published)",
)
def decline(request: HttpRequest, question_id: int, payload: DeclineIn) -> dict[str, Any]:
    user = _require_view(request)
    question = selectors.get_question_for_user(user, question_id)
    services.decline_question(question, by=user, reason=payload.reason)
    return _moderated(question)
