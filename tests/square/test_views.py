"""The staff pages of the square: who sees which session (404 outside one's area, audited), who may
act (403 for those who only see, audited, nothing changed), the forms that run a session, and the
number of queries of the lists pinned."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tests.conftest import login_as
from tests.matters import factories as mf
from tests.scope import Probe, assert_scope
from tests.square import factories as sf
from xinkan.audit.models import AuditEntry
from xinkan.matters.models import Matter
from xinkan.square.models import Question, QuestionState, Session, SessionState


def test_the_sessions_list_shows_the_sessions_of_ones_area(cast, client):
    session = sf.session(cast)
    login_as(client, cast.leader)

    response = client.get("/square/")

    assert response.status_code == 200
    assert f'data-session="{session.pk}"' in response.content.decode()


def test_the_list_costs_the_same_for_many_sessions(cast, client, django_assert_max_num_queries):
    for n in range(8):
        session = sf.session(cast, theme=f"第{n}期政务广场")
        sf.submitted(session)
    login_as(client, cast.leader)
    client.get("/square/")  # warm the session and scope caches of the login

    with django_assert_max_num_queries(12):
        response = client.get("/square/")

    assert response.content.decode().count("data-session=") == 8


def test_staff_without_the_square_do_not_get_its_pages(cast, client):
    login_as(client, cast.outsider)

    assert client.get("/square/").status_code == 403


def test_a_session_outside_ones_area_is_not_found_and_the_attempt_audited(cast, client):
    session = sf.session(cast)  # the district's: above the cadre's subdistrict
    login_as(client, cast.cadre)

    response = client.get(f"/square/{session.pk}/")

    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        action="square.denied", actor=cast.cadre, data__session=session.pk
    ).exists()


def test_a_department_sees_the_sessions_where_it_answers(cast, client):
    session = sf.session(cast)
    question = sf.queued(session, cast.leader)
    login_as(client, cast.handler)

    page = client.get(f"/square/{session.pk}/").content.decode()

    assert f'data-question="{question.pk}"' in page
    assert 'data-action="approve"' not in page  # sees, does not run


def test_moderation_and_running_are_for_those_who_run_the_session(cast, client):
    session = sf.session(cast)
    question = sf.submitted(session)

    assert_scope(
        client,
        Probe("post", f"/square/questions/{question.pk}/approve/", {}),
        allowed=[cast.leader],
        denied=[cast.handler, cast.cadre, cast.outsider],
        state=lambda: Question.objects.filter(pk=question.pk).values().get(),
    )

    assert Question.objects.get(pk=question.pk).state == QuestionState.QUEUED
    assert AuditEntry.objects.filter(action="square.denied", actor=cast.handler).exists()


def test_the_session_page_costs_the_same_for_many_questions(
    cast, client, django_assert_max_num_queries
):
    session = sf.session(cast)
    for n in range(10):
        sf.queued(
            session,
            cast.leader,
            f"第{n}个问题：关于小区的电梯与路灯。",
            asker_phone=f"139001390{n:02d}",
        )
    sf.submitted(session)
    login_as(client, cast.leader)
    client.get(f"/square/{session.pk}/")

    with django_assert_max_num_queries(20):
        response = client.get(f"/square/{session.pk}/")

    assert response.content.decode().count('data-state="queued"') == 10


def test_planning_a_session_twice_with_the_same_form_makes_one(cast, client):
    login_as(client, cast.leader)
    data = {
        "theme": "教育医疗专场",
        "starts_at": (timezone.localtime() + dt.timedelta(days=7)).strftime("%Y-%m-%dT09:00"),
        "place": "清河区人民广场",
        "unit": cast.district.pk,
        "idempotency_key": uuid.uuid4().hex,
    }

    first = client.post("/square/new/", data)
    second = client.post("/square/new/", data)

    assert first.status_code == second.status_code == 302
    assert Session.objects.count() == 1
    assert first["Location"] == second["Location"] == f"/square/{Session.objects.get().pk}/"


def test_running_a_session_from_the_control_page(cast, client):
    session = sf.session(cast)
    question = sf.queued(session, cast.leader)
    login_as(client, cast.leader)
    control = f"/square/{session.pk}/control/"

    client.post(f"/square/{session.pk}/live/", {"next": control})
    client.post(f"/square/questions/{question.pk}/call/", {"next": control})
    page = client.get(control).content.decode()
    assert 'data-testid="answer-form"' in page

    response = client.post(
        f"/square/questions/{question.pk}/answer/",
        {"answer-answer": "已协调物业今天下午修好。", "answer-on_spot": "solved", "next": control},
    )
    assert response.status_code == 302 and response["Location"] == control
    client.post(f"/square/{session.pk}/attendance/", {"attendance": "180", "next": control})
    client.post(f"/square/{session.pk}/finish/")

    session.refresh_from_db()
    assert (session.state, session.attendance, session.current_id) == (
        SessionState.FINISHED,
        180,
        None,
    )
    assert Question.objects.get(pk=question.pk).state == QuestionState.ANSWERED


def test_a_promise_sent_twice_from_the_control_page_makes_one_matter(cast, client):
    session = sf.live_session(cast)
    question = sf.queued(session, cast.leader)
    login_as(client, cast.leader)
    data = {
        "promise-answer": "住建局十日内督促物业修复。",
        "promise-due": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "promise-category": mf.category().pk,
    }

    client.post(f"/square/questions/{question.pk}/promise/", data)
    client.post(f"/square/questions/{question.pk}/promise/", data)

    assert Matter.objects.count() == 1
    assert Question.objects.get(pk=question.pk).matter_id == Matter.objects.get().pk


def test_the_control_page_is_for_those_who_run_the_session(cast, client):
    session = sf.live_session(cast)
    login_as(client, cast.handler)

    assert client.get(f"/square/{session.pk}/control/").status_code == 403
    assert AuditEntry.objects.filter(action="square.denied", actor=cast.handler).exists()


def test_a_department_prepares_the_answers_to_its_questions(cast, client):
    session = sf.session(cast)
    question = sf.queued(session, cast.leader)
    login_as(client, cast.handler)

    listed = client.get("/square/mine/").content.decode()
    client.post(f"/square/questions/{question.pk}/prepare/", {"text": "已安排物业更换电梯主板。"})

    assert f'data-question="{question.pk}"' in listed
    assert Question.objects.get(pk=question.pk).prepared_answer == "已安排物业更换电梯主板。"


@pytest.mark.parametrize("path", ["/square/figures/", "/"])
def test_the_figures_and_the_home_panel(cast, client, path):
    session = sf.session(cast)
    sf.submitted(session)
    login_as(client, cast.leader)

    response = client.get(path)

    assert response.status_code == 200
    if path == "/":
        assert 'data-panel="square"' in response.content.decode()


def test_departments_are_added_and_removed_by_those_who_run_the_session(cast, client):
    from tests import factories

    session = sf.session(cast)
    other = factories.department("清河区民政局", cast.district, code="139901-MZJ")
    login_as(client, cast.leader)

    client.post(f"/square/{session.pk}/panelists/", {"department": other.pk, "leader_name": "陈红"})
    panelist = session.panelists.get(department=other)
    client.post(f"/square/{session.pk}/panelists/{panelist.pk}/remove/")

    assert not session.panelists.filter(department=other).exists()
    assert AuditEntry.objects.filter(action="square.panelist.removed").exists()


def test_changing_a_session(cast, client):
    session = sf.session(cast)
    login_as(client, cast.leader)
    assert client.get(f"/square/{session.pk}/edit/").status_code == 200

    client.post(
        f"/square/{session.pk}/edit/",
        {
            "theme": "住房保障专场（改期）",
            "starts_at": timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "place": "清河区人民广场东侧",
            "unit": cast.district.pk,
            "broadcast_media": "清河电视台",
        },
    )

    session.refresh_from_db()
    assert (session.theme, session.place) == ("住房保障专场（改期）", "清河区人民广场东侧")
    entry = AuditEntry.objects.get(action="square.session.changed")
    assert {"theme", "place"} <= set(entry.changes)
    assert "broadcast_media" not in entry.changes
