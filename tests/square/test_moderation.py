"""square.services.questions: residents' questions moderated — approved into the queue, merged into
the same question asked by someone else, declined with a reason — and questions asked on the spot;
all by those who run the session, audited, refused (and audited) for anyone else."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from tests.square import factories as sf
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.square import selectors, services
from xinkan.square.models import Question, QuestionState, Source
from xinkan.square.services import SquareError


def stored(question: Question) -> dict[str, object]:
    return Question.objects.filter(pk=question.pk).values().get()


def test_a_question_sent_in_waits_for_moderation(cast):
    session = sf.session(cast)

    question = sf.submitted(session)

    assert (question.state, question.source) == (QuestionState.PENDING, Source.PORTAL)
    entry = AuditEntry.objects.get(action="square.question.submitted")
    assert (entry.actor_id, entry.actor_label, entry.object_id) == (
        None,
        "resident",
        str(question.pk),
    )
    # Never the asker's name or phone in the audit log.
    assert sf.NAME not in str(entry.data) and sf.PHONE not in str(entry.data)


def test_a_retried_submission_makes_one_question(cast):
    session = sf.session(cast)
    data = services.NewQuestion(text=sf.TEXT, idempotency_key="portal:abc")

    first = services.submit_question(session, data)
    again = services.submit_question(session, data)

    assert first.pk == again.pk
    assert Question.objects.count() == 1


@pytest.mark.parametrize("state", ["planned", "live", "finished"])
def test_questions_are_sent_in_only_while_the_session_takes_them(cast, state):
    session = sf.session(cast, state=state)

    with pytest.raises(SquareError):
        sf.submitted(session)

    assert not Question.objects.exists()


def test_approval_puts_the_question_at_the_end_of_the_queue_for_a_department(cast):
    session = sf.session(cast)
    first = sf.queued(session, cast.leader, "建设路路灯不亮的问题什么时候能解决？")
    question = sf.submitted(session)

    services.approve_question(question, by=cast.leader, panelist=sf.panelist(session))

    row = stored(question)
    assert row["state"] == QuestionState.QUEUED
    assert row["panelist_id"] == sf.panelist(session).pk
    assert row["moderated_by_id"] == cast.leader.pk
    assert [q.pk for q in selectors.queue(session)] == [first.pk, question.pk]
    assert AuditEntry.objects.filter(
        action="square.question.approved", object_id=str(question.pk), actor=cast.leader
    ).exists()


def test_merging_folds_a_duplicate_into_the_question_answered_once(cast):
    session = sf.session(cast)
    kept = sf.queued(session, cast.leader)
    duplicate = sf.submitted(
        session, "我们楼的电梯也坏了，和3号楼是同一个问题。", asker_name="李四"
    )

    services.merge_question(duplicate, into=kept, by=cast.leader)

    row = stored(duplicate)
    assert (row["state"], row["merged_into_id"]) == (QuestionState.MERGED, kept.pk)
    counted = selectors.questions_of(session).get(pk=kept.pk)
    assert counted.asked_by == 1  # asked by two residents
    assert selectors.counts(session).questions == 1
    entry = AuditEntry.objects.get(action="square.question.merged")
    assert entry.data["into"] == kept.pk


def test_a_question_is_not_merged_into_itself_or_another_session(cast):
    session = sf.session(cast)
    other = sf.session(cast, theme="城市管理专场")
    question = sf.submitted(session)
    elsewhere = sf.submitted(other)
    before = stored(question)

    with pytest.raises(SquareError):
        services.merge_question(question, into=question, by=cast.leader)
    with pytest.raises(SquareError):
        services.merge_question(question, into=elsewhere, by=cast.leader)

    assert stored(question) == before


def test_declining_keeps_the_reason(cast):
    session = sf.session(cast)
    question = sf.submitted(session)

    services.decline_question(
        question, by=cast.leader, reason="属于个人就业诉求，请到人社局窗口咨询。"
    )

    row = stored(question)
    assert row["state"] == QuestionState.DECLINED
    assert row["decline_reason"] == "属于个人就业诉求，请到人社局窗口咨询。"


def test_a_decline_without_a_reason_is_refused_and_nothing_changes(cast):
    session = sf.session(cast)
    question = sf.submitted(session)
    before = stored(question)

    with pytest.raises(SquareError):
        services.decline_question(question, by=cast.leader, reason=" 不 ")

    assert stored(question) == before


def test_a_question_decided_by_another_moderator_meanwhile_is_not_decided_again(cast):
    session = sf.session(cast)
    question = sf.submitted(session)
    seen_by_second = Question.objects.select_related("session").get(pk=question.pk)
    services.decline_question(question, by=cast.leader, reason="重复提问，已合并处理。")

    with pytest.raises(SquareError):
        services.merge_question(
            seen_by_second,
            into=sf.queued(session, cast.leader, "另一个问题，关于路灯的维修。"),
            by=cast.leader,
        )

    assert stored(question)["state"] == QuestionState.DECLINED


def test_staff_register_a_question_asked_on_the_spot_straight_into_the_queue(cast):
    session = sf.live_session(cast)

    question = services.register_question(
        session,
        services.NewQuestion(text="幸福路的下水道堵了一个月，谁来管？", asker_name="张大爷"),
        by=cast.leader,
        panelist=sf.panelist(session),
    )

    row = stored(question)
    assert (row["state"], row["source"], row["registered_by_id"]) == (
        QuestionState.QUEUED,
        Source.LIVE,
        cast.leader.pk,
    )


@pytest.mark.parametrize("role", ["cadre", "handler", "outsider", "community_worker"])
def test_who_does_not_run_the_session_is_refused_audited_and_nothing_changes(cast, role):
    session = sf.session(cast)
    question = sf.submitted(session)
    before = stored(question)
    user = getattr(cast, role)

    for act in (
        lambda: services.approve_question(question, by=user),
        lambda: services.decline_question(question, by=user, reason="不属于答复范围。"),
        lambda: services.merge_question(question, into=question, by=user),
    ):
        with pytest.raises(PermissionDenied):
            act()

    assert stored(question) == before
    refusals = AuditEntry.objects.filter(
        action="square.denied", actor=user, outcome=Outcome.FAILURE
    )
    assert refusals.count() == 3
