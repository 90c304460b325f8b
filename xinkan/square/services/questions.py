"""Questions: sent in by residents before a session and moderated (approved, merged with the same
question asked by someone else, or declined with a reason), or asked on the spot and registered by
staff; put to a department and its leader; arranged in the order of answering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.core.phones import normalise_phone
from xinkan.org.models import Unit
from xinkan.square.models import (
    ANSWERED_STATES,
    Panelist,
    Question,
    QuestionState,
    Session,
    SessionState,
    Source,
)
from xinkan.square.services import _core
from xinkan.square.services._core import SquareError, can_prepare, record, refuse, require_run

if TYPE_CHECKING:
    from xinkan.accounts.models import User

MIN_TEXT = 6
MAX_TEXT = 1000


@dataclass
class NewQuestion:
    text: str
    asker_name: str = ""
    asker_phone: str = ""
    community: Unit | None = None
    idempotency_key: str | None = None


def _validate(session: Session, data: NewQuestion) -> NewQuestion:
    text = data.text.strip()
    if len(text) < MIN_TEXT:
        raise SquareError(_("Write your question in a sentence or two."))
    if len(text) > MAX_TEXT:
        raise SquareError(_("The question is longer than 1000 characters."))
    phone = normalise_phone(data.asker_phone)
    if phone and not plausible_phone(phone):
        raise SquareError(_("Enter a mobile number of 11 digits or a landline with area code."))
    if data.community is not None and not data.community.path.startswith(session.unit.path):
        raise SquareError(_("Choose a community of the area this session serves."))
    return NewQuestion(
        text=text,
        asker_name=data.asker_name.strip()[:60],
        asker_phone=phone,
        community=data.community,
        idempotency_key=data.idempotency_key,
    )


def plausible_phone(phone: str) -> bool:
    """The rule matters apply at intake (a promise becomes a matter with this phone)."""
    digits = phone.lstrip("+")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if digits.startswith("1"):
        return len(digits) == 11
    return digits.isdigit() and 7 <= len(digits) <= 12


def _next_position(session: Session) -> int:
    top = Question.objects.filter(session=session).aggregate(top=Max("position"))["top"]
    return (top or 0) + 1


def _create(session: Session, data: NewQuestion, **values: object) -> tuple[Question, bool]:
    if data.idempotency_key:
        existing = Question.objects.filter(idempotency_key=data.idempotency_key).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            question = Question.objects.create(
                session=session,
                text=data.text,
                asker_name=data.asker_name,
                asker_phone=data.asker_phone,
                community=data.community,
                idempotency_key=data.idempotency_key or None,
                position=_next_position(session),
                **values,
            )
            return question, True
    except IntegrityError:
        existing = Question.objects.filter(idempotency_key=data.idempotency_key).first()
        if data.idempotency_key and existing is not None:
            return existing, False
        raise


def submit_question(session: Session, data: NewQuestion) -> Question:
    """A resident's question from the portal, while the session is open for questions; staff
    moderate it before it is put to anyone. A retried form (same key) returns the first one."""
    if session.state != SessionState.OPEN:
        raise SquareError(_("This session does not take questions now."))
    data = _validate(session, data)
    with transaction.atomic():
        question, created = _create(session, data, source=Source.PORTAL)
        if created:
            record(None, "question.submitted", question, session)
    return question


def _check_panelist(session: Session, panelist: Panelist | None) -> None:
    if panelist is not None and panelist.session_id != session.pk:
        raise SquareError(_("This department does not take part in the session."))


def register_question(
    session: Session, data: NewQuestion, *, by: User, panelist: Panelist | None = None
) -> Question:
    """A question asked on the spot (or handed in on paper), registered by staff: in the queue."""
    require_run(by, session, "register")
    if session.state not in {SessionState.OPEN, SessionState.LIVE}:
        raise SquareError(_("Questions are registered while the session is open or live."))
    data = _validate(session, data)
    _check_panelist(session, panelist)
    now = timezone.now()
    with transaction.atomic():
        question, created = _create(
            session,
            data,
            source=Source.LIVE,
            state=QuestionState.QUEUED,
            panelist=panelist,
            registered_by=by,
            moderated_by=by,
            moderated_at=now,
        )
        if created:
            record(
                by,
                "question.registered",
                question,
                session,
                data={"panelist": panelist.pk if panelist else None},
            )
    return question


def _moderate(
    question: Question,
    *,
    by: User,
    to: str,
    action: str,
    data: dict[str, object] | None = None,
    **values: object,
) -> Question:
    """Change a question's moderation state if it still waits (or sits in the queue): a
    conditional update, so two moderators cannot both decide it."""
    expected = [QuestionState.PENDING, QuestionState.QUEUED]
    with transaction.atomic():
        changed = Question.objects.filter(pk=question.pk, state__in=expected).update(
            state=to, moderated_by=by, moderated_at=timezone.now(), **values
        )
        if changed != 1:
            raise SquareError(_("This question has already been dealt with. Reload the page."))
        before = question.state
        question.state = to
        for key, value in values.items():
            setattr(question, key, value)
        if question.session.current_id == question.pk:
            Session.objects.filter(pk=question.session_id, current=question).update(current=None)
            question.session.current = None
        record(
            by,
            f"question.{action}",
            question,
            question.session,
            changes={"state": [before, to]},
            data=data,
        )
    return question


def approve_question(question: Question, *, by: User, panelist: Panelist | None = None) -> Question:
    """Into the queue, at its end; put to `panelist` when given."""
    session = question.session
    require_run(by, session, "approve", question)
    if question.state == QuestionState.QUEUED:
        return question
    if question.state != QuestionState.PENDING:
        raise SquareError(_("This question has already been dealt with. Reload the page."))
    _check_panelist(session, panelist)
    values: dict[str, object] = {"position": _next_position(session)}
    if panelist is not None:
        values["panelist"] = panelist
    return _moderate(
        question,
        by=by,
        to=QuestionState.QUEUED,
        action="approved",
        data={"panelist": panelist.pk if panelist else None},
        **values,
    )


def decline_question(question: Question, *, by: User, reason: str) -> Question:
    """Not taken up, with a reason (kept for the record; the question is never published)."""
    require_run(by, question.session, "decline", question)
    if question.state == QuestionState.DECLINED:
        return question
    text = _core.reason(reason, _("Say why the question is declined (at least a few words)."))
    return _moderate(
        question, by=by, to=QuestionState.DECLINED, action="declined", decline_reason=text
    )


def merge_question(question: Question, *, into: Question, by: User) -> Question:
    """The same question asked by someone else: folded into `into`, which is answered once and
    counts everyone who asked it."""
    session = question.session
    require_run(by, session, "merge", question)
    if question.state == QuestionState.MERGED and question.merged_into_id == into.pk:
        return question
    if into.session_id != session.pk or into.pk == question.pk:
        raise SquareError(_("Choose another question of the same session."))
    if into.state in {QuestionState.DECLINED, QuestionState.MERGED}:
        raise SquareError(_("A question can only be merged into one that is taken up."))
    return _moderate(
        question,
        by=by,
        to=QuestionState.MERGED,
        action="merged",
        data={"into": into.pk},
        merged_into=into,
    )


def assign_question(question: Question, *, panelist: Panelist, by: User) -> Question:
    """Put the question to a department of the session and its leader."""
    session = question.session
    require_run(by, session, "assign", question)
    _check_panelist(session, panelist)
    if question.state in ANSWERED_STATES:
        raise SquareError(_("This question has been answered."))
    if question.panelist_id == panelist.pk:
        return question
    with transaction.atomic():
        before = question.panelist_id
        Question.objects.filter(pk=question.pk).update(panelist=panelist)
        question.panelist = panelist
        record(
            by, "question.assigned", question, session, changes={"panelist": [before, panelist.pk]}
        )
    return question


def move_question(
    question: Question, *, by: User, step: int = 0, to: int | None = None
) -> Question:
    """Arrange the order of answering: one place up (step=-1) or down (step=1), or to place `to`
    (1 is answered first) among the questions waiting in the queue."""
    session = question.session
    require_run(by, session, "move", question)
    if question.state != QuestionState.QUEUED:
        raise SquareError(_("Only questions in the queue can be moved."))
    with transaction.atomic():
        # One reordering of a session at a time.
        Session.objects.select_for_update().filter(pk=session.pk).first()
        queue = list(
            Question.objects.filter(session=session, state=QuestionState.QUEUED)
            .order_by("position", "pk")
            .only("pk", "position")
        )
        ids = [q.pk for q in queue]
        if question.pk not in ids:
            raise SquareError(_("Only questions in the queue can be moved."))
        index = ids.index(question.pk)
        target = (to - 1) if to is not None else index + step
        target = max(0, min(len(ids) - 1, target))
        if target == index:
            return question
        ids.insert(target, ids.pop(index))
        positions = sorted(q.position for q in queue)
        # Keep the queue's own numbers (questions answered earlier keep theirs); renumber when
        # two share one.
        if len(set(positions)) != len(positions):
            base = positions[0]
            positions = list(range(base, base + len(ids)))
        old = {q.pk: q.position for q in queue}
        for pk, position in zip(ids, positions, strict=True):
            if old[pk] != position:
                Question.objects.filter(pk=pk).update(position=position)
        question.position = positions[target]
        record(by, "question.moved", question, session, data={"place": target + 1})
    return question


def call_question(question: Question, *, by: User) -> Question:
    """The question is answered now: the live screen shows it."""
    session = question.session
    require_run(by, session, "call", question)
    if session.state != SessionState.LIVE:
        raise SquareError(_("Questions are called while the session is live."))
    if question.state != QuestionState.QUEUED:
        raise SquareError(_("Only questions in the queue can be called."))
    if session.current_id == question.pk:
        return question
    with transaction.atomic():
        Session.objects.filter(pk=session.pk).update(current=question)
        session.current = question
        record(by, "question.called", question, session)
    return question


def prepare_answer(question: Question, *, text: str, by: User) -> Question:
    """The department's draft answer, written before the session; staff see it when answering."""
    if not can_prepare(by, question):
        refuse(by, question, question.session, "prepare")
    if question.state not in {QuestionState.PENDING, QuestionState.QUEUED}:
        raise SquareError(_("This question has been answered."))
    text = text.strip()[:4000]
    if text == question.prepared_answer:
        return question
    with transaction.atomic():
        Question.objects.filter(pk=question.pk).update(prepared_answer=text)
        question.prepared_answer = text
        record(by, "question.prepared", question, question.session)
    return question
