"""The public affairs square (read only): the sessions the public pages announce, and a session's
published answers and promises — what the public results page shows, askers anonymised, with
each promise's current status (from its matter)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from xinkan.api.errors import ErrorBody
from xinkan.api.pagination import PageParams, page
from xinkan.api.schemas import PageMeta
from xinkan.square import selectors
from xinkan.square.models import public_asker

router = Router(tags=["public affairs square"])
ERRORS: dict[int, Any] = {401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody}


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
