"""Two members of staff acting on the same matter at once: one succeeds, the other is told the
matter was changed by someone else, and the history records the change once (the conditional
UPDATE in matters.services._core.transition)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import translation

from tests.matters import factories as mf
from tests.matters.checks import snapshot
from xinkan.matters import services
from xinkan.matters.models import Matter, MatterEvent, Outcome, State
from xinkan.matters.services import StaleMatter

Action = Callable[[Any, Matter], object]

ACTIONS: dict[str, tuple[str, Action]] = {
    # name: (the event it writes, the call)
    "accept": ("accepted", lambda cast, m: services.accept_matter(m, by=cast.community_worker)),
    "accept_by_cadre": ("accepted", lambda cast, m: services.accept_matter(m, by=cast.cadre)),
    "decline": (
        "declined",
        lambda cast, m: services.decline_matter(m, by=cast.cadre, reason="不属于受理范围"),
    ),
    "dispatch": (
        "dispatched",
        lambda cast, m: services.dispatch_matter(m, lead=cast.department, by=cast.community_worker),
    ),
    "handle_by_unit": (
        "handling_by_unit",
        lambda cast, m: services.handle_by_unit(m, by=cast.cadre),
    ),
}
PAIRS = [
    ("accept", "accept_by_cadre"),
    ("accept", "decline"),
    ("decline", "accept"),
    ("dispatch", "decline"),
    ("handle_by_unit", "dispatch"),
]


def two_copies(matter: Matter) -> tuple[Matter, Matter]:
    """The same matter loaded twice, as two people's pages load it."""
    return Matter.objects.get(pk=matter.pk), Matter.objects.get(pk=matter.pk)


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_the_second_of_two_simultaneous_actions_is_told_the_matter_changed(cast, first, second):
    matter = mf.matter(cast.grid, cast.grid_worker)
    mine, theirs = two_copies(matter)
    won_event, won = ACTIONS[first]
    lost_event, lost = ACTIONS[second]

    won(cast, mine)
    after_winner = snapshot(matter)
    with translation.override("en"), pytest.raises(StaleMatter) as info:
        lost(cast, theirs)

    assert "changed by someone else" in info.value.message
    assert info.value.code == "stale"
    assert snapshot(matter) == after_winner
    assert MatterEvent.objects.filter(matter=matter, action=won_event).count() == 1
    if lost_event != won_event:
        assert not MatterEvent.objects.filter(matter=matter, action=lost_event).exists()


def test_two_handlers_answering_at_once_give_one_answer(cast):
    colleague = mf.handler_of(cast.department, "handler2")
    matter = mf.handling(cast)
    mine, theirs = two_copies(matter)

    services.reply_to_matter(mine, by=cast.handler, text=mf.REPLY, outcome=Outcome.SUPPORTED)
    with pytest.raises(StaleMatter):
        services.reply_to_matter(
            theirs, by=colleague, text="另一位经办人的答复内容。", outcome="explained"
        )

    assert matter.replies.count() == 1
    assert MatterEvent.objects.filter(matter=matter, action="replied").count() == 1


def test_two_reviewers_deciding_at_once_give_one_decision(cast):
    matter = mf.replied(cast)
    services.request_review(matter, by=cast.community_worker, reason="电梯仍然没有修好")
    mine, theirs = two_copies(matter)

    services.decide_review(
        mine, by=cast.cadre, text="经复查，责令物业一周内修复。", outcome="supported"
    )
    with pytest.raises(StaleMatter):
        services.decide_review(
            theirs, by=cast.leader, text="经复查，维持原答复意见。", outcome="explained"
        )

    assert Matter.objects.get(pk=matter.pk).review_round == 1
    assert MatterEvent.objects.filter(matter=matter, action="review_decided").count() == 1


def test_a_form_loaded_before_a_change_is_refused_with_a_clear_message(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    loaded_version = matter.version
    services.take_matter(matter, by=cast.cadre, mode="accompany")  # not a state change
    before = snapshot(matter)

    with translation.override("en"), pytest.raises(StaleMatter) as info:
        services.accept_matter(matter, by=cast.community_worker, version=loaded_version)

    assert info.value.message == "This matter was changed by someone else. Reload it and try again."
    assert snapshot(matter) == before


# --- Real threads (PostgreSQL) -----------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time: simultaneous transactions need PostgreSQL",
)
@pytest.mark.parametrize(
    ("first", "second"), [("accept", "decline"), ("dispatch", "handle_by_unit")]
)
def test_two_threads_acting_at_once_one_wins(cast, transactional_db, first, second):
    matter = mf.matter(cast.grid, cast.grid_worker)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def act(name: str) -> None:
        try:
            loaded = Matter.objects.get(pk=matter.pk)
            start.wait()
            with translation.override("en"):
                ACTIONS[name][1](cast, loaded)
            outcomes[name] = "done"
        except StaleMatter as error:
            outcomes[name] = error.message
        except BaseException as error:  # reported to the main thread below
            outcomes[name] = repr(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(name,)) for name in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == [
        "This matter was changed by someone else. Reload it and try again.",
        "done",
    ]
    winner = next(name for name, outcome in outcomes.items() if outcome == "done")
    loser = first if winner == second else second
    assert MatterEvent.objects.filter(matter=matter, action=ACTIONS[winner][0]).count() == 1
    assert not MatterEvent.objects.filter(matter=matter, action=ACTIONS[loser][0]).exists()
    stored = Matter.objects.get(pk=matter.pk)
    expected = {
        "accept": State.ACCEPTED,
        "decline": State.DECLINED,
        "dispatch": State.DISPATCHED,
        "handle_by_unit": State.HANDLING,
    }
    assert stored.state == expected[winner]
