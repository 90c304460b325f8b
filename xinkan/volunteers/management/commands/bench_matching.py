"""Time volunteer matching on synthetic data held in memory (no database): candidate building,
the optimal assignment, and the greedy baseline, with matched counts, total scores and memory.

    manage.py bench_matching --needs 10000 --volunteers 10000
"""

from __future__ import annotations

import random
import resource
import sys
import time
import tracemalloc
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinkan.volunteers import matching
from xinkan.volunteers.matching import NeedSpec, VolunteerSpec

# Rough shares seen in community needs archives and volunteer rolls.
NEED_MIX = {
    "daily_care": 25,
    "companionship": 18,
    "errands": 14,
    "medical": 10,
    "repairs": 10,
    "hardship": 6,
    "tutoring": 6,
    "counselling": 5,
    "legal": 3,
    "other": 3,
}
SKILL_MIX = {
    "companionship": 30,
    "errands": 25,
    "repairs": 12,
    "tutoring": 10,
    "medical": 8,
    "other": 7,
    "counselling": 5,
    "legal": 3,
}
DAY_WEIGHTS = [1, 1, 1, 1, 1, 3, 3]  # weekends are likelier free


def _pick(rng: random.Random, mix: dict[str, int], count: int) -> list[str]:
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(list(mix), weights=list(mix.values()))[0])
    return sorted(chosen)


def _days(rng: random.Random, count: int) -> frozenset[int]:
    chosen: set[int] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(range(7), weights=DAY_WEIGHTS)[0])
    return frozenset(chosen)


def synthetic(
    needs: int, volunteers: int, *, communities: int, grids: int, subdistricts: int, seed: int
) -> tuple[list[NeedSpec], list[VolunteerSpec]]:
    """Needs and volunteers spread evenly over the grids of `communities` communities."""
    rng = random.Random(seed)

    def place(grid_share: float) -> dict[str, int | None]:
        community = rng.randrange(communities)
        per_community = max(1, grids // communities)
        grid = community * per_community + rng.randrange(per_community)
        return {
            "subdistrict": 1 + community * subdistricts // communities,
            "community": 1_000 + community,
            "grid": 100_000 + grid if rng.random() < grid_share else None,
        }

    need_specs = [
        NeedSpec(
            id=i + 1,
            need_type=_pick(rng, NEED_MIX, 1)[0],
            urgency="urgent" if rng.random() < 0.15 else "normal",
            days=_days(rng, rng.randint(1, 3)) if rng.random() < 0.3 else frozenset(),
            **place(0.9),
        )
        for i in range(needs)
    ]
    volunteer_specs = []
    for j in range(volunteers):
        limit = rng.choice([1, 2, 2, 2, 3, 5])
        volunteer_specs.append(
            VolunteerSpec(
                id=j + 1,
                skills=tuple(_pick(rng, SKILL_MIX, rng.choice([1, 1, 2, 2, 3]))),
                days=_days(rng, rng.randint(2, 5)) if rng.random() < 0.9 else frozenset(),
                capacity=limit - min(limit, int(rng.expovariate(1.0))),
                **place(0.7),
            )
        )
    return need_specs, volunteer_specs


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Command(BaseCommand):
    help = "Benchmark the volunteer matching on synthetic needs and volunteers (in memory)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--needs", type=int, default=10_000)
        parser.add_argument("--volunteers", type=int, default=10_000)
        parser.add_argument("--communities", type=int, default=300)
        parser.add_argument("--grids", type=int, default=3_000)
        parser.add_argument("--subdistricts", type=int, default=30)
        parser.add_argument("--k", type=int, default=matching.DEFAULT_K, help="candidates per need")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        k = options["k"]
        rss_before = _peak_rss_mb()
        started = time.perf_counter()
        needs, volunteers = synthetic(
            options["needs"],
            options["volunteers"],
            communities=options["communities"],
            grids=options["grids"],
            subdistricts=options["subdistricts"],
            seed=options["seed"],
        )
        generated = time.perf_counter() - started

        started = time.perf_counter()
        candidates = matching.build_candidates(needs, volunteers, k=k)
        t_candidates = time.perf_counter() - started
        started = time.perf_counter()
        best = matching.propose(needs, volunteers, k=k)
        t_propose = time.perf_counter() - started
        started = time.perf_counter()
        baseline = matching.greedy(needs, volunteers, k=k)
        t_greedy = time.perf_counter() - started
        rss_after = _peak_rss_mb()

        tracemalloc.start()
        matching.propose(needs, volunteers, k=k)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        urgent = {n.id for n in needs if n.urgent}
        slots = sum(max(v.capacity, 0) for v in volunteers)

        def urgent_matched(result: matching.MatchResult) -> int:
            return sum(1 for p in result.proposals if p.need_id in urgent)

        reasons: dict[str, int] = {}
        for u in best.unmatched:
            reasons[u.reason] = reasons.get(u.reason, 0) + 1
        gain = best.total_score - baseline.total_score
        lines = [
            f"needs {len(needs)} (urgent {len(urgent)}), volunteers {len(volunteers)} "
            f"(free slots {slots}), {options['communities']} communities, {options['grids']} grids, "
            f"{options['subdistricts']} subdistricts, k={k}",
            f"synthetic data           {generated:8.3f} s",
            f"candidate graph          {t_candidates:8.3f} s  ({len(candidates.score)} edges)",
            f"propose (graph + solve)  {t_propose:8.3f} s  ({best.components} components, "
            f"{best.solved_components} needed the solver)",
            f"greedy (graph + pass)    {t_greedy:8.3f} s",
            f"optimal: matched {len(best.proposals)}, urgent {urgent_matched(best)}, "
            f"total score {best.total_score}",
            f"greedy:  matched {len(baseline.proposals)}, urgent {urgent_matched(baseline)}, "
            f"total score {baseline.total_score}",
            f"optimal − greedy: {gain:+d} ({100 * gain / max(baseline.total_score, 1):+.2f} %), "
            f"matched {len(best.proposals) - len(baseline.proposals):+d}",
            "unmatched: " + ", ".join(f"{r} {c}" for r, c in sorted(reasons.items())),
            f"memory: peak RSS {rss_after:.0f} MB (before the run {rss_before:.0f} MB); "
            f"traced peak of one propose() {traced_peak / 2**20:.1f} MB",
        ]
        self.stdout.write("\n".join(lines))
