"""The resident rates the answer and asks for a review on the portal (POST /portal/matter/rate/ and
/portal/matter/review/): within the windows of 《信访工作条例》; a refusal says why and changes
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone, translation

from tests.matters import factories as mf
from tests.matters.checks import snapshot
from tests.matters.web import messages_of, refusal, zh
from tests.portal.visits import MATTER, RATE, REVIEW, TRACK, track
from xinkan.matters import services
from xinkan.matters.models import FollowUp, Matter, Rating, Reply, State
from xinkan.portal.forms import RateForm, ReviewForm
from xinkan.portal.views import TRACK_LIMIT

THANKS = "Thank you. Your answer was recorded."
REASON = "电梯修了两天又坏了，问题没有解决。"


def fresh(matter: Matter) -> Matter:
    return Matter.objects.get(pk=matter.pk)


def forms_on(client) -> set[str]:  # type: ignore[no-untyped-def]
    html = client.get(MATTER).content.decode()
    return {
        name for name, path in (("rate", RATE), ("review", REVIEW)) if f'action="{path}"' in html
    }


@pytest.fixture
def answered(cast) -> Matter:  # type: ignore[no-untyped-def]
    return mf.replied(cast)


def test_an_answered_matter_may_be_rated_or_reviewed(cast, client, answered):
    track(client, answered)
    assert forms_on(client) == {"rate", "review"}


def test_a_satisfied_rating_resolves_the_matter(cast, client, answered):
    track(client, answered)
    response = client.post(RATE, {"rating": Rating.SATISFIED, "comment": "修好了，谢谢"})
    assert response["Location"] == MATTER
    assert messages_of(response) == [zh(THANKS)]
    matter = fresh(answered)
    assert (matter.state, matter.solved, matter.last_rating) == (
        State.RESOLVED,
        True,
        Rating.SATISFIED,
    )
    follow_up = FollowUp.objects.get(matter=answered)
    assert (follow_up.by, follow_up.by_resident, follow_up.comment) == (None, True, "修好了，谢谢")
    assert forms_on(client) == set()


def test_a_dissatisfied_resident_asks_the_level_above_to_review(cast, client, answered):
    track(client, answered)
    client.post(RATE, {"rating": Rating.DISSATISFIED, "comment": "没修好"})
    assert fresh(answered).last_rating == Rating.DISSATISFIED
    assert forms_on(client) == {"review"}
    response = client.post(REVIEW, {"reason": REASON})
    assert messages_of(response) == [zh(THANKS)]
    matter = fresh(answered)
    assert (matter.state, matter.handling_unit) == (State.REVIEW, cast.subdistrict)
    assert forms_on(client) == set()


def test_a_review_may_be_asked_without_rating_first(cast, client, answered):
    track(client, answered)
    client.post(REVIEW, {"reason": REASON})
    assert fresh(answered).state == State.REVIEW
    assert FollowUp.objects.get(matter=answered).rating == Rating.DISSATISFIED


def test_an_answer_is_rated_once(cast, client, answered):
    track(client, answered)
    client.post(RATE, {"rating": Rating.DISSATISFIED})
    client.get(MATTER)  # read the first message
    expected = refusal(
        lambda: services.record_follow_up(fresh(answered), rating=Rating.SATISFIED, by=None)
    )
    before = snapshot(answered)
    response = client.post(RATE, {"rating": Rating.SATISFIED})
    assert messages_of(response) == [expected]
    assert snapshot(answered) == before


def test_nothing_can_be_rated_before_the_answer(cast, client):
    matter = mf.accepted(cast)
    track(client, matter)
    assert forms_on(client) == set()
    expected = refusal(lambda: services.record_follow_up(matter, rating=Rating.SATISFIED, by=None))
    before = snapshot(matter)
    response = client.post(RATE, {"rating": Rating.SATISFIED})
    assert messages_of(response) == [expected]
    client.get(MATTER)
    expected = refusal(lambda: services.request_review(fresh(matter), reason=REASON, by=None))
    response = client.post(REVIEW, {"reason": REASON})
    assert messages_of(response) == [expected]
    assert snapshot(matter) == before


@pytest.mark.parametrize(
    ("path", "data", "form", "field"),
    [
        (RATE, {"rating": "happy"}, RateForm, "rating"),
        (RATE, {}, RateForm, "rating"),
        (REVIEW, {"reason": "不"}, ReviewForm, "reason"),
        (REVIEW, {"reason": ""}, ReviewForm, "reason"),
    ],
)
def test_invalid_input_is_explained_and_changes_nothing(
    cast, client, answered, path, data, form, field
):
    with translation.override("zh-hans"):
        expected = form(data).errors[field]
    track(client, answered)
    before = snapshot(answered)
    response = client.post(path, data)
    assert response["Location"] == MATTER
    assert messages_of(response) == list(expected)
    assert snapshot(answered) == before


# --- The review window: 30 days from the answer --------------------------------------------------


def _answered_at(cast, when: dt.datetime) -> Matter:  # type: ignore[no-untyped-def]
    with time_machine.travel(when, tick=False):
        return mf.replied(cast)


def test_a_review_within_thirty_days_of_the_answer_is_taken(cast, client):
    answered_at = timezone.now() - dt.timedelta(days=29)
    matter = _answered_at(cast, answered_at)
    track(client, matter)
    assert "review" in forms_on(client)
    client.post(REVIEW, {"reason": REASON})
    assert fresh(matter).state == State.REVIEW


def test_a_review_after_the_window_is_refused_with_a_message(cast, client):
    matter = _answered_at(cast, timezone.now() - dt.timedelta(days=32))
    reply = Reply.objects.get(matter=matter)
    assert (timezone.now() - reply.at).days >= 31
    track(client, matter)
    assert forms_on(client) == {"rate"}  # the answer may still be rated
    expected = refusal(lambda: services.request_review(fresh(matter), reason=REASON, by=None))
    before = snapshot(matter)
    response = client.post(REVIEW, {"reason": REASON})
    assert messages_of(response) == [expected]
    assert snapshot(matter) == before


def test_after_the_re_review_the_decision_may_be_rated_but_not_reviewed(cast, client):
    matter = mf.concluded(cast)
    track(client, matter)
    assert forms_on(client) == {"rate"}
    client.post(RATE, {"rating": Rating.MOSTLY})
    assert fresh(matter).state == State.CONCLUDED
    assert FollowUp.objects.filter(matter=matter, by_resident=True).count() == 1
    client.get(MATTER)
    before = snapshot(matter)
    expected = refusal(lambda: services.request_review(fresh(matter), reason=REASON, by=None))
    response = client.post(REVIEW, {"reason": REASON})
    assert messages_of(response) == [expected]
    assert snapshot(matter) == before


# --- Methods, sessions and limits ----------------------------------------------------------------


@pytest.mark.parametrize("path", [RATE, REVIEW])
def test_only_a_post_acts(cast, client, answered, path):
    track(client, answered)
    before = snapshot(answered)
    assert client.get(path, {"rating": Rating.SATISFIED, "reason": REASON}).status_code == 302
    assert snapshot(answered) == before


@pytest.mark.parametrize("path", [RATE, REVIEW])
def test_without_a_session_nothing_is_done(cast, client, answered, path):
    before = snapshot(answered)
    response = client.post(path, {"rating": Rating.SATISFIED, "reason": REASON})
    assert response["Location"] == TRACK
    assert snapshot(answered) == before


def test_actions_are_rate_limited_per_address(cast, client, answered):
    with time_machine.travel(timezone.now().replace(minute=1, second=0), tick=False):
        track(client, answered)
        for _ in range(TRACK_LIMIT[0]):
            client.post(RATE, {"rating": "happy"})
        client.get(MATTER)
        before = snapshot(answered)
        response = client.post(RATE, {"rating": Rating.SATISFIED})
        assert messages_of(response) == [
            zh("Too many attempts from your network. Please wait a while and try again.")
        ]
        assert snapshot(answered) == before
