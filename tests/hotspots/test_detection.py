"""Detection: similar matters of many residents of one community within the window, by category,
ranked by people and growth."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.hotspots.helpers import LIFT, LIGHTS, NOISE, NOW, lift_cluster, report
from tests.matters import factories as mf
from xinkan.hotspots import detection
from xinkan.hotspots.detection import Report, count_people
from xinkan.matters import services, text
from xinkan.matters.models import Channel
from xinkan.org.models import Unit

pytestmark = pytest.mark.django_db


def _detect(**kwargs):  # type: ignore[no-untyped-def]
    return detection.detect(now=NOW, **kwargs).clusters


def test_a_planted_cluster_of_neighbouring_grids_is_found_and_ranked_above_the_noise(
    cast, second_grid
):
    lifts = lift_cluster([cast.grid, second_grid], 8)
    lights = [report(cast.grid, t, category="roads.lights", days_ago=2) for t in LIGHTS]
    for i, description in enumerate(NOISE):
        report(cast.grid, description, category="sanitation.noise", days_ago=i + 1)

    clusters = _detect()

    assert [c.category_id for c in clusters] == [lifts[0].category_id, lights[0].category_id]
    top = clusters[0]
    assert {m.pk for m in top.members} == {m.pk for m in lifts}
    assert (top.area_id, top.size, top.residents, top.places) == (cast.community.pk, 8, 8, 2)
    assert "电梯" in top.keywords
    assert top.score > clusters[1].score
    assert {m.pk for m in clusters[1].members} == {m.pk for m in lights}


def test_reports_of_different_categories_do_not_merge(cast):
    water = "小区从昨天开始停水，到现在还没来水，做饭都成问题。"
    heating = [report(cast.grid, water, category="property.heating") for _ in range(3)]
    other = [report(cast.grid, water, category="other") for _ in range(3)]

    clusters = _detect()

    assert {frozenset(m.pk for m in c.members) for c in clusters} == {
        frozenset(m.pk for m in heating),
        frozenset(m.pk for m in other),
    }


def test_distant_communities_do_not_merge(cast):
    here = [report(cast.grid, LIFT[i]) for i in range(2)]
    there = [report(cast.other_grid, LIFT[i + 2]) for i in range(2)]

    assert _detect() == []  # two and two: neither community has three residents
    here.append(report(cast.grid, LIFT[4]))
    there.append(report(cast.other_grid, LIFT[5]))

    clusters = _detect()
    assert {(c.area_id, frozenset(m.pk for m in c.members)) for c in clusters} == {
        (cast.community.pk, frozenset(m.pk for m in here)),
        (cast.other_community.pk, frozenset(m.pk for m in there)),
    }


def test_different_problems_of_one_category_stay_apart(cast):
    lifts = lift_cluster([cast.grid], 4)
    fees = [
        report(cast.grid, t, category="property.elevator")
        for t in [
            "电梯使用费今年涨了一倍，没有公示明细，要求说明怎么算的。",
            "物业收的电梯费涨价了，也不公开收支，业主都不知道。",
            "电梯费突然上调，没开业主大会，收费不透明。",
        ]
    ]

    clusters = _detect()

    assert sorted(len(c.members) for c in clusters) == [3, 4]
    assert {frozenset(m.pk for m in c.members) for c in clusters} == {
        frozenset(m.pk for m in lifts),
        frozenset(m.pk for m in fees),
    }


def test_growth_compares_with_the_window_before(cast, second_grid):
    before = [report(cast.grid, LIFT[i], days_ago=35 + i) for i in range(2)]
    now = lift_cluster([cast.grid, second_grid], 6, days_ago=1)

    [found] = _detect()

    assert {m.pk for m in found.members} == {m.pk for m in before + now}
    assert (found.size, found.previous, found.growth) == (6, 2, 4)
    assert found.score == found.people + 4
    assert found.first_at == min(m.registered_at for m in now)
    # A shorter window: 3 of the 6 in the last 3 days, the other 3 (and none of the two old ones)
    # in the 3 days before.
    [short] = _detect(window_days=3)
    assert (short.size, short.previous, short.growth) == (3, 3, 0)


def test_a_shrinking_problem_ranks_below_a_new_one_of_the_same_size(cast, second_grid):
    for i in range(6):
        report(cast.other_grid, LIFT[i], days_ago=40 + i)
    old = [report(cast.other_grid, LIFT[i], days_ago=2 + i) for i in range(4)]
    new = [report(cast.grid, LIGHTS[i % 3], category="roads.lights", days_ago=1) for i in range(4)]

    first, second = _detect()

    assert {m.pk for m in first.current_members} == {m.pk for m in new}
    assert {m.pk for m in second.current_members} == {m.pk for m in old}
    assert (second.growth, first.growth) == (-2, 4)


def test_old_and_declined_and_proactive_matters_are_left_out(cast):
    lift_cluster([cast.grid], 2)
    report(cast.grid, LIFT[3], days_ago=70)  # before both windows
    declined = report(cast.grid, LIFT[4])
    services.decline_matter(declined, by=cast.community_worker, reason="不属于本单位受理范围。")
    services.register_matter(
        services.Intake(
            channel=Channel.PROACTIVE,
            category=declined.category,
            description=LIFT[5],
            unit=cast.grid,
            registered_at=NOW - dt.timedelta(days=1),
        ),
        by=cast.community_worker,
    )

    assert _detect() == []


def test_one_resident_reporting_twice_is_one_person(cast):
    phone = "13900000001"
    first = report(cast.grid, LIFT[0], contact_phone=phone, days_ago=5)
    services.handle_by_unit(first, by=cast.community_worker)
    services.reply_to_matter(first, by=cast.community_worker, text=mf.REPLY, outcome="supported")
    services.record_follow_up(first, rating="satisfied", by=cast.community_worker)
    report(cast.grid, LIFT[1], contact_phone=phone, days_ago=2)  # broke again: a new matter
    report(cast.grid, LIFT[2], days_ago=1)

    assert _detect() == []  # three matters, two people
    report(cast.grid, LIFT[3], days_ago=1)
    [found] = _detect()
    assert (found.size, found.residents, found.anonymous) == (4, 3, 0)


def test_anonymous_reports_count_separately(cast):
    lift_cluster([cast.grid], 2)
    for i in range(2):
        report(
            cast.grid,
            LIFT[i + 3],
            anonymous=True,
            contact_phone="",
            contact_name="",
            portal_key=f"KEY{i}",
        )

    [found] = _detect()

    assert (found.residents, found.anonymous, found.people) == (2, 2, 4)


def test_what_staff_found_on_patrol_is_no_residents_complaint(cast):
    lift_cluster([cast.grid], 2)
    for description in LIFT[3:5]:
        services.register_matter(
            services.Intake(
                channel=Channel.PATROL,
                category=mf.category(),
                description=description,
                unit=cast.grid,
                registered_at=NOW - dt.timedelta(days=1),
            ),
            by=cast.grid_worker,
        )

    assert _detect() == []  # two residents, two patrol reports
    lift_cluster([cast.grid], 1, days_ago=2)
    [found] = _detect()
    assert (found.size, found.residents, found.anonymous) == (5, 3, 0)


def test_people_are_joined_by_any_shared_identity():
    def r(*keys: str, anonymous: bool = False) -> Report:
        return Report(0, 0, NOW, True, keys, anonymous=anonymous)

    assert count_people([r("r1", "pA"), r("pA"), r("pB", "i9"), r("i9"), r()]) == (2, 0)
    assert count_people([r("r1"), r("r2"), r("pA"), r(anonymous=True), r()]) == (3, 1)


def test_the_scope_narrows_detection_to_its_units(cast):
    lift_cluster([cast.grid], 3)
    lift_cluster([cast.other_grid], 3)

    clusters = detection.detect(now=NOW, units=_within(cast.other_subdistrict)).clusters

    assert [c.area_id for c in clusters] == [cast.other_community.pk]


def _within(unit: Unit):  # type: ignore[no-untyped-def]
    from django.db.models import Q

    return Q(unit__path__startswith=unit.path)


def test_a_capped_group_compares_only_its_newest_matters(cast):
    lift_cluster([cast.grid], 6)

    [found] = _detect(cap=4)

    assert found.capped and found.size == 4


def test_the_duplicate_finder_still_cuts_different_buildings_but_hot_spots_do_not():
    a, b = "3号楼电梯坏了，停了三天没人修。", "5号楼电梯坏了，停了好几天了没人修。"
    assert text.similarity(a, b) < 0.36 <= text.similarity(a, b, across_places=True)
    # A family still tells problems apart: 低保 vs 临时救助.
    c, d = "申请低保半年了还没批下来。", "申请临时救助半年了还没批下来。"
    assert text.similarity(c, d, across_places=True) == text.similarity(c, d)
    assert text.similarity(c, d, across_places=True) < 0.36
