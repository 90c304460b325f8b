"""Matching volunteers to needs (pure, no database): optimal over the candidate graph (checked by
exhaustive search), better than greedy where greedy fails, capacities and skills respected,
urgent needs first when volunteers are short, deterministic, explained."""

from __future__ import annotations

import io
import itertools
import random

import pytest
from django.core.management import call_command
from django.utils.translation import override

from xinkan.volunteers.fit import skill_fit
from xinkan.volunteers.match_reasons import describe, describe_all, describe_unmatched
from xinkan.volunteers.matching import (
    ALL_FULL,
    CAPACITY_SHORT,
    NO_COMMON_DAYS,
    NO_SKILL_NEARBY,
    MatchResult,
    NeedSpec,
    VolunteerSpec,
    Weights,
    candidate_edges,
    greedy,
    pair_score,
    propose,
)

NEED_TYPES = ["daily_care", "medical", "repairs", "errands", "companionship", "legal", "other"]
SKILLS = ["medical", "legal", "repairs", "companionship", "errands", "counselling", "other"]
# Two subdistricts (1, 2), communities 11, 12 (in 1) and 21 (in 2), grids two per community.
PLACES = [(1, 11, 111), (1, 11, 112), (1, 12, 121), (1, 12, None), (2, 21, 211), (2, 21, 212)]


def place(rng: random.Random) -> dict[str, int | None]:
    sub, comm, grid = rng.choice(PLACES)
    return {"subdistrict": sub, "community": comm, "grid": grid}


def days(rng: random.Random) -> frozenset[int]:
    return frozenset(rng.sample(range(7), rng.choice([0, 0, 1, 2, 3])))


def random_case(rng: random.Random, max_needs: int, max_vols: int) -> tuple[list, list]:
    needs = [
        NeedSpec(
            id=100 + i,
            need_type=rng.choice(NEED_TYPES),
            urgency=rng.choice(["normal", "normal", "urgent"]),
            days=days(rng),
            **place(rng),
        )
        for i in range(rng.randint(1, max_needs))
    ]
    volunteers = [
        VolunteerSpec(
            id=500 + j,
            skills=tuple(rng.sample(SKILLS, rng.randint(1, 3))),
            days=days(rng),
            capacity=rng.choice([0, 1, 1, 2, 3]),
            **place(rng),
        )
        for j in range(rng.randint(1, max_vols))
    ]
    return needs, volunteers


def exhaustive_best(needs, volunteers, edges) -> int:  # type: ignore[no-untyped-def]
    """The best total score over every feasible assignment of the candidate graph."""
    options: dict[int, list[tuple[int, int]]] = {n.id: [(0, 0)] for n in needs}
    for need_id, vol_id, score in edges:
        options[need_id].append((vol_id, score))
    capacity = {v.id: v.capacity for v in volunteers}
    best = 0
    for choice in itertools.product(*options.values()):
        used: dict[int, int] = {}
        for vol_id, _ in choice:
            if vol_id:
                used[vol_id] = used.get(vol_id, 0) + 1
        if all(count <= capacity[v] for v, count in used.items()):
            best = max(best, sum(score for _, score in choice))
    return best


def assert_feasible(result: MatchResult, needs, volunteers, edges) -> None:  # type: ignore[no-untyped-def]
    scores = {(n, v): s for n, v, s in edges}
    capacity = {v.id: v.capacity for v in volunteers}
    need_ids = [p.need_id for p in result.proposals]
    assert len(need_ids) == len(set(need_ids))
    for p in result.proposals:
        assert scores[(p.need_id, p.volunteer_id)] == p.score
        capacity[p.volunteer_id] -= 1
    assert min(capacity.values(), default=0) >= 0
    assert sorted(need_ids + [u.need_id for u in result.unmatched]) == sorted(n.id for n in needs)


@pytest.mark.parametrize("k", [20, 2])
def test_the_result_is_optimal_on_random_small_cases(k):
    rng = random.Random(20260 + k)
    beaten = 0
    for _ in range(200):
        needs, volunteers = random_case(rng, max_needs=5, max_vols=4)
        edges = candidate_edges(needs, volunteers, k=k)
        result = propose(needs, volunteers, k=k)
        assert_feasible(result, needs, volunteers, edges)
        assert result.total_score == exhaustive_best(needs, volunteers, edges)
        baseline = greedy(needs, volunteers, k=k)
        assert_feasible(baseline, needs, volunteers, edges)
        assert baseline.total_score <= result.total_score
        beaten += baseline.total_score < result.total_score
    assert beaten > 0  # the random cases include some where greedy falls short


