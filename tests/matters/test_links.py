"""matters.services.links: possible duplicates found at intake are confirmed, related or dismissed by
the unit that accepts them; a shared problem raised by several residents is merged into one matter."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from tests.matters import factories as mf
from tests.matters.checks import assert_refused
from xinkan.matters import services
from xinkan.matters.models import (
    Deadline,
    LinkKind,
    Matter,
    MatterEvent,
    MatterLink,
    State,
)
from xinkan.matters.services import InvalidTransition, StaleMatter

REWORDED = "3号楼电梯已经坏了好几天，老人上下楼太难了，物业不来修"


def pair(cast):  # type: ignore[no-untyped-def]
    """Two residents report the same lift: the second matter links the first as a candidate."""
    first = mf.matter(cast.grid, cast.grid_worker)
    second = mf.matter(
        cast.grid,
        cast.grid_worker,
        contact_name="张大爷",
        contact_phone="13611112222",
        description=REWORDED,
    )
    link = MatterLink.objects.get(matter=second, other=first)
    assert link.kind == LinkKind.CANDIDATE
    return first, second, link


@pytest.mark.parametrize("kind", [LinkKind.DUPLICATE, LinkKind.RELATED, LinkKind.DISMISSED])
def test_a_candidate_is_decided(cast, kind):
    first, second, link = pair(cast)
    version = Matter.objects.get(pk=second.pk).version

    services.decide_candidate(link, by=cast.community_worker, kind=kind)

    assert MatterLink.objects.get(pk=link.pk).kind == kind
    event = MatterEvent.objects.get(matter=second, action=f"link_{kind}")
    assert event.data["other"] == first.pk
    assert Matter.objects.get(pk=second.pk).version == version + 1
    assert Matter.objects.get(pk=second.pk).state == State.REGISTERED  # deciding is not merging


def test_a_candidate_is_decided_once(cast):
    _first, second, link = pair(cast)
    services.decide_candidate(link, by=cast.community_worker, kind=LinkKind.DISMISSED)

    assert_refused(
        second,
        lambda: services.decide_candidate(link, by=cast.community_worker, kind=LinkKind.DUPLICATE),
        InvalidTransition,
    )


@pytest.mark.parametrize("kind", [LinkKind.CANDIDATE, "same"])
def test_a_candidate_is_decided_with_a_known_answer(cast, kind):
    _first, second, link = pair(cast)

    assert_refused(
        second,
        lambda: services.decide_candidate(link, by=cast.community_worker, kind=kind),
        InvalidTransition,
    )


@pytest.mark.parametrize("role", ["grid_worker", "handler", "outsider"])
def test_only_the_accepting_unit_decides_candidates(cast, role):
    _first, second, link = pair(cast)

    assert_refused(
        second,
        lambda: services.decide_candidate(link, by=getattr(cast, role), kind=LinkKind.DUPLICATE),
        PermissionDenied,
        audited="link",
    )


# --- Merge ------------------------------------------------------------------------------------------


def test_a_matter_is_merged_into_the_one_already_followed(cast):
    first, second, link = pair(cast)

    services.merge_into(second, target=first, by=cast.community_worker)

    merged = Matter.objects.get(pk=second.pk)
    assert (merged.state, merged.merged_into) == (State.MERGED, first)
    assert merged.closed_at is not None
    assert MatterLink.objects.get(pk=link.pk).kind == LinkKind.DUPLICATE
    assert not Deadline.objects.filter(matter=second, met_at__isnull=True, cancelled=False).exists()
    target = Matter.objects.get(pk=first.pk)
    assert (target.state, target.repeat_count) == (State.REGISTERED, 1)
    assert MatterEvent.objects.get(matter=first, action="absorbed").data == {"merged": second.pk}
    event = MatterEvent.objects.get(matter=second, action="merged")
    assert event.public
    assert first.code in event.note


def test_merging_carries_the_repeats_along(cast):
    first, second, _link = pair(cast)
    Matter.objects.filter(pk=second.pk).update(repeat_count=2)
    second.refresh_from_db()

    services.merge_into(second, target=first, by=cast.community_worker)

    assert Matter.objects.get(pk=first.pk).repeat_count == 3


def test_a_matter_is_not_merged_into_a_closed_one(cast):
    first, second, _link = pair(cast)
    services.decline_matter(first, by=cast.community_worker, reason="不属于受理范围")

    assert_refused(
        second,
        lambda: services.merge_into(second, target=first, by=cast.community_worker),
        InvalidTransition,
    )


def test_a_matter_is_not_merged_into_itself(cast):
    first = mf.matter(cast.grid, cast.grid_worker)

    assert_refused(
        first,
        lambda: services.merge_into(first, target=first, by=cast.community_worker),
        InvalidTransition,
    )


def test_a_closed_matter_is_not_merged(cast):
    first, second, _link = pair(cast)
    services.decline_matter(second, by=cast.community_worker, reason="与已有事项重复")

    assert_refused(
        second,
        lambda: services.merge_into(second, target=first, by=cast.community_worker),
        InvalidTransition,
    )


def test_a_matter_of_another_community_is_not_merged_in(cast):
    first = mf.matter(cast.grid, cast.grid_worker)
    elsewhere = mf.matter(cast.neighbour_grid, cast.outsider, contact_phone="13611112222")

    assert_refused(
        elsewhere,
        lambda: services.merge_into(elsewhere, target=first, by=cast.outsider),
        PermissionDenied,
        audited="merge",
    )
    assert_refused(
        first,
        lambda: services.merge_into(first, target=elsewhere, by=cast.community_worker),
        PermissionDenied,
        audited="merge",
    )


def test_merging_from_a_stale_form_is_refused(cast):
    first, second, _link = pair(cast)
    loaded = second.version
    services.take_matter(second, by=cast.cadre, mode="accompany")

    assert_refused(
        second,
        lambda: services.merge_into(second, target=first, by=cast.community_worker, version=loaded),
        StaleMatter,
    )
