"""square.services.questions.move_question and call_question: the order of answering, arranged one
place up or down or to a given place, and the question called to be answered now."""

from __future__ import annotations

import pytest

from tests.square import factories as sf
from xinkan.square import selectors, services
from xinkan.square.models import Session
from xinkan.square.services import SquareError


@pytest.fixture
def three(cast):  # type: ignore[no-untyped-def]
    session = sf.live_session(cast)
    questions = [
        sf.queued(session, cast.leader, f"第{n}个问题：小区电梯和路灯的维修。") for n in (1, 2, 3)
    ]
    return session, questions


def order(session: Session) -> list[int]:
    return [q.pk for q in selectors.queue(session)]


def test_one_place_up_and_down(cast, three):
    session, (a, b, c) = three

    services.move_question(c, by=cast.leader, step=-1)
    assert order(session) == [a.pk, c.pk, b.pk]

    services.move_question(a, by=cast.leader, step=1)
    assert order(session) == [c.pk, a.pk, b.pk]


def test_to_a_place_by_its_number(cast, three):
    session, (a, b, c) = three

    services.move_question(c, by=cast.leader, to=1)
    assert order(session) == [c.pk, a.pk, b.pk]

    services.move_question(c, by=cast.leader, to=99)  # past the end: last
    assert order(session) == [a.pk, b.pk, c.pk]


def test_the_first_cannot_go_higher(cast, three):
    session, (a, b, c) = three

    services.move_question(a, by=cast.leader, step=-1)

    assert order(session) == [a.pk, b.pk, c.pk]


def test_a_called_question_is_the_current_one_until_answered(cast, three):
    session, (a, _b, _c) = three

    services.call_question(a, by=cast.leader)
    assert Session.objects.get(pk=session.pk).current_id == a.pk

    services.answer_on_spot(a, by=cast.leader, answer="已现场协调解决。", on_spot="solved")
    assert Session.objects.get(pk=session.pk).current_id is None


def test_questions_are_called_only_while_the_session_is_live(cast):
    session = sf.session(cast)  # open for questions
    question = sf.queued(session, cast.leader)

    with pytest.raises(SquareError):
        services.call_question(question, by=cast.leader)
