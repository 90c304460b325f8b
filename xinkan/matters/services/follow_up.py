"""After the answer: the resident's rating (回访), review (复查) and re-review (复核) one level up each,
and conclusion (终结) — 《信访工作条例》 Art. 35-36."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.matters.deadlines import REVIEW_REQUEST_WINDOW_DAYS, add_time
from xinkan.matters.models import (
    Companion,
    FollowUp,
    Matter,
    Outcome,
    Rating,
    Reply,
    Stage,
    State,
    TimeUnit,
)
from xinkan.matters.services import _core
from xinkan.matters.services._core import InvalidTransition, MatterError
from xinkan.matters.services.notify import notify_unit_staff, tell_resident
from xinkan.org.roles import Perm

if TYPE_CHECKING:
    from xinkan.accounts.models import User

SOLVED_RATINGS = frozenset({Rating.SATISFIED, Rating.MOSTLY})


def latest_reply(matter: Matter) -> Reply | None:
    return Reply.objects.filter(matter=matter).order_by("-at", "-pk").first()


def review_window_open(matter: Matter, now: dt.datetime | None = None) -> bool:
    reply = latest_reply(matter)
    if reply is None:
        return False
    # Counted like every day-count deadline: to the end of the 30th day, local time.
    closes = add_time(reply.at, REVIEW_REQUEST_WINDOW_DAYS, TimeUnit.DAYS)
    return (now or timezone.now()) <= closes


@_core.atomic_service
def record_follow_up(
    matter: Matter,
    *,
    rating: str,
    by: User | None,
    comment: str = "",
    contacted: bool = True,
    version: int | None = None,
) -> FollowUp:
    """Record the rating of the latest answer. `by=None` is the resident on the portal (the caller
    has checked the code and phone). Satisfied or mostly satisfied closes the matter as solved."""
    if by is not None:
        _core.require_unit_perm(by, matter, Perm.MATTERS_FOLLOW_UP, "follow_up", on="place")
    if rating not in Rating.values:
        raise MatterError(_("Choose satisfied, mostly satisfied or dissatisfied."))
    if matter.state not in {State.REPLIED, State.CONCLUDED}:
        raise InvalidTransition(_("There is no answer waiting for a rating."))
    reply = latest_reply(matter)
    if reply is None:
        raise InvalidTransition(_("There is no answer waiting for a rating."))
    if version is not None and version != matter.version:
        raise _core.StaleMatter(
            _("This matter was changed by someone else. Reload it and try again.")
        )
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(
                matter=matter,
                reply=reply,
                rating=rating,
                comment=comment.strip()[:2000],
                contacted=contacted,
                by=by,
                by_resident=by is None,
            )
    except IntegrityError as exc:
        raise InvalidTransition(_("This answer has already been rated.")) from exc
    now = timezone.now()
    _core.meet_deadlines(matter, Stage.FOLLOW_UP, at=now)
    data = {"rating": rating, "by_resident": by is None, "round": reply.round}
    if matter.state == State.CONCLUDED:
        # After the re-review the matter stays concluded; the rating still counts in the indicators.
        _core.event(matter, by=by, action="rated", note=comment, data=data, public=True)
        _core.bump_version(matter)
        return follow_up
    if rating in SOLVED_RATINGS:
        _core.transition(
            matter,
            to=State.RESOLVED,
            expected={State.REPLIED},
            by=by,
            action="rated",
            note=comment,
            data=data,
            public=True,
            updates={"last_rating": rating, "solved": True, "closed_at": now},
        )
        Companion.objects.filter(matter=matter, active=True).update(active=False)
    else:
        _core.event(matter, by=by, action="rated", note=comment, data=data, public=True)
        from django.db.models import F

        Matter.objects.filter(pk=matter.pk).update(last_rating=rating, version=F("version") + 1)
        matter.last_rating = rating
        matter.version += 1
        notify_unit_staff(
            matter,
            matter.handling_unit,
            Perm.MATTERS_FOLLOW_UP,
            kind="dissatisfied",
            text=_("The resident is not satisfied with the answer to %(code)s")
            % {"code": matter.code},
        )
    return follow_up


@_core.atomic_service
def request_review(
    matter: Matter, *, by: User | None, reason: str, version: int | None = None
) -> Matter:
    """The dissatisfied resident asks the level above to review (or, after a review, to re-review)
    the answer, within 30 days of it. The accompanying cadre goes up with the matter."""
    if by is not None:
        _core.require_unit_perm(by, matter, Perm.MATTERS_FOLLOW_UP, "request_review", on="place")
    reason = reason.strip()
    if len(reason) < 4:
        raise MatterError(_("Say why the answer is not acceptable."))
    if matter.state != State.REPLIED:
        raise InvalidTransition(_("A review can be asked only after an answer."))
    if matter.review_round >= 2:
        raise InvalidTransition(_("This matter has been re-reviewed; it is concluded."))
    if not review_window_open(matter):
        raise InvalidTransition(
            _("A review must be asked within %(n)d days of the answer; that time has passed.")
            % {"n": REVIEW_REQUEST_WINDOW_DAYS}
        )
    if version is not None and version != matter.version:
        # Checked here: the rating below moves the version on, so the transition cannot tell.
        raise _core.StaleMatter(
            _("This matter was changed by someone else. Reload it and try again.")
        )
    if matter.last_rating != Rating.DISSATISFIED:
        record_follow_up(matter, rating=Rating.DISSATISFIED, by=by, comment=reason)
        matter.refresh_from_db()
        version = None
    above = matter.handling_unit.parent or matter.handling_unit
    to_state = State.REVIEW if matter.review_round == 0 else State.REREVIEW
    stage = Stage.REVIEW if to_state == State.REVIEW else Stage.REREVIEW
    _core.transition(
        matter,
        to=to_state,
        expected={State.REPLIED},
        by=by,
        action="review_requested" if to_state == State.REVIEW else "rereview_requested",
        version=version,
        note=reason,
        public=True,
        data={"from_unit": matter.handling_unit.pk, "to_unit": above.pk},
        updates={"handling_unit": above},
    )
    _core.open_deadline(matter, stage, unit=above)
    for companion in Companion.objects.filter(matter=matter, active=True).select_related("cadre"):
        _core.event(
            matter,
            by=companion.cadre,
            action="companion_goes_up",
            note=_("%(cadre)s goes with the matter to %(unit)s.")
            % {"cadre": companion.cadre, "unit": above.name},
        )
    notify_unit_staff(
        matter,
        above,
        Perm.MATTERS_REVIEW,
        kind="review",
        text=_("%(what)s asked for %(code)s")
        % {
            "what": _("Review") if to_state == State.REVIEW else _("Re-review"),
            "code": matter.code,
        },
    )
    return matter


@_core.atomic_service
def decide_review(
    matter: Matter, *, by: User, text: str, outcome: str, version: int | None = None
) -> Reply:
    """The level above decides. After a review the resident may rate it and ask for a re-review;
    after a re-review the matter is concluded (终结)."""
    _core.require_unit_perm(by, matter, Perm.MATTERS_REVIEW, "decide_review")
    if outcome not in Outcome.values:
        raise MatterError(_("Choose whether the request is supported, explained or not supported."))
    text = text.strip()
    if len(text) < 10:
        raise MatterError(_("Write the decision the resident will read (at least 10 characters)."))
    now = timezone.now()
    if matter.state == State.REVIEW:
        _core.transition(
            matter,
            to=State.REPLIED,
            expected={State.REVIEW},
            by=by,
            action="review_decided",
            version=version,
            note=text,
            data={"outcome": outcome},
            public=True,
            updates={"review_round": 1, "replied_at": now, "last_rating": ""},
        )
        _core.meet_deadlines(matter, Stage.REVIEW, at=now)
        _core.open_deadline(matter, Stage.FOLLOW_UP, start=now)
    elif matter.state == State.REREVIEW:
        _core.transition(
            matter,
            to=State.CONCLUDED,
            expected={State.REREVIEW},
            by=by,
            action="concluded",
            version=version,
            note=text,
            data={"outcome": outcome},
            public=True,
            updates={
                "review_round": 2,
                "replied_at": now,
                "closed_at": now,
                "last_rating": "",
                "solved": outcome != Outcome.NOT_SUPPORTED,
            },
        )
        _core.meet_deadlines(matter, Stage.REREVIEW, at=now)
        _core.cancel_deadlines(matter)
        Companion.objects.filter(matter=matter, active=True).update(active=False)
    else:
        raise InvalidTransition(_("There is no review waiting for a decision."))
    reply = Reply.objects.create(
        matter=matter,
        round=matter.review_round,
        outcome=outcome,
        text=text,
        by=by,
        unit=matter.handling_unit,
        at=now,
    )
    tell_resident(
        matter,
        _("The %(what)s of %(code)s has been decided.")
        % {
            "what": _("review") if matter.review_round == 1 else _("re-review"),
            "code": matter.code,
        },
    )
    return reply


def close_after_review_window(matter: Matter, *, now: dt.datetime) -> bool:
    """The sweep closes an answered matter once its review window has passed without a review."""
    if matter.state != State.REPLIED or review_window_open(matter, now):
        return False
    with transaction.atomic():
        try:
            _core.transition(
                matter,
                to=State.RESOLVED,
                expected={State.REPLIED},
                by=None,
                action="closed_without_review",
                data={"rating": matter.last_rating or None},
                updates={
                    "closed_at": now,
                    "solved": False if matter.last_rating == Rating.DISSATISFIED else None,
                },
            )
        except (InvalidTransition, _core.StaleMatter):
            return False
        _core.cancel_deadlines(matter, Stage.FOLLOW_UP)
        Companion.objects.filter(matter=matter, active=True).update(active=False)
    return True