def test_the_candidate_graph_is_every_fitting_pair_nearby_with_room():
    rng = random.Random(7)
    for _ in range(100):
        needs, volunteers = random_case(rng, max_needs=6, max_vols=6)
        edges = {(n, v): s for n, v, s in candidate_edges(needs, volunteers, k=50)}
        expected = {}
        for need in needs:
            for vol in volunteers:
                scored = pair_score(need, vol)
                if scored is not None and vol.capacity > 0:
                    expected[(need.id, vol.id)] = scored[0]
        assert edges == expected


def test_only_the_k_best_candidates_are_kept():
    need = NeedSpec(1, "repairs", subdistrict=1, community=11, grid=111)
    volunteers = [
        VolunteerSpec(10, ("repairs",), subdistrict=1, community=12),
        VolunteerSpec(11, ("repairs",), subdistrict=1, community=11, grid=111),
        VolunteerSpec(12, ("repairs",), subdistrict=1, community=11, grid=112),
        VolunteerSpec(13, ("repairs",), subdistrict=1, community=11, grid=111),
    ]
    assert [v for _, v, _ in candidate_edges([need], volunteers, k=2)] == [11, 13]


def test_greedy_falls_short_where_the_optimum_does_not():
    # 王 does companionship and errands, 李 only errands; each takes one more pairing.
    # Greedy gives the daily-care need its best fit (王, companionship), leaving the
    # companionship need nobody; the optimum gives daily care to 李 (errands) and both are helped.
    here = {"subdistrict": 1, "community": 11, "grid": 111}
    needs = [NeedSpec(1, "daily_care", **here), NeedSpec(2, "companionship", **here)]
    volunteers = [
        VolunteerSpec(10, ("companionship", "errands"), **here),
        VolunteerSpec(20, ("errands",), **here),
    ]
    edges = candidate_edges(needs, volunteers)
    baseline = greedy(needs, volunteers)
    best = propose(needs, volunteers)
    assert [(p.need_id, p.volunteer_id) for p in baseline.proposals] == [(1, 10)]
    assert [(u.need_id, u.reason) for u in baseline.unmatched] == [(2, CAPACITY_SHORT)]
    assert [(p.need_id, p.volunteer_id) for p in best.proposals] == [(1, 20), (2, 10)]
    assert best.unmatched == []
    assert best.total_score == exhaustive_best(needs, volunteers, edges) > baseline.total_score


def test_capacities_hold_on_a_larger_case_and_the_optimum_beats_greedy():
    rng = random.Random(99)
    needs = [
        NeedSpec(
            i,
            rng.choice(NEED_TYPES),
            rng.choice(["normal", "urgent"]),
            days=days(rng),
            **place(rng),
        )
        for i in range(300)
    ]
    volunteers = [
        VolunteerSpec(
            1000 + j,
            tuple(rng.sample(SKILLS, 2)),
            days=days(rng),
            capacity=rng.randint(0, 3),
            **place(rng),
        )
        for j in range(80)
    ]
    edges = candidate_edges(needs, volunteers, k=5)
    result = propose(needs, volunteers, k=5)
    assert_feasible(result, needs, volunteers, edges)
    assert result.solved_components >= 1
    assert result.total_score > greedy(needs, volunteers, k=5).total_score


def test_no_volunteer_is_proposed_without_a_fitting_skill_or_from_another_subdistrict():
    needs = [
        NeedSpec(1, "legal", subdistrict=1, community=11),
        NeedSpec(2, "medical", subdistrict=1, community=11),
    ]
    volunteers = [
        VolunteerSpec(10, ("repairs", "companionship"), subdistrict=1, community=11, capacity=5),
        VolunteerSpec(11, ("medical",), subdistrict=2, community=21, capacity=5),
    ]
    result = propose(needs, volunteers)
    assert result.proposals == []
    assert [(u.need_id, u.reason) for u in result.unmatched] == [
        (1, NO_SKILL_NEARBY),
        (2, NO_SKILL_NEARBY),
    ]
    assert skill_fit("legal", ["repairs", "companionship"]) == 0


def test_why_a_need_stays_unmatched():
    here = {"subdistrict": 1, "community": 11}
    needs = [
        NeedSpec(1, "repairs", days=frozenset({0}), **here),  # the repairer is free at weekends
        NeedSpec(2, "medical", **here),  # the doctor is full
        NeedSpec(3, "tutoring", **here),  # nobody tutors
    ]
    volunteers = [
        VolunteerSpec(10, ("repairs",), days=frozenset({5, 6}), **here),
        VolunteerSpec(11, ("medical",), capacity=0, **here),
    ]
    result = propose(needs, volunteers)
    assert [(u.need_id, u.reason) for u in result.unmatched] == [
        (1, NO_COMMON_DAYS),
        (2, ALL_FULL),
        (3, NO_SKILL_NEARBY),
    ]


