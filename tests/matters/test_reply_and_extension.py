"""matters.services.workflow: the written answer (答复, Art. 32) and extensions of the handling time
(延期, Art. 34: at most 30 days in all, approved by someone other than the requester)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from tests.matters import factories as mf
from tests.matters.checks import assert_refused
from xinkan.matters import services
from xinkan.matters.models import (
    Attachment,
    Deadline,
    DeadlinePolicy,
    ExtensionRequest,
    Matter,
    MatterEvent,
    Notification,
    Outcome,
    Stage,
    State,
)
from xinkan.matters.services import InvalidTransition, MatterError, StaleMatter

REASON = "需协调电梯厂家更换主板，配件到货需要时间"


def handle_deadline(matter):  # type: ignore[no-untyped-def]
    return Deadline.objects.get(matter=matter, stage=Stage.HANDLE)


# --- Reply -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", Outcome.values)
def test_the_lead_department_answers_in_writing(cast, outcome):
    matter = mf.handling(cast)
    version = Matter.objects.get(pk=matter.pk).version
    now = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)

    with time_machine.travel(now, tick=False):
        reply = services.reply_to_matter(
            matter, by=cast.handler, text=f"  {mf.REPLY}  ", outcome=outcome, version=version
        )

    stored = Matter.objects.get(pk=matter.pk)
    assert (stored.state, stored.replied_at, stored.version) == (State.REPLIED, now, version + 1)
    assert (reply.round, reply.outcome, reply.text, reply.by) == (
        0,
        outcome,
        mf.REPLY,
        cast.handler,
    )
    assert (reply.department, reply.unit) == (cast.department, cast.community)
    event = MatterEvent.objects.get(matter=matter, action="replied")
    assert (event.note, event.public, event.data) == (mf.REPLY, True, {"outcome": outcome})
    assert handle_deadline(matter).met_at == now
    follow_up = Deadline.objects.get(matter=matter, stage=Stage.FOLLOW_UP)
    assert follow_up.met_at is None
    assert follow_up.due_at == dt.datetime(2026, 3, 17, 15, 59, 59, tzinfo=dt.UTC)  # 7 days
    notice = Notification.objects.get(matter=matter, kind="replied")
    assert notice.user == cast.community_worker


def test_the_community_answers_a_matter_it_handles_itself(cast):
    matter = mf.handled_by_unit(cast)

    reply = services.reply_to_matter(
        matter, by=cast.community_worker, text=mf.REPLY, outcome=Outcome.EXPLAINED
    )

    assert reply.department is None
    assert reply.unit == cast.community
    assert Matter.objects.get(pk=matter.pk).state == State.REPLIED


@pytest.mark.parametrize("text", ["", "已处理", "  好的，已经处理  "])
def test_an_answer_shorter_than_ten_characters_is_refused(cast, text):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.reply_to_matter(matter, by=cast.handler, text=text, outcome="supported"),
        MatterError,
    )


@pytest.mark.parametrize("outcome", ["", "solved", "SUPPORTED"])
def test_an_answer_has_one_of_the_three_outcomes(cast, outcome):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.reply_to_matter(matter, by=cast.handler, text=mf.REPLY, outcome=outcome),
        MatterError,
    )


def test_an_answer_carries_its_attachments(cast):
    matter = mf.handling(cast)

    reply = services.reply_to_matter(
        matter,
        by=cast.handler,
        text=mf.REPLY,
        outcome=Outcome.SUPPORTED,
        attachments=[mf.upload("维修单.pdf", mf.PDF), mf.upload("现场.png", mf.PNG)],
    )

    attached = list(
        Attachment.objects.filter(matter=matter).values_list(
            "reply", "original_name", "content_type"
        )
    )
    assert attached == [
        (reply.pk, "维修单.pdf", "application/pdf"),
        (reply.pk, "现场.png", "image/png"),
    ]


def test_an_answer_with_a_bad_attachment_is_not_saved(cast):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.reply_to_matter(
            matter,
            by=cast.handler,
            text=mf.REPLY,
            outcome=Outcome.SUPPORTED,
            attachments=[mf.upload("维修单.pdf", mf.PDF), mf.upload("a.jpg", b"not a photo")],
        ),
        ValidationError,
    )
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize("make", [mf.dispatched, mf.replied])
def test_only_a_matter_being_handled_is_answered(cast, make):
    matter = make(cast)

    assert_refused(
        matter,
        lambda: services.reply_to_matter(
            matter, by=cast.handler, text=mf.REPLY, outcome="supported"
        ),
        InvalidTransition,
    )


@pytest.mark.parametrize("role", ["community_worker", "cadre", "grid_worker", "outsider"])
def test_only_the_lead_department_answers_a_dispatched_matter(cast, role):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.reply_to_matter(
            matter, by=getattr(cast, role), text=mf.REPLY, outcome="supported"
        ),
        PermissionDenied,
        audited="handle",
    )


def test_a_co_handler_does_not_answer(cast):
    from tests import factories

    civil_affairs = factories.department("清河区民政局", cast.district, code="139901-MZJ")
    co_handler = mf.handler_of(civil_affairs, "mzj")
    matter = mf.handling(cast, co=[civil_affairs])

    assert_refused(
        matter,
        lambda: services.reply_to_matter(matter, by=co_handler, text=mf.REPLY, outcome="supported"),
        PermissionDenied,
        audited="handle",
    )


@pytest.mark.parametrize("role", ["handler", "grid_worker", "outsider", "leader"])
def test_only_the_unit_answers_a_matter_it_handles_itself(cast, role):
    matter = mf.handled_by_unit(cast)

    assert_refused(
        matter,
        lambda: services.reply_to_matter(
            matter, by=getattr(cast, role), text=mf.REPLY, outcome="supported"
        ),
        PermissionDenied,
        audited="reply",
    )


def test_an_answer_from_a_stale_form_is_refused(cast):
    matter = mf.handling(cast)
    loaded = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")

    assert_refused(
        matter,
        lambda: services.reply_to_matter(
            matter, by=cast.handler, text=mf.REPLY, outcome="supported", version=loaded
        ),
        StaleMatter,
    )


# --- Extension ---------------------------------------------------------------------------------------


def test_the_lead_asks_for_an_extension_with_a_reason(cast):
    matter = mf.handling(cast)
    version = Matter.objects.get(pk=matter.pk).version

    request = services.request_extension(matter, by=cast.handler, days=20, reason=REASON)

    stored = ExtensionRequest.objects.get(pk=request.pk)
    assert (stored.days, stored.reason, stored.requested_by, stored.approved) == (
        20,
        REASON,
        cast.handler,
        None,
    )
    assert MatterEvent.objects.get(matter=matter, action="extension_requested").data == {"days": 20}
    assert Matter.objects.get(pk=matter.pk).version == version + 1
    assert Notification.objects.get(matter=matter, kind="extension").user == cast.community_worker


def test_an_approved_extension_moves_the_handling_deadline(cast):
    matter = mf.handling(cast)
    before = handle_deadline(matter)
    Deadline.objects.filter(pk=before.pk).update(reminded_at=before.warn_at)
    request = services.request_extension(matter, by=cast.handler, days=20, reason=REASON)

    services.decide_extension(request, by=cast.community_worker, approve=True, note="同意延期")

    after = handle_deadline(matter)
    assert after.due_at == before.due_at + dt.timedelta(days=20)
    assert after.warn_at == before.warn_at + dt.timedelta(days=20)
    assert after.extended_days == 20
    assert after.reminded_at is None  # reminded again before the new date
    decided = ExtensionRequest.objects.get(pk=request.pk)
    assert (decided.approved, decided.decided_by, decided.decision_note) == (
        True,
        cast.community_worker,
        "同意延期",
    )
    event = MatterEvent.objects.get(matter=matter, action="extension_approved")
    assert event.public  # the resident is told why it takes longer (Art. 34)


def test_a_refused_extension_leaves_the_deadline(cast):
    matter = mf.handling(cast)
    before = handle_deadline(matter)
    request = services.request_extension(matter, by=cast.handler, days=10, reason=REASON)

    services.decide_extension(request, by=cast.cadre, approve=False, note="应按期办结")

    after = handle_deadline(matter)
    assert (after.due_at, after.extended_days) == (before.due_at, 0)
    assert ExtensionRequest.objects.get(pk=request.pk).approved is False
    assert MatterEvent.objects.filter(matter=matter, action="extension_refused").count() == 1


@pytest.mark.parametrize("days", [0, -1, 31])
def test_an_extension_is_one_to_thirty_days(cast, days):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.request_extension(matter, by=cast.handler, days=days, reason=REASON),
        MatterError,
    )


def test_extensions_add_up_to_at_most_thirty_days(cast):
    matter = mf.handling(cast)
    first = services.request_extension(matter, by=cast.handler, days=20, reason=REASON)
    services.decide_extension(first, by=cast.community_worker, approve=True)

    assert_refused(
        matter,
        lambda: services.request_extension(matter, by=cast.handler, days=11, reason=REASON),
        MatterError,
    )
    second = services.request_extension(matter, by=cast.handler, days=10, reason=REASON)
    services.decide_extension(second, by=cast.community_worker, approve=True)
    assert handle_deadline(matter).extended_days == 30


def test_a_unit_policy_may_allow_less_extension(cast):
    DeadlinePolicy.objects.create(
        stage=Stage.HANDLE, unit=cast.community, amount=30, max_extension_days=10
    )
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.request_extension(matter, by=cast.handler, days=11, reason=REASON),
        MatterError,
    )


def test_one_extension_request_waits_at_a_time(cast):
    matter = mf.handling(cast)
    services.request_extension(matter, by=cast.handler, days=5, reason=REASON)

    assert_refused(
        matter,
        lambda: services.request_extension(matter, by=cast.handler, days=5, reason=REASON),
        InvalidTransition,
    )


@pytest.mark.parametrize("reason", ["", "延期"])
def test_an_extension_needs_a_reason(cast, reason):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.request_extension(matter, by=cast.handler, days=5, reason=reason),
        MatterError,
    )


def test_no_extension_after_the_answer(cast):
    matter = mf.replied(cast)

    assert_refused(
        matter,
        lambda: services.request_extension(matter, by=cast.handler, days=5, reason=REASON),
        InvalidTransition,
    )


@pytest.mark.parametrize("role", ["community_worker", "grid_worker", "outsider"])
def test_only_the_lead_asks_for_an_extension(cast, role):
    matter = mf.handling(cast)

    assert_refused(
        matter,
        lambda: services.request_extension(matter, by=getattr(cast, role), days=5, reason=REASON),
        PermissionDenied,
        audited="handle",
    )


def test_the_requester_cannot_approve_their_own_extension(cast):
    matter = mf.handled_by_unit(cast)
    request = services.request_extension(matter, by=cast.community_worker, days=10, reason=REASON)

    assert_refused(
        matter,
        lambda: services.decide_extension(request, by=cast.community_worker, approve=True),
        PermissionDenied,
        audited="decide_extension",
    )
    assert ExtensionRequest.objects.get(pk=request.pk).approved is None
    services.decide_extension(request, by=cast.cadre, approve=True)  # the level above may
    assert handle_deadline(matter).extended_days == 10


@pytest.mark.parametrize("role", ["handler", "grid_worker", "outsider", "admin"])
def test_only_the_dispatching_unit_decides_an_extension(cast, role):
    matter = mf.handling(cast)
    request = services.request_extension(matter, by=cast.handler, days=10, reason=REASON)

    assert_refused(
        matter,
        lambda: services.decide_extension(request, by=getattr(cast, role), approve=True),
        PermissionDenied,
        audited="decide_extension",
    )


def test_an_extension_is_decided_once(cast):
    matter = mf.handling(cast)
    request = services.request_extension(matter, by=cast.handler, days=10, reason=REASON)
    services.decide_extension(request, by=cast.community_worker, approve=False)

    assert_refused(
        matter,
        lambda: services.decide_extension(request, by=cast.community_worker, approve=True),
        InvalidTransition,
    )


def test_each_extension_request_is_told_to_the_dispatcher(cast):
    matter = mf.handling(cast)
    first = services.request_extension(matter, by=cast.handler, days=10, reason=REASON)
    services.decide_extension(first, by=cast.community_worker, approve=True)

    services.request_extension(matter, by=cast.handler, days=10, reason="厂家配件再次延误到货")

    told = Notification.objects.filter(matter=matter, kind="extension", user=cast.community_worker)
    assert told.count() == 2
