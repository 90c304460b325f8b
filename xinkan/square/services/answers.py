"""Answers: given on the spot (solved there, or explained), or promised by a deadline — a promise
becomes a matter of the square channel, dispatched to the promising department with the promised
date as its handling deadline, and followed like every other matter."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from xinkan.core.timelimits import end_of_day
from xinkan.matters import services as matters
from xinkan.matters.models import Category, Channel, Matter
from xinkan.matters.models import State as MatterState
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.square.models import OnSpot, Question, QuestionState, Session, SessionState
from xinkan.square.services._core import SquareError, record, refuse, require_run

if TYPE_CHECKING:
    from xinkan.accounts.models import User

ANSWERING_STATES = frozenset({SessionState.LIVE, SessionState.FINISHED})
MIN_ANSWER = 4
# How far ahead a promise may reach: further than a year is not an answer.
MAX_PROMISE_DAYS = 365


def matter_key(question: Question) -> str:
    """The promise's idempotency key at intake: a retried request finds the same matter."""
    return f"square:question:{question.pk}"


def _answerable(question: Question, answer: str) -> str:
    if question.session.state not in ANSWERING_STATES:
        raise SquareError(_("Answers are recorded once the session has started."))
    if question.state != QuestionState.QUEUED:
        raise SquareError(_("This question has already been dealt with. Reload the page."))
    if question.panelist_id is None:
        raise SquareError(_("Put the question to a department first."))
    answer = answer.strip()
    if len(answer) < MIN_ANSWER:
        raise SquareError(_("Write down the answer as it was given."))
    return answer[:4000]


def _settle(question: Question, *, by: User, **values: object) -> None:
    """Move the question from the queue to answered or promised (once, however many press it)."""
    session = question.session
    now = timezone.now()
    changed = Question.objects.filter(pk=question.pk, state=QuestionState.QUEUED).update(
        answered_at=now, answered_by=by, **values
    )
    if changed != 1:
        raise SquareError(_("This question has already been dealt with. Reload the page."))
    for key, value in values.items():
        setattr(question, key, value)
    question.answered_at, question.answered_by = now, by
    Session.objects.filter(pk=session.pk, current=question).update(current=None)
    if session.current_id == question.pk:
        session.current = None


def answer_on_spot(question: Question, *, by: User, answer: str, on_spot: str) -> Question:
    """当场答复: the answer as given, solved there or explained."""
    require_run(by, question.session, "answer", question)
    if question.state == QuestionState.ANSWERED:
        return question  # the same form sent twice
    if on_spot not in OnSpot.values:
        raise SquareError(_("Choose whether it was solved on the spot or explained."))
    answer = _answerable(question, answer)
    with transaction.atomic():
        _settle(question, by=by, state=QuestionState.ANSWERED, answer=answer, on_spot=on_spot)
        record(
            by,
            "question.answered",
            question,
            question.session,
            changes={"state": [QuestionState.QUEUED, QuestionState.ANSWERED]},
            data={"on_spot": on_spot, "panelist": question.panelist_id},
        )
    return question


def promise(
    question: Question, *, by: User, answer: str, due: dt.date, category: Category
) -> Question:
    """限期答复: the department promises to settle the matter by `due`. Creates exactly one matter
    (also when the request is retried) through the matters services, dispatched to the department
    with the end of `due` as its handling deadline."""
    session = question.session
    require_run(by, session, "promise", question)
    # The matter is dispatched in the user's name: they must be able to dispatch for the unit.
    if not get_scope(by).covers_unit(session.unit, Perm.MATTERS_ACCEPT):
        refuse(by, question, session, "promise")
    if question.state == QuestionState.PROMISED:
        return question  # a retry: the matter exists
    answer = _answerable(question, answer)
    held_on = timezone.localtime(session.starts_at).date()
    if due < held_on:
        raise SquareError(_("The promised date cannot be before the session."))
    if due > held_on + dt.timedelta(days=MAX_PROMISE_DAYS):
        raise SquareError(_("A promise reaches at most a year ahead."))
    if not category.is_active:
        raise SquareError(_("This category is no longer in use."))
    panelist = question.panelist
    assert panelist is not None  # checked by _answerable
    promised_by = end_of_day(due)
    with transaction.atomic():
        locked = Question.objects.select_for_update().get(pk=question.pk)
        if locked.state == QuestionState.PROMISED:
            return locked
        matter = _open_matter(
            question, by=by, answer=answer, due=due, promised_by=promised_by, category=category
        )
        _settle(
            question,
            by=by,
            state=QuestionState.PROMISED,
            answer=answer,
            promised_by=promised_by,
            matter=matter,
        )
        record(
            by,
            "question.promised",
            question,
            session,
            changes={"state": [QuestionState.QUEUED, QuestionState.PROMISED]},
            data={"due": due, "matter": matter.pk, "panelist": panelist.pk},
        )
    return question


def _open_matter(
    question: Question,
    *,
    by: User,
    answer: str,
    due: dt.date,
    promised_by: dt.datetime,
    category: Category,
) -> Matter:
    session = question.session
    panelist = question.panelist
    assert panelist is not None
    note = _(
        "Promised at the public affairs square (“%(theme)s”, %(date)s) by %(who)s: %(answer)s "
        "To be settled by %(due)s."
    ) % {
        "theme": session.theme,
        "date": formats.date_format(timezone.localtime(session.starts_at), "Y-m-d"),
        "who": panelist.answerer,
        "answer": answer,
        "due": formats.date_format(due, "Y-m-d"),
    }
    anonymous = not (question.asker_name or question.asker_phone)
    try:
        result = matters.register_matter(
            matters.Intake(
                channel=Channel.SQUARE,
                category=category,
                description=f"{question.text}\n\n{note}"[:5000],
                unit=question.community or session.unit,
                handling_unit=session.unit,
                contact_name=question.asker_name,
                contact_phone=question.asker_phone,
                anonymous=anonymous,
                idempotency_key=matter_key(question),
                # Asked at the session: registered then, when it is over already.
                registered_at=min(timezone.now(), session.starts_at),
            ),
            by=None,  # the resident's question, brought by the square channel
        )
    except ValidationError as exc:
        raise SquareError(" ".join(exc.messages)) from exc
    matter = result.matter
    if result.created and matter.state == MatterState.REGISTERED:
        try:
            matters.dispatch_matter(
                matter, lead=panelist.department, by=by, due_at=promised_by, note=note
            )
        except matters.MatterError as exc:
            raise SquareError(exc.message) from exc
    return matter
