"""The running counts of a session, the yearly public summary and the indicators per department:
each one query, and they agree with the questions' states."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests import factories
from tests.square import factories as sf
from tests.square.test_promises import resolve
from xinkan.square import indicators, selectors, services
from xinkan.square.models import Question


def finished_session_with_every_kind_of_answer(cast):  # type: ignore[no-untyped-def]
    """Two solved and one explained on the spot, two promises (one kept), one waiting, one
    declined and one merged."""
    session = sf.session(cast)
    pending = sf.submitted(session, "这个问题还在等审核，不应计入场次问题数。")
    declined = sf.submitted(session, "能不能帮我安排一份工作？我家里困难。")
    services.decline_question(declined, by=cast.leader, reason="不属于本期答复范围。")
    asked = [
        sf.queued(session, cast.leader, text, asker_phone=f"1380013800{n}")
        for n, text in enumerate(
            [
                "3号楼电梯坏了三天没人修。",
                "建设路路灯不亮。",
                "低保怎么申请？",
                "5号楼楼顶漏水，物业不管。",
                "新华街夜市油烟扰民。",
            ]
        )
    ]
    duplicate = sf.submitted(session, "和第一个问题一样，电梯的问题。")
    services.merge_question(duplicate, into=asked[0], by=cast.leader)
    services.go_live(session, by=cast.leader)
    session.refresh_from_db()
    for question, kind in zip(asked[:3], ["solved", "solved", "explained"], strict=True):
        question.session = session
        services.answer_on_spot(question, by=cast.leader, answer="现场答复如下。", on_spot=kind)
    for question in asked[3:]:
        question.session = session
        sf.services.promise(  # type: ignore[attr-defined]
            question,
            by=cast.leader,
            answer="十日内解决。",
            due=timezone.localdate() + dt.timedelta(days=10),
            category=sf.mf.category(),
        )
    resolve(Question.objects.get(pk=asked[3].pk).matter)
    services.finish_session(session, by=cast.leader, attendance=250)
    return session, pending


def test_counts_of_a_session(cast, django_assert_num_queries):
    session, _pending = finished_session_with_every_kind_of_answer(cast)

    with django_assert_num_queries(1):
        counts = selectors.counts(session)

    assert (counts.questions, counts.answered, counts.on_spot, counts.solved_on_spot) == (
        5,
        5,
        3,
        2,
    )
    assert (counts.promised, counts.kept, counts.pending, counts.queued) == (2, 1, 1, 0)


def test_the_year_summary_counts_finished_sessions_of_the_year(cast, django_assert_num_queries):
    session, _pending = finished_session_with_every_kind_of_answer(cast)
    sf.session(cast, theme="还在征集问题的场次")  # not finished: not counted
    year = timezone.localtime(session.starts_at).year

    with django_assert_num_queries(2):
        summary = selectors.year_summary(year)

    assert (summary.sessions, summary.participants) == (1, 250)
    assert (summary.counts.on_spot, summary.counts.promised, summary.counts.kept) == (3, 2, 1)
    assert selectors.year_summary(year - 1).sessions == 0


def test_indicators_per_department_in_one_query(cast, django_assert_num_queries):
    finished_session_with_every_kind_of_answer(cast)
    # A second department answering at another session.
    other = factories.department("清河区民政局", cast.district, code="139901-MZJ")
    session = sf.live_session(cast)
    services.add_panelist(session, department=other, leader_name="陈红", by=cast.leader)
    question = services.register_question(
        session,
        services.NewQuestion(text="低保待遇怎么重新核定？需要什么材料？"),
        by=cast.leader,
        panelist=session.panelists.get(department=other),
    )
    services.answer_on_spot(
        question, by=cast.leader, answer="到社区申报即可。", on_spot="explained"
    )
    today = timezone.localdate()

    with django_assert_num_queries(1):
        figures = indicators.by_department(
            today.replace(month=1, day=1), today.replace(month=12, day=31)
        )

    zjj = figures[cast.department.pk]
    assert (zjj.answered, zjj.on_spot, zjj.solved_on_spot, zjj.promised) == (5, 3, 2, 2)
    assert (zjj.promises_due, zjj.kept) == (1, 1)  # one resolved, one still within its time
    assert zjj.on_spot_share == 3 / 5
    assert zjj.kept_rate == 1.0
    mzj = figures[other.pk]
    assert (mzj.answered, mzj.on_spot, mzj.promised, mzj.kept_rate) == (1, 1, 0, None)
