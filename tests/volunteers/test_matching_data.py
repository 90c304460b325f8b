"""Matching proposals for a unit from the database: only needs and volunteers within the user's
scope, needs already paired and closed left out, volunteers at their limit left out, a fixed
number of queries whatever the number of needs."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import override

from tests import factories
from xinkan.accounts.models import User
from xinkan.org.roles import Role
from xinkan.residents import services as resident_services
from xinkan.residents.models import Need
from xinkan.volunteers import services
from xinkan.volunteers.matching import ALL_FULL, NO_SKILL_NEARBY
from xinkan.volunteers.matching_data import proposals_for_unit
from xinkan.volunteers.models import Pairing, Volunteer


def need(cast, unit, need_type="repairs", urgency="normal", by=None) -> Need:  # type: ignore[no-untyped-def]
    resident = factories.resident(unit, name="孙大娘")
    return resident_services.open_need(
        resident, by=by or cast.community_worker, need_type=need_type, urgency=urgency
    )


def volunteer(cast, unit, skills=("repairs",), by=None, **values) -> Volunteer:  # type: ignore[no-untyped-def]
    return services.register_volunteer(
        by=by or cast.cadre, name="周敏", unit=unit, skills=list(skills), **values
    )


def paired(need: Need, helper: Volunteer, by: User, status: str = Pairing.Status.ACTIVE) -> Pairing:
    today = timezone.localdate()
    return Pairing.objects.create(
        code=uuid.uuid4().hex[:12],
        volunteer=helper,
        resident=need.resident,
        need=need,
        unit=need.resident.unit,
        help="每周修理一次",
        visit_every_days=7,
        starts_on=today,
        ends_on=today + dt.timedelta(days=90),
        next_visit_due=today + dt.timedelta(days=7),
        status=status,
        created_by=by,
    )


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no scope cached on it


def pairs(result) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    return [(p.need.pk, p.volunteer.pk) for p in result.proposals]


@pytest.fixture
def far_worker(cast):  # type: ignore[no-untyped-def]
    return factories.member(Role.COMMUNITY_WORKER, unit=cast.other_community)


def test_proposals_stay_within_the_users_scope(cast, far_worker):
    here = need(cast, cast.grid)
    there = need(cast, cast.neighbour_grid, by=cast.outsider)
    neighbour_helper = volunteer(cast, cast.neighbour_grid)
    far_helper = volunteer(cast, cast.other_grid, by=far_worker, available_days=[0, 1, 2])
    # The community worker sees only their community's volunteers: none fits.
    mine = proposals_for_unit(fresh(cast.community_worker), cast.community)
    assert mine.proposals == [] and mine.volunteers_considered == 0
    assert [(u.need.pk, u.reason) for u in mine.unmatched] == [(here.pk, NO_SKILL_NEARBY)]
    # The subdistrict's cadre may use the neighbouring community's volunteer, never the other
    # subdistrict's; asking for one community leaves the neighbour's needs out.
    cadres = proposals_for_unit(fresh(cast.cadre), cast.community)
    assert pairs(cadres) == [(here.pk, neighbour_helper.pk)]
    assert ("same_subdistrict",) in cadres.proposals[0].reasons
    whole = proposals_for_unit(fresh(cast.cadre), cast.subdistrict)
    assert sorted(p.need.pk for p in whole.proposals) + [u.need.pk for u in whole.unmatched] == [
        here.pk,
        there.pk,
    ]
    assert far_helper.pk not in {p.volunteer.pk for p in whole.proposals}
    with pytest.raises(PermissionDenied):
        proposals_for_unit(fresh(cast.outsider), cast.community)
    with pytest.raises(PermissionDenied):
        proposals_for_unit(fresh(cast.community_worker), cast.subdistrict)


def test_paired_and_closed_needs_are_left_out(cast):
    helper = volunteer(cast, cast.grid, max_pairings=5)
    open_one = need(cast, cast.grid)
    paired_one = need(cast, cast.grid)
    closed_one = need(cast, cast.grid)
    ended_one = need(cast, cast.grid)
    paired(paired_one, helper, cast.cadre)
    paired(ended_one, helper, cast.cadre, status=Pairing.Status.ENDED)
    resident_services.close_need(closed_one, by=cast.community_worker, reason="已搬走")
    result = proposals_for_unit(fresh(cast.community_worker), cast.community)
    assert pairs(result) == [(open_one.pk, helper.pk), (ended_one.pk, helper.pk)]
    assert result.unmatched == []
    # One active pairing of five: the proposal says it can take four more (the ended one is free).
    assert ("free", 4) in result.proposals[0].reasons


def test_volunteers_at_their_limit_are_left_out(cast):
    full = volunteer(cast, cast.grid, max_pairings=1)
    inactive = volunteer(cast, cast.grid)
    Volunteer.objects.filter(pk=inactive.pk).update(is_active=False)
    paired(need(cast, cast.grid), full, cast.cadre)
    waiting = need(cast, cast.grid)
    result = proposals_for_unit(fresh(cast.community_worker), cast.community)
    assert result.proposals == []
    assert [(u.need.pk, u.reason) for u in result.unmatched] == [(waiting.pk, ALL_FULL)]
    assert result.volunteers_considered == 1  # the full one; the inactive one is not considered
    room = volunteer(cast, cast.community, skills=["repairs", "legal"], available_days=[5, 6])
    result = proposals_for_unit(fresh(cast.community_worker), cast.community)
    assert pairs(result) == [(waiting.pk, room.pk)]


def test_proposals_are_explained_urgent_first(cast):
    helper = volunteer(cast, cast.grid, skills=["medical"], available_days=[1, 3], max_pairings=3)
    normal = need(cast, cast.grid, need_type="daily_care")
    urgent = need(cast, cast.community, need_type="medical", urgency="urgent")
    result = proposals_for_unit(fresh(cast.community_worker), cast.community)
    assert pairs(result) == [(urgent.pk, helper.pk), (normal.pk, helper.pk)]
    first, second = result.proposals
    assert first.reasons_json[:2] == [["skill", "medical"], ["same_community"]]
    assert ("same_grid",) in second.reasons
    with override("en"):
        assert first.reason_texts == [
            "Skill fits: Medical",
            "Same community",
            "Free on Tue, Thu",
            "Urgent need, matched first",
            "Can take 3 more pairings",
        ]
    with override("zh-hans"):
        assert len(first.reason_texts) == 5
    assert first.volunteer.unit == cast.grid and first.need.resident.unit == cast.community


@pytest.mark.parametrize("count", [2, 12])
def test_the_query_count_does_not_grow_with_the_needs(cast, django_assert_max_num_queries, count):
    for i in range(count):
        volunteer(cast, cast.grid if i % 2 else cast.community, skills=["repairs", "errands"])
        need(cast, cast.grid if i % 3 else cast.community, need_type="daily_care")
    helper = Volunteer.objects.first()
    assert helper is not None
    paired(need(cast, cast.grid), helper, cast.cadre)
    user = fresh(cast.cadre)
    with django_assert_max_num_queries(5):
        result = proposals_for_unit(user, cast.subdistrict)
        for p in result.proposals:
            p.need.resident.unit.name, p.volunteer.unit.name, p.volunteer.name  # noqa: B018
        for u in result.unmatched:
            u.need.resident.name  # noqa: B018
    assert len(result.proposals) == count
