"""matters.services.follow_up: the resident's rating (回访), review (复查) and re-review (复核) one level
up each, within 30 days of the answer, and conclusion (终结) — 《信访工作条例》 Art. 35-36."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from tests.matters import factories as mf
from tests.matters.checks import assert_refused
from xinkan.matters import services
from xinkan.matters.models import (
    Deadline,
    FollowUp,
    Matter,
    MatterEvent,
    Notification,
    Outcome,
    Rating,
    Reply,
    Stage,
    State,
)
from xinkan.matters.services import InvalidTransition, MatterError, StaleMatter

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
REPLIED_AT = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
DECISION = "经复查，责令物业一周内修复电梯并书面答复居民。"


def replied_on_2_march(cast):  # type: ignore[no-untyped-def]
    with time_machine.travel(REPLIED_AT, tick=False):
        return mf.replied(cast)


def reviewed(cast):  # type: ignore[no-untyped-def]
    matter = mf.replied(cast)
    services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")
    services.decide_review(matter, by=cast.cadre, text=DECISION, outcome=Outcome.SUPPORTED)
    return matter


# --- Rating ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [Rating.SATISFIED, Rating.MOSTLY])
def test_a_satisfied_or_mostly_satisfied_resident_closes_the_matter_as_solved(cast, rating):
    matter = mf.replied(cast)
    version = Matter.objects.get(pk=matter.pk).version

    follow_up = services.record_follow_up(
        matter, rating=rating, by=cast.community_worker, comment="已修好", version=version
    )

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.solved, stored.last_rating) == (State.RESOLVED, True, rating)
    assert stored.closed_at is not None
    assert (follow_up.rating, follow_up.by, follow_up.by_resident) == (
        rating,
        cast.community_worker,
        False,
    )
    assert follow_up.reply == Reply.objects.get(matter=matter)
    assert Deadline.objects.get(matter=matter, stage=Stage.FOLLOW_UP).met_at is not None
    event = MatterEvent.objects.get(matter=matter, action="rated")
    assert (event.to_state, event.data["rating"]) == (State.RESOLVED, rating)


def test_a_dissatisfied_resident_keeps_the_matter_open(cast):
    matter = mf.replied(cast)

    services.record_follow_up(matter, rating=Rating.DISSATISFIED, by=cast.community_worker)

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.solved, stored.last_rating) == (
        State.REPLIED,
        None,
        Rating.DISSATISFIED,
    )
    assert stored.closed_at is None
    assert (
        Notification.objects.get(matter=matter, kind="dissatisfied").user == cast.community_worker
    )


def test_the_resident_rates_on_the_portal(cast):
    matter = mf.replied(cast)

    follow_up = services.record_follow_up(matter, rating=Rating.SATISFIED, by=None)

    assert follow_up.by is None
    assert follow_up.by_resident
    assert MatterEvent.objects.get(matter=matter, action="rated").actor_label == "resident"


def test_an_answer_is_rated_once(cast):
    matter = mf.replied(cast)
    services.record_follow_up(matter, rating=Rating.DISSATISFIED, by=cast.community_worker)

    assert_refused(
        matter,
        lambda: services.record_follow_up(
            matter, rating=Rating.SATISFIED, by=cast.community_worker
        ),
        InvalidTransition,
    )


@pytest.mark.parametrize("make", [mf.accepted, mf.handling])
def test_nothing_to_rate_before_the_answer(cast, make):
    matter = make(cast)

    assert_refused(
        matter,
        lambda: services.record_follow_up(
            matter, rating=Rating.SATISFIED, by=cast.community_worker
        ),
        InvalidTransition,
    )


def test_an_unknown_rating_is_refused(cast):
    matter = mf.replied(cast)

    assert_refused(
        matter,
        lambda: services.record_follow_up(matter, rating="great", by=cast.community_worker),
        MatterError,
    )


@pytest.mark.parametrize("role", ["outsider", "handler", "admin"])
def test_only_staff_of_the_place_follow_up(cast, role):
    matter = mf.replied(cast)

    assert_refused(
        matter,
        lambda: services.record_follow_up(matter, rating=Rating.SATISFIED, by=getattr(cast, role)),
        PermissionDenied,
        audited="follow_up",
    )


def test_a_rating_from_a_stale_form_is_refused(cast):
    matter = mf.replied(cast)
    loaded = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")

    assert_refused(
        matter,
        lambda: services.record_follow_up(
            matter, rating=Rating.SATISFIED, by=cast.community_worker, version=loaded
        ),
        StaleMatter,
    )


# --- Review (复查) -------------------------------------------------------------------------------------


def test_a_review_asked_within_30_days_goes_to_the_level_above_with_a_deadline(cast):
    matter = replied_on_2_march(cast)
    asked = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)  # 30 days later, 09:00 in Shanghai

    with time_machine.travel(asked, tick=False):
        services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.handling_unit) == (State.REVIEW, cast.subdistrict)
    assert stored.last_rating == Rating.DISSATISFIED  # asking for a review is a dissatisfied rating
    assert FollowUp.objects.get(matter=matter).rating == Rating.DISSATISFIED
    review = Deadline.objects.get(matter=matter, stage=Stage.REVIEW)
    # Decided within 30 days (Art. 35): 1 May, to the end of the day in Shanghai.
    assert review.due_at == dt.datetime(2026, 5, 1, 15, 59, 59, tzinfo=dt.UTC)
    event = MatterEvent.objects.get(matter=matter, action="review_requested")
    assert event.data == {"from_unit": cast.community.pk, "to_unit": cast.subdistrict.pk}
    assert Notification.objects.get(matter=matter, kind="review").user == cast.cadre


def test_the_30th_day_counts_to_its_end(cast):
    matter = replied_on_2_march(cast)

    with time_machine.travel(dt.datetime(2026, 4, 1, 23, 59, 0, tzinfo=SHANGHAI), tick=False):
        services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")

    assert Matter.objects.get(pk=matter.pk).state == State.REVIEW


def test_a_review_after_30_days_is_refused(cast):
    matter = replied_on_2_march(cast)

    with time_machine.travel(dt.datetime(2026, 4, 2, 0, 0, 1, tzinfo=SHANGHAI), tick=False):
        assert_refused(
            matter,
            lambda: services.request_review(
                matter, by=cast.community_worker, reason="电梯仍然没有修好"
            ),
            InvalidTransition,
        )


def test_the_resident_asks_for_a_review_on_the_portal(cast):
    matter = mf.replied(cast)
    services.record_follow_up(matter, rating=Rating.DISSATISFIED, by=None)

    services.request_review(matter, by=None, reason="物业还是没有来修")

    assert Matter.objects.get(pk=matter.pk).state == State.REVIEW
    assert FollowUp.objects.filter(matter=matter).count() == 1  # the rating is not asked twice


@pytest.mark.parametrize("reason", ["", "不满"])
def test_a_review_request_says_why(cast, reason):
    matter = mf.replied(cast)

    assert_refused(
        matter,
        lambda: services.request_review(matter, by=cast.community_worker, reason=reason),
        MatterError,
    )


def test_a_solved_matter_is_not_reviewed(cast):
    matter = mf.replied(cast)
    services.record_follow_up(matter, rating=Rating.SATISFIED, by=cast.community_worker)

    assert_refused(
        matter,
        lambda: services.request_review(matter, by=cast.community_worker, reason="电梯又坏了"),
        InvalidTransition,
    )


@pytest.mark.parametrize("role", ["outsider", "handler"])
def test_a_review_is_asked_through_the_staff_of_the_place(cast, role):
    matter = mf.replied(cast)

    assert_refused(
        matter,
        lambda: services.request_review(matter, by=getattr(cast, role), reason="电梯仍然没有修好"),
        PermissionDenied,
        audited="request_review",
    )


def test_the_level_above_decides_the_review(cast):
    matter = mf.replied(cast)
    services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")
    now = dt.datetime(2026, 4, 10, 2, 0, tzinfo=dt.UTC)

    with time_machine.travel(now, tick=False):
        decision = services.decide_review(
            matter, by=cast.cadre, text=DECISION, outcome=Outcome.SUPPORTED
        )

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.review_round, stored.last_rating) == (State.REPLIED, 1, "")
    assert stored.replied_at == now
    assert (decision.round, decision.unit, decision.by, decision.department) == (
        1,
        cast.subdistrict,
        cast.cadre,
        None,
    )
    assert Deadline.objects.get(matter=matter, stage=Stage.REVIEW).met_at == now
    assert (
        Deadline.objects.filter(matter=matter, stage=Stage.FOLLOW_UP, met_at__isnull=True).count()
        == 1
    )


@pytest.mark.parametrize("role", ["community_worker", "handler", "grid_worker", "outsider"])
def test_only_the_level_above_decides_the_review(cast, role):
    matter = mf.replied(cast)
    services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")

    assert_refused(
        matter,
        lambda: services.decide_review(
            matter, by=getattr(cast, role), text=DECISION, outcome=Outcome.SUPPORTED
        ),
        PermissionDenied,
        audited="decide_review",
    )


@pytest.mark.parametrize(("text", "outcome"), [("太短", Outcome.SUPPORTED), (DECISION, "upheld")])
def test_a_review_decision_is_written_with_an_outcome(cast, text, outcome):
    matter = mf.replied(cast)
    services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")

    assert_refused(
        matter,
        lambda: services.decide_review(matter, by=cast.cadre, text=text, outcome=outcome),
        MatterError,
    )


def test_there_is_no_review_to_decide_before_one_is_asked(cast):
    matter = mf.replied(cast)

    assert_refused(
        matter,
        lambda: services.decide_review(matter, by=cast.cadre, text=DECISION, outcome="supported"),
        InvalidTransition,
    )


def test_a_review_decision_from_a_stale_form_is_refused(cast):
    matter = mf.replied(cast)
    services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")
    loaded = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")

    assert_refused(
        matter,
        lambda: services.decide_review(
            matter, by=cast.cadre, text=DECISION, outcome="supported", version=loaded
        ),
        StaleMatter,
    )


# --- Re-review (复核) and conclusion --------------------------------------------------------------------


def test_a_rereview_goes_one_more_level_up_and_its_decision_concludes(cast):
    matter = reviewed(cast)

    services.request_review(matter, by=cast.community_worker, reason="对复查意见仍不满意")

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.handling_unit) == (State.REREVIEW, cast.district)
    assert Deadline.objects.filter(matter=matter, stage=Stage.REREVIEW).count() == 1
    assert Notification.objects.get(matter=matter, kind="review", user=cast.leader)

    decision = services.decide_review(
        matter,
        by=cast.leader,
        text="经复核，维持复查意见，本事项终结。",
        outcome=Outcome.NOT_SUPPORTED,
    )

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.review_round, stored.solved) == (State.CONCLUDED, 2, False)
    assert stored.closed_at is not None
    assert (decision.round, decision.unit) == (2, cast.district)
    assert not Deadline.objects.filter(matter=matter, met_at__isnull=True, cancelled=False).exists()


def test_a_rereview_that_supports_the_request_counts_as_solved(cast):
    matter = reviewed(cast)
    services.request_review(matter, by=cast.community_worker, reason="对复查意见仍不满意")

    services.decide_review(
        matter, by=cast.leader, text="经复核，支持居民请求，限期维修。", outcome="supported"
    )

    assert Matter.objects.get(pk=matter.pk).solved is True


def test_the_cadre_does_not_decide_the_districts_rereview(cast):
    matter = reviewed(cast)
    services.request_review(matter, by=cast.community_worker, reason="对复查意见仍不满意")

    assert_refused(
        matter,
        lambda: services.decide_review(matter, by=cast.cadre, text=DECISION, outcome="supported"),
        PermissionDenied,
        audited="decide_review",
    )


def test_a_rereview_must_be_asked_within_30_days_of_the_review_decision(cast):
    matter = mf.replied(cast)
    services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")
    decided = dt.datetime(2026, 4, 10, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(decided, tick=False):
        services.decide_review(matter, by=cast.cadre, text=DECISION, outcome=Outcome.SUPPORTED)

    with time_machine.travel(decided + dt.timedelta(days=31), tick=False):
        assert_refused(
            matter,
            lambda: services.request_review(
                matter, by=cast.community_worker, reason="仍不满意复查"
            ),
            InvalidTransition,
        )


def test_after_conclusion_no_further_review(cast):
    matter = mf.concluded(cast)

    assert_refused(
        matter,
        lambda: services.request_review(matter, by=cast.community_worker, reason="我还是不服"),
        InvalidTransition,
    )
    assert_refused(
        matter,
        lambda: services.decide_review(matter, by=cast.leader, text=DECISION, outcome="supported"),
        InvalidTransition,
    )


def test_a_rating_of_the_final_decision_is_kept_and_the_matter_stays_concluded(cast):
    matter = mf.concluded(cast)

    services.record_follow_up(matter, rating=Rating.DISSATISFIED, by=cast.community_worker)

    stored = Matter.objects.get(pk=matter.pk)
    assert stored.state == State.CONCLUDED
    final = Reply.objects.filter(matter=matter).order_by("-at", "-pk").first()
    assert FollowUp.objects.get(reply=final).rating == Rating.DISSATISFIED


def test_a_review_request_from_a_stale_form_is_refused(cast):
    matter = mf.replied(cast)
    services.record_follow_up(matter, rating=Rating.DISSATISFIED, by=cast.community_worker)
    matter.refresh_from_db()
    loaded = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")

    assert_refused(
        matter,
        lambda: services.request_review(
            matter, by=cast.community_worker, reason="电梯仍然没有修好", version=loaded
        ),
        StaleMatter,
    )
