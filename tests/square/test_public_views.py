"""The square's public pages: residents send in questions on the portal (rate limited per client
address), follow a session on the live screen and read the published answers and the yearly
summary — and no page ever shows an asker's name or phone."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tests.square import factories as sf
from tests.square.test_promises import resolve
from xinkan.square import services
from xinkan.square.models import Question, QuestionState
from xinkan.square.public_views import ASK_LIMIT

PHONE_IN_TEXT = "13912345678"


def ask(client, session, text=sf.TEXT, remote="127.0.0.1", **values):  # type: ignore[no-untyped-def]
    data = {
        "text": text,
        "name": "孙桂兰",
        "phone": "13700137000",
        "community": "",
        "idempotency_key": uuid.uuid4().hex,
    }
    data.update(values)
    return client.post(f"/portal/square/{session.pk}/ask/", data, REMOTE_ADDR=remote)


def test_a_resident_sends_in_a_question(cast, client):
    session = sf.session(cast)

    response = ask(client, session, community=cast.community.pk)

    assert response.status_code == 302
    assert response["Location"] == f"/portal/square/{session.pk}/asked/"
    question = Question.objects.get()
    assert (question.state, question.asker_name, question.asker_phone) == (
        QuestionState.PENDING,
        "孙桂兰",
        "13700137000",
    )
    assert question.community == cast.community
    assert client.get(response["Location"]).status_code == 200


def test_the_question_form_is_rate_limited_per_address(cast, client):
    session = sf.session(cast)
    for _ in range(ASK_LIMIT[0]):
        assert ask(client, session).status_code == 302

    refused = ask(client, session)

    assert refused.status_code == 429
    assert Question.objects.count() == ASK_LIMIT[0]
    # Another address is not held back.
    assert ask(client, session, remote="10.0.0.9").status_code == 302


def test_a_session_not_taking_questions_sends_the_resident_back(cast, client):
    session = sf.session(cast, state="live")

    response = ask(client, session)

    assert response.status_code == 302
    assert response["Location"] == f"/portal/square/{session.pk}/"
    assert not Question.objects.exists()


def test_a_planned_session_is_not_public(cast, client):
    session = sf.session(cast, state="planned")

    for path in ("", "ask/", "live/", "live/panel/", "results/"):
        assert client.get(f"/portal/square/{session.pk}/{path}").status_code == 404


def test_results_are_published_once_the_session_is_finished(cast, client):
    session = sf.session(cast)

    assert client.get(f"/portal/square/{session.pk}/results/").status_code == 404
    services.go_live(session, by=cast.leader)
    assert client.get(f"/portal/square/{session.pk}/results/")["Location"] == (
        f"/portal/square/{session.pk}/live/"
    )


@pytest.fixture
def finished(cast):  # type: ignore[no-untyped-def]
    """A finished session: one answered on the spot, one promise kept, one promise pending; the
    askers gave names and phones, one wrote a phone number in the question."""
    session = sf.live_session(cast)
    on_spot = sf.queued(session, cast.leader, f"路灯坏了，请联系我{PHONE_IN_TEXT}。")
    services.answer_on_spot(on_spot, by=cast.leader, answer="路灯今天已修好。", on_spot="solved")
    kept = sf.promised(cast, session, asker_name="李建国", asker_phone="13600136000")
    resolve(Question.objects.get(pk=kept.pk).matter)
    sf.promised(
        cast,
        session,
        asker_name="赵桂兰",
        asker_phone="13500135000",
        due=timezone.localdate() + dt.timedelta(days=20),
    )
    services.finish_session(session, by=cast.leader, attendance=321)
    return session


def test_the_published_results_show_every_answer_and_promise(client, finished):
    page = client.get(f"/portal/square/{finished.pk}/results/").content.decode()

    assert 'data-on-spot="solved"' in page
    assert 'data-promise="kept"' in page
    assert 'data-promise="pending"' in page
    assert "路灯今天已修好。" in page
    assert 'data-count="participants">321<' in page


@pytest.mark.parametrize("path", ["", "results/", "live/", "live/panel/"])
def test_public_pages_show_no_personal_data(client, finished, path):
    page = client.get(f"/portal/square/{finished.pk}/{path}").content.decode()

    for secret in (
        "王秀英",
        "李建国",
        "赵桂兰",
        sf.PHONE,
        "13600136000",
        "13500135000",
        PHONE_IN_TEXT,
    ):
        assert secret not in page, f"{secret} on {path or 'the announcement'}"
    assert "XK-" not in page  # no matter codes either


def test_the_live_screen_shows_the_question_being_answered_and_polls(cast, client):
    session = sf.live_session(cast)
    question = sf.queued(session, cast.leader)
    services.call_question(question, by=cast.leader)

    page = client.get(f"/portal/square/{session.pk}/live/").content.decode()
    panel = client.get(f"/portal/square/{session.pk}/live/panel/").content.decode()

    assert f'data-current="{question.pk}"' in page and f'data-current="{question.pk}"' in panel
    assert 'hx-trigger="every 3s"' in panel
    assert "王**" in panel and "王秀英" not in panel
    assert "住建局" in panel or "清河区住房和城乡建设局" in panel


def test_the_live_screen_stops_polling_when_the_session_is_finished(cast, client, finished):
    panel = client.get(f"/portal/square/{finished.pk}/live/panel/").content.decode()

    assert "hx-trigger" not in panel


def test_the_yearly_summary(client, finished):
    year = timezone.localtime(finished.starts_at).year

    page = client.get(f"/portal/square/summary/?year={year}").content.decode()

    assert 'data-count="sessions">1<' in page
    assert 'data-count="participants">321<' in page
    assert 'data-count="on_spot">1<' in page
    assert 'data-count="promised">2<' in page
    assert 'data-count="kept">1<' in page


def test_the_portal_home_and_the_sessions_list_lead_to_the_square(cast, client, finished):
    open_session = sf.session(cast, theme="教育医疗专场")

    home = client.get("/portal/").content.decode()
    listing = client.get("/portal/square/").content.decode()

    assert "/portal/square/" in home
    assert f'data-session="{open_session.pk}"' in listing
    assert f'data-session="{finished.pk}"' in listing


@pytest.mark.parametrize("n", [2, 8])
def test_the_results_page_costs_the_same_for_many_questions(
    cast, client, django_assert_num_queries, n
):
    session = sf.live_session(cast)
    for i in range(n):
        question = sf.queued(
            session, cast.leader, f"第{i}个问题：关于路灯。", asker_phone=f"1390013{i:04d}"
        )
        services.answer_on_spot(question, by=cast.leader, answer="已答复。", on_spot="explained")
    services.finish_session(session, by=cast.leader)

    # The session, its questions (with their departments and matters), the counts.
    with django_assert_num_queries(3):
        response = client.get(f"/portal/square/{session.pk}/results/")

    assert response.content.decode().count('data-on-spot="explained"') == n


def test_the_live_panel_costs_the_same_for_a_long_queue(cast, client, django_assert_num_queries):
    session = sf.live_session(cast)
    for i in range(9):
        sf.queued(session, cast.leader, f"第{i}个问题：关于路灯。", asker_phone=f"1390013{i:04d}")

    # The session with the current question, the queue, the counts.
    with django_assert_num_queries(3):
        client.get(f"/portal/square/{session.pk}/live/panel/")
