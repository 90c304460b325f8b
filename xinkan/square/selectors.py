"""Reads of the square: staff reads filtered by scope (404 for what lies outside it), public reads
limited to what residents may see, and the running counts of a session in one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from xinkan.audit import services as audit
from xinkan.org.roles import Perm
from xinkan.org.scope import Scope, get_scope
from xinkan.square.models import (
    COUNTED_STATES,
    KEPT_Q,
    PUBLIC_SESSION_STATES,
    OnSpot,
    Panelist,
    Question,
    QuestionState,
    Session,
    SessionState,
)

if TYPE_CHECKING:
    from xinkan.accounts.models import User


# --- Staff -----------------------------------------------------------------------------------------


def visible_q(scope: Scope) -> Q:
    """Sessions of units in scope, and sessions where one of the reader's departments answers."""
    query = Q(pk__in=[])
    if scope.unit_paths(Perm.SQUARE_VIEW):
        query |= scope.unit_q(Perm.SQUARE_VIEW, "unit")
    departments = scope.department_ids(Perm.SQUARE_VIEW)
    if departments:
        query |= Q(
            Exists(
                Panelist.objects.filter(
                    session=OuterRef("pk"), department_id__in=sorted(departments)
                )
            )
        )
    return query


def sessions_for(user: User) -> QuerySet[Session]:
    return Session.objects.filter(visible_q(get_scope(user)))


def get_session_for_user(user: User, session_id: int) -> Session:
    """The session, or 404 — the same for "not yours" and "does not exist" (audited)."""
    session = sessions_for(user).select_related("unit", "current").filter(pk=session_id).first()
    if session is None:
        audit.record_failure(
            actor=user, action="square.denied", data={"attempt": "view", "session": session_id}
        )
        raise Http404
    return session


def get_question_for_user(user: User, question_id: int) -> Question:
    question = (
        Question.objects.select_related(
            "session__unit", "session__current", "panelist__department", "matter", "community"
        )
        .filter(pk=question_id)
        .first()
    )
    if question is None or not sessions_for(user).filter(pk=question.session_id).exists():
        audit.record_failure(
            actor=user, action="square.denied", data={"attempt": "view", "question": question_id}
        )
        raise Http404
    return question


def session_list(user: User, which: str) -> QuerySet[Session]:
    sessions = sessions_for(user).select_related("unit")
    if which == "finished":
        return sessions.filter(state=SessionState.FINISHED).order_by("-starts_at", "-pk")
    return sessions.exclude(state=SessionState.FINISHED).order_by("starts_at", "pk")


def questions_of(session: Session) -> QuerySet[Question]:
    return (
        Question.objects.filter(session=session)
        .select_related("panelist__department", "matter__merged_into", "community")
        .annotate(asked_by=Count("duplicates", distinct=True))
        .order_by("position", "pk")
    )


def department_questions(user: User) -> QuerySet[Question]:
    """Questions put to the user's departments that still wait for an answer (to prepare)."""
    scope = get_scope(user)
    departments = scope.department_ids(Perm.SQUARE_ANSWER)
    if not departments:
        return Question.objects.none()
    return (
        Question.objects.filter(
            panelist__department_id__in=sorted(departments),
            state__in=[QuestionState.PENDING, QuestionState.QUEUED],
        )
        .exclude(session__state=SessionState.PLANNED)
        .select_related("session", "panelist__department")
        .order_by("session__starts_at", "position", "pk")
    )


# --- Counts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    questions: int = 0
    answered: int = 0
    on_spot: int = 0
    solved_on_spot: int = 0
    promised: int = 0
    kept: int = 0
    queued: int = 0
    pending: int = 0

    @property
    def explained_on_spot(self) -> int:
        return self.on_spot - self.solved_on_spot


