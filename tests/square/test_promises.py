"""square.services.answers.promise: a promise by a deadline (限期答复) becomes exactly one matter of
the square channel, dispatched to the promising department with the promised date as its handling
deadline — also when the request is retried — and the promise is kept when that matter is resolved
by the promised time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tests.matters import factories as mf
from tests.square import factories as sf
from xinkan.audit.models import AuditEntry
from xinkan.core.timelimits import end_of_day
from xinkan.matters import services as matters
from xinkan.matters.models import Channel, Deadline, Matter, Outcome, Rating, Stage, State
from xinkan.square import selectors, services
from xinkan.square.models import KEPT_Q, PromiseStatus, Question, QuestionState
from xinkan.square.services import SquareError


def fresh(question: Question) -> Question:
    return Question.objects.select_related("matter__merged_into", "session").get(pk=question.pk)


def test_a_promise_creates_one_matter_dispatched_with_the_promised_deadline(cast):
    due = timezone.localdate() + dt.timedelta(days=10)

    question = sf.promised(cast, due=due)

    matter = Matter.objects.get()
    assert question.state == QuestionState.PROMISED
    assert question.matter_id == matter.pk
    assert list(matter.square_questions.all()) == [question]
    assert (matter.channel, matter.state, matter.lead_department) == (
        Channel.SQUARE,
        State.DISPATCHED,
        cast.department,
    )
    assert matter.category == mf.category()
    assert matter.handling_unit == cast.district
    assert (matter.contact_name, matter.contact_phone) == (sf.NAME, sf.PHONE)
    assert sf.TEXT in matter.description
    handle = Deadline.objects.get(matter=matter, stage=Stage.HANDLE)
    assert handle.due_at == end_of_day(due) == question.promised_by
    assert fresh(question).promise_status == PromiseStatus.PENDING
    entry = AuditEntry.objects.get(action="square.question.promised")
    assert (entry.actor_id, entry.data["matter"]) == (cast.leader.pk, matter.pk)


def test_a_retried_promise_creates_nothing_new(cast):
    session = sf.live_session(cast)
    question = sf.queued(session, cast.leader)
    stale = Question.objects.select_related("session").get(pk=question.pk)  # the form as loaded
    due = timezone.localdate() + dt.timedelta(days=10)
    answer = "住建局承诺十日内督促物业修复电梯。"

    services.promise(question, by=cast.leader, answer=answer, due=due, category=mf.category())
    again = services.promise(stale, by=cast.leader, answer=answer, due=due, category=mf.category())

    assert Matter.objects.count() == 1
    assert again.matter_id == fresh(question).matter_id
    assert AuditEntry.objects.filter(action="square.question.promised").count() == 1
    assert AuditEntry.objects.filter(action="matters.registered").count() == 1


def test_the_matter_key_finds_the_same_matter_if_intake_is_asked_again(cast):
    question = sf.promised(cast)
    matter = fresh(question).matter

    result = matters.register_matter(
        mf.intake(
            cast.district, channel=Channel.SQUARE, idempotency_key=services.matter_key(question)
        ),
        by=None,
    )

    assert (result.created, result.matter.pk) == (False, matter.pk)
    assert Matter.objects.count() == 1


def test_an_anonymous_question_becomes_an_anonymous_matter(cast):
    question = sf.promised(cast, asker_name="", asker_phone="")

    matter = fresh(question).matter
    assert matter.anonymous
    assert (matter.contact_name, matter.contact_phone) == ("", "")


def test_a_promise_before_the_session_is_refused_and_nothing_changes(cast):
    session = sf.live_session(cast)
    question = sf.queued(session, cast.leader)

    with pytest.raises(SquareError):
        services.promise(
            question,
            by=cast.leader,
            answer="尽快解决。",
            due=timezone.localdate() - dt.timedelta(days=1),
            category=mf.category(),
        )

    assert fresh(question).state == QuestionState.QUEUED
    assert not Matter.objects.exists()


def test_who_does_not_run_the_session_cannot_promise(cast):
    session = sf.live_session(cast)
    question = sf.queued(session, cast.leader)

    with pytest.raises(PermissionDenied):
        services.promise(
            question,
            by=cast.handler,
            answer="十日内解决。",
            due=timezone.localdate() + dt.timedelta(days=10),
            category=mf.category(),
        )

    assert fresh(question).state == QuestionState.QUEUED
    assert not Matter.objects.exists()
    assert AuditEntry.objects.filter(action="square.denied", actor=cast.handler).exists()


# --- Kept or broken follows the matter -------------------------------------------------------------


def resolve(matter: Matter, rating: str = Rating.SATISFIED) -> None:
    """The department answers and the resident rates the answer on the portal."""
    handler = matter.lead_department.memberships.get().user  # type: ignore[union-attr]
    matters.sign_for(matter, by=handler)
    matter.refresh_from_db()
    matters.reply_to_matter(
        matter,
        by=handler,
        text="电梯已更换主板并通过检测，恢复正常运行。",
        outcome=Outcome.SUPPORTED,
    )
    matter.refresh_from_db()
    matters.record_follow_up(matter, rating=rating, by=None)


def kept_by_count(question: Question) -> bool:
    return Question.objects.filter(KEPT_Q, pk=question.pk).exists()


def test_resolved_by_the_promised_date_is_kept(cast):
    question = sf.promised(cast)

    resolve(fresh(question).matter)

    assert fresh(question).promise_status == PromiseStatus.KEPT
    assert kept_by_count(question)
    assert selectors.counts(question.session).kept == 1


def test_resolved_after_the_promised_date_is_late(cast):
    due = timezone.localdate() + dt.timedelta(days=3)
    question = sf.promised(cast, due=due)

    with time_machine.travel(end_of_day(due) + dt.timedelta(days=2)):
        resolve(fresh(question).matter)

    assert fresh(question).promise_status == PromiseStatus.LATE
    assert not kept_by_count(question)


def test_open_past_the_promised_date_is_overdue(cast):
    due = timezone.localdate() + dt.timedelta(days=3)
    question = sf.promised(cast, due=due)

    assert fresh(question).promise_status == PromiseStatus.PENDING
    with time_machine.travel(end_of_day(due) + dt.timedelta(seconds=1)):
        assert fresh(question).promise_status == PromiseStatus.OVERDUE
    assert not kept_by_count(question)


def test_closed_with_the_resident_dissatisfied_is_not_kept(cast):
    question = sf.promised(cast)
    matter = fresh(question).matter
    resolve(matter, rating=Rating.DISSATISFIED)
    matter.refresh_from_db()
    # Thirty days without asking for a review: the sweep closes it, not solved.
    with time_machine.travel(timezone.now() + dt.timedelta(days=32)):
        from xinkan.matters.services.follow_up import close_after_review_window

        assert close_after_review_window(matter, now=timezone.now())

    assert fresh(question).promise_status == PromiseStatus.UNRESOLVED
    assert not kept_by_count(question)


def test_a_matter_merged_into_another_follows_that_one(cast):
    question = sf.promised(cast)
    matter = fresh(question).matter
    other = mf.dispatched(cast)
    matters.merge_into(matter, target=other, by=cast.leader)

    assert fresh(question).promise_status == PromiseStatus.PENDING
    other.refresh_from_db()
    resolve(other)

    assert fresh(question).promise_status == PromiseStatus.KEPT
    assert kept_by_count(question)


def test_the_matter_page_links_back_to_the_square(cast, client):
    from django.urls import reverse

    from tests.conftest import login_as

    question = sf.promised(cast, due=timezone.localdate() + dt.timedelta(days=10))
    login_as(client, cast.leader)
    page = client.get(reverse("matters:detail", args=[question.matter_id])).content.decode()
    assert reverse("square:detail", args=[question.session_id]) in page
    assert question.session.theme in page