def test_urgent_needs_are_matched_first_when_volunteers_are_short():
    # The one repairer lives in the normal need's grid, but the urgent need comes first.
    needs = [
        NeedSpec(1, "repairs", subdistrict=1, community=11, grid=111, days=frozenset({5})),
        NeedSpec(2, "repairs", "urgent", subdistrict=1, community=12),
    ]
    volunteers = [
        VolunteerSpec(
            10, ("repairs",), subdistrict=1, community=11, grid=111, days=frozenset({5, 6})
        )
    ]
    result = propose(needs, volunteers)
    assert [(p.need_id, p.volunteer_id) for p in result.proposals] == [(2, 10)]
    assert [(u.need_id, u.reason) for u in result.unmatched] == [(1, CAPACITY_SHORT)]
    assert ("urgent",) in result.proposals[0].reasons


def test_the_result_does_not_depend_on_input_order_and_ties_go_to_the_lower_id():
    rng = random.Random(3)
    needs, volunteers = random_case(rng, max_needs=40, max_vols=25)
    first = propose(needs, volunteers, k=3)
    for seed in range(5):
        shuffled_needs, shuffled_vols = list(needs), list(volunteers)
        random.Random(seed).shuffle(shuffled_needs)
        random.Random(seed).shuffle(shuffled_vols)
        again = propose(shuffled_needs, shuffled_vols, k=3)
        assert again.proposals == first.proposals and again.unmatched == first.unmatched
    here = {"subdistrict": 1, "community": 11, "grid": 111}
    twins = [VolunteerSpec(9, ("repairs",), **here), VolunteerSpec(4, ("repairs",), **here)]
    needs = [NeedSpec(1, "repairs", **here), NeedSpec(2, "legal", **here)]
    assert [p.volunteer_id for p in propose(needs, twins).proposals] == [4]
    # Two needs, three equal volunteers with room for one each: the two lowest ids.
    triplets = [VolunteerSpec(i, ("repairs",), **here) for i in (30, 10, 20)]
    needs = [NeedSpec(1, "repairs", **here), NeedSpec(2, "repairs", **here)]
    chosen = sorted(p.volunteer_id for p in propose(needs, triplets).proposals)
    assert chosen == [10, 20]


def test_empty_inputs():
    assert propose([], []).proposals == []
    need = NeedSpec(1, "repairs", subdistrict=1)
    result = propose([need], [])
    assert result.proposals == [] and [u.reason for u in result.unmatched] == [NO_SKILL_NEARBY]
    assert propose([], [VolunteerSpec(1, ("repairs",), subdistrict=1)]).unmatched == []
    assert greedy([], []).total_score == 0


def test_each_proposal_says_why():
    need = NeedSpec(
        1, "daily_care", "urgent", subdistrict=1, community=11, grid=111, days=frozenset({0, 2, 4})
    )
    vol = VolunteerSpec(
        10,
        ("errands", "medical"),
        subdistrict=1,
        community=11,
        grid=112,
        days=frozenset({2, 4, 6}),
        capacity=2,
    )
    (proposal,) = propose([need], [vol]).proposals
    assert proposal.reasons == (
        ("skill", "errands"),
        ("same_community",),
        ("days", (2, 4)),
        ("urgent",),
        ("free", 2),
    )
    weights = Weights()
    assert proposal.score == (
        weights.matched
        + weights.skill * 2 // 3
        + weights.same_community
        + weights.days * 2 // 3
        + weights.urgent
    )
    assert proposal.reasons_json() == [
        ["skill", "errands"],
        ["same_community"],
        ["days", [2, 4]],
        ["urgent"],
        ["free", 2],
    ]


def test_weights_are_checked_and_duplicates_refused():
    with pytest.raises(ValueError, match="weights"):
        Weights(matched=0)
    with pytest.raises(ValueError, match="duplicate"):
        propose([NeedSpec(1, "repairs"), NeedSpec(1, "legal")], [])


def test_reasons_read_as_text_and_unknown_codes_show_as_they_are():
    with override("en"):
        assert describe_all(
            [["skill", "repairs"], ["same_grid"], ["days", [5, 6]], ["free", 1]]
        ) == [
            "Skill fits: Repairs",
            "Same grid",
            "Free on Sat, Sun",
            "Can take 1 more pairing",
        ]
        assert describe(("new_code", 3)) == "new_code 3"
        assert describe_unmatched(ALL_FULL).startswith("All fitting volunteers")
        assert describe_unmatched("later") == "later"


def test_the_benchmark_command_reports_its_figures():
    out = io.StringIO()
    call_command(
        "bench_matching",
        needs=300,
        volunteers=200,
        communities=20,
        grids=60,
        subdistricts=3,
        stdout=out,
    )
    text = out.getvalue()
    assert "propose (graph + solve)" in text and "optimal − greedy" in text and "peak RSS" in text