def _question_aggregates() -> dict[str, Count]:
    # Named apart from the fields ("n_..."): an aggregate named like a field shadows it in the
    # filters of the others.
    return {
        "n_questions": Count("pk", filter=Q(state__in=sorted(COUNTED_STATES))),
        "n_on_spot": Count("pk", filter=Q(state=QuestionState.ANSWERED)),
        "n_solved_on_spot": Count(
            "pk", filter=Q(state=QuestionState.ANSWERED, on_spot=OnSpot.SOLVED)
        ),
        "n_promised": Count("pk", filter=Q(state=QuestionState.PROMISED)),
        "n_queued": Count("pk", filter=Q(state=QuestionState.QUEUED)),
        "n_pending": Count("pk", filter=Q(state=QuestionState.PENDING)),
        "n_kept": Count("pk", filter=KEPT_Q),
    }


def counts(session: Session) -> Counts:
    """The running counts of a session (one query)."""
    row = Question.objects.filter(session=session).aggregate(**_question_aggregates())
    return _counts(row)


def _counts(row: dict[str, int | None]) -> Counts:
    on_spot, promised = row["n_on_spot"] or 0, row["n_promised"] or 0
    return Counts(
        questions=row["n_questions"] or 0,
        answered=on_spot + promised,
        on_spot=on_spot,
        solved_on_spot=row["n_solved_on_spot"] or 0,
        promised=promised,
        kept=row["n_kept"] or 0,
        queued=row["n_queued"] or 0,
        pending=row["n_pending"] or 0,
    )


def counts_by_session(sessions: list[Session]) -> dict[int, Counts]:
    """Counts of many sessions in one grouped query (for lists)."""
    if not sessions:
        return {}
    rows = (
        Question.objects.filter(session__in=sessions)
        .values("session_id")
        .annotate(**_question_aggregates())
    )
    found = {row["session_id"]: _counts(row) for row in rows}
    return {session.pk: found.get(session.pk, Counts()) for session in sessions}


# --- Public ----------------------------------------------------------------------------------------


def public_sessions() -> QuerySet[Session]:
    return Session.objects.filter(state__in=sorted(PUBLIC_SESSION_STATES)).select_related("unit")


def get_public_session(session_id: int) -> Session:
    session = (
        public_sessions()
        .select_related("current__panelist__department")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise Http404
    return session


def queue(session: Session) -> QuerySet[Question]:
    """The questions waiting to be answered, in the order of answering."""
    return (
        Question.objects.filter(session=session, state=QuestionState.QUEUED)
        .select_related("panelist__department")
        .order_by("position", "pk")
    )


def published(session: Session) -> QuerySet[Question]:
    """Every question taken up at the session, with its answer or promise (and the matter that
    tells whether the promise was kept), in the order they were answered."""
    return (
        Question.objects.filter(session=session, state__in=sorted(COUNTED_STATES))
        .select_related("panelist__department", "matter__merged_into")
        .annotate(asked_by=Count("duplicates", distinct=True))
        .order_by("position", "pk")
    )


@dataclass(frozen=True)
class YearSummary:
    year: int
    sessions: int
    participants: int
    counts: Counts

    @property
    def promises_broken_or_open(self) -> int:
        return self.counts.promised - self.counts.kept


def year_summary(year: int) -> YearSummary:
    """Finished sessions held in `year`, in the form 遵化 reported: sessions, participants,
    answered on the spot, promised, promises kept on time (two queries)."""
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    sessions = Session.objects.filter(
        state=SessionState.FINISHED, starts_at__gte=start, starts_at__lt=end
    )
    totals = sessions.aggregate(n=Count("pk"), people=Sum("attendance"))
    row = Question.objects.filter(session__in=sessions).aggregate(**_question_aggregates())
    return YearSummary(
        year=year,
        sessions=totals["n"] or 0,
        participants=totals["people"] or 0,
        counts=_counts(row),
    )


def summary_years() -> list[int]:
    """The years with finished sessions, newest first."""
    dates = Session.objects.filter(state=SessionState.FINISHED).datetimes(
        "starts_at", "year", order="DESC"
    )
    return [d.year for d in dates]
