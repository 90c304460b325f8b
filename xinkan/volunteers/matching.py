"""Proposing volunteers for open needs: a jointly best assignment, each proposal explained.

Pure computation on plain specs (no database); `matching_data` builds the specs for a unit.

Who may help whom (the candidate graph):
- a volunteer with at least one skill that fits the need (`fit.skill_fit` > 0),
- living in the same subdistrict (same grid and same community score higher; further away is
  not a candidate),
- free on at least one of the days the need wants, when both sides name days (a volunteer who
  names no days is "unknown", not excluded; a need that names no days takes any day),
- with capacity left (`max_pairings` minus active pairings).
Of these, each need keeps at most `k` best candidates (score, then lower volunteer id). This
keeps the problem sparse (≤ k edges per need) so it scales to 10,000 × 10,000; it is a
heuristic restriction: the result is optimal over this candidate graph, and over all
volunteers only when no need has more than `k` candidates.

The objective: maximise the sum of the scores of the chosen pairs, each need at most one
volunteer, each volunteer at most `capacity` needs. A pair's score (integers, see `Weights`):
a base for every match (so more matches beat fewer, better ones), the skill fit (the need's
first-listed skill is best), proximity, the share of wanted days the volunteer is free, and a
bonus for urgent needs that outweighs every other difference between two pairs, so that when
volunteers are short an urgent need displaces a normal one.

Solved exactly as a rectangular assignment problem: each volunteer becomes `capacity` identical
slots (at most as many as it has candidate needs), each need gets its own "unmatched" column (so a
full matching always exists and leaving a need unmatched scores 0), and SciPy's sparse
Jonker–Volgenant solver (`min_weight_full_bipartite_matching`) finds the minimum cost, cost =
(top − score). The graph is split into connected components (in practice one per subdistrict or
smaller) and each is solved on its own; a component whose volunteers can take all their candidate
needs needs no solver (each need takes its best). Ties between equally good assignments are broken
towards lower volunteer ids by a secondary cost term too small to change the primary optimum
(dropped for components too big for float64 to hold it exactly), and inputs are sorted by id, so
the result does not depend on input order.

Scale (`manage.py bench_matching`, synthetic, 300 communities, 3,000 grids, 30 subdistricts,
k=20, one core): 10,000 needs × 10,000 volunteers: candidate graph 0.15 s (198k edges), graph and
solve 0.28 s, all 10,000 matched, +0.9 % total score over greedy (+52 matched), peak traced memory
17 MB. Volunteers short (10,000 × 4,000): 0.21 s, +7.2 % over greedy (+545 matched). All in one
subdistrict (one component of 10,000 × 10,000): 3.2 s, most of it scoring every pair of the
subdistrict. Widening k from 20 to 50 raised the optimum by 0.001 %.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

from xinkan.volunteers.fit import fitting_skills, skill_fit

URGENT = "urgent"
DEFAULT_K = 20

# Why a need stays unmatched.
NO_SKILL_NEARBY = "no_skill_nearby"  # nobody in the subdistrict has a fitting skill
NO_COMMON_DAYS = "no_common_days"  # fitting volunteers nearby, none free on the days wanted
ALL_FULL = "all_full"  # fitting volunteers nearby, all at their pairing limit
CAPACITY_SHORT = "capacity_short"  # candidates exist but are better used for other needs

# A reason is a code and its parameters, JSON-friendly; `match_reasons` turns it into text:
# ("skill", "medical"), ("same_grid",), ("same_community",), ("same_subdistrict",),
# ("days", (0, 2)), ("urgent",), ("free", 2) — the volunteer could take 2 more pairings.
Reason = tuple[Any, ...]

IntArray = NDArray[np.int64]

_CELLS_PER_CHUNK = 400_000  # needs × volunteers scored at once (bounds memory to ~30 MB)
_POPCOUNT = np.array([bin(m).count("1") for m in range(128)], dtype=np.int64)


@dataclass(frozen=True)
class NeedSpec:
    id: int
    need_type: str
    urgency: str = "normal"
    grid: int | None = None  # the grid's unit id (None when the resident is filed at community)
    community: int | None = None
    subdistrict: int | None = None
    days: frozenset[int] = frozenset()  # weekdays 0 (Mon) … 6 wanted; empty = any day

    @property
    def urgent(self) -> bool:
        return self.urgency == URGENT


@dataclass(frozen=True)
class VolunteerSpec:
    id: int
    skills: tuple[str, ...]
    grid: int | None = None
    community: int | None = None
    subdistrict: int | None = None
    days: frozenset[int] = frozenset()  # weekdays free; empty = not stated
    capacity: int = 1  # max_pairings − current active pairings


@dataclass(frozen=True)
class Weights:
    """Points of a pair. Defaults: a normal pair scores 123…190, an urgent one 200 more, so an
    urgent need is always worth more than a normal one, and two matches more than one."""

    matched: int = 100
    skill: int = 40  # × fit / best fit: the need's first-listed skill earns all of it
    same_grid: int = 30
    same_community: int = 20
    same_subdistrict: int = 10
    days: int = 20  # × share of the wanted days covered (of the week, when any day will do)
    urgent: int = 200

    def __post_init__(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        if self.matched < 1 or any(not isinstance(v, int) or v < 0 for v in values):
            raise ValueError("weights are non-negative integers and `matched` at least 1")


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Proposal:
    need_id: int
    volunteer_id: int
    score: int
    reasons: tuple[Reason, ...]

    def reasons_json(self) -> list[list[Any]]:
        """The reasons as stored on a pairing (`Pairing.match_reasons`)."""
        return [
            [r[0], *(list(p) if isinstance(p, tuple) else p for p in r[1:])] for r in self.reasons
        ]


@dataclass(frozen=True)
class Unmatched:
    need_id: int
    reason: str  # one of NO_SKILL_NEARBY, NO_COMMON_DAYS, ALL_FULL, CAPACITY_SHORT


@dataclass
class MatchResult:
    proposals: list[Proposal]  # by need id
    unmatched: list[Unmatched]  # by need id
    candidate_edges: int = 0
    components: int = 0
    solved_components: int = 0  # those that needed the assignment solver

    @property
    def total_score(self) -> int:
        return sum(p.score for p in self.proposals)


# --- One pair, plainly (the reference the vectorised scoring must agree with) -----------------


def _proximity(need: NeedSpec, volunteer: VolunteerSpec) -> str | None:
    if need.grid is not None and need.grid == volunteer.grid:
        return "same_grid"
    if need.community is not None and need.community == volunteer.community:
        return "same_community"
    if need.subdistrict is not None and need.subdistrict == volunteer.subdistrict:
        return "same_subdistrict"
    return None


def _days(
    need: NeedSpec, volunteer: VolunteerSpec, weights: Weights
) -> tuple[int, set[int]] | None:
    """Points for availability and the days shown; None when the days clash."""
    free = {d for d in volunteer.days if 0 <= d < 7}
    wanted = {d for d in need.days if 0 <= d < 7}
    if not wanted:
        return weights.days * len(free) // 7, free
    common = wanted & free
    if free and not common:
        return None
    return weights.days * len(common) // len(wanted), common


def pair_score(
    need: NeedSpec, volunteer: VolunteerSpec, weights: Weights = DEFAULT_WEIGHTS
) -> tuple[int, tuple[Reason, ...]] | None:
    """The score of this volunteer for this need and why; None when not a candidate (capacity
    aside)."""
    fit = skill_fit(need.need_type, volunteer.skills)
    if fit <= 0:
        return None
    near = _proximity(need, volunteer)
    if near is None:
        return None
    days = _days(need, volunteer, weights)
    if days is None:
        return None
    wanted = fitting_skills(need.need_type)
    skill = str(wanted[len(wanted) - fit])
    score = weights.matched + weights.skill * fit // len(wanted) + days[0]
    score += getattr(weights, near)
    reasons: list[Reason] = [("skill", skill), (near,)]
    if days[1]:
        reasons.append(("days", tuple(sorted(days[1]))))
    if need.urgent:
        score += weights.urgent
        reasons.append(("urgent",))
    return score, tuple(reasons)


# --- The candidate graph, vectorised per subdistrict -------------------------------------------


@dataclass
class Candidates:
    needs: list[NeedSpec]  # sorted by id
    volunteers: list[VolunteerSpec]  # sorted by id
    need_index: IntArray  # edge → position in `needs`
    volunteer_index: IntArray  # edge → position in `volunteers`
    score: IntArray
    status: list[str | None]  # per need: why it has no candidate, or None
    capacity: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def edges(self) -> list[tuple[int, int, int]]:
        """(need id, volunteer id, score) of every candidate pair."""
        return [
            (self.needs[n].id, self.volunteers[v].id, int(s))
            for n, v, s in zip(
                self.need_index.tolist(),
                self.volunteer_index.tolist(),
                self.score.tolist(),
                strict=True,
            )
        ]


def _day_mask(days: Iterable[int]) -> int:
    mask = 0
    for d in days:
        if 0 <= d < 7:
            mask |= 1 << d
    return mask


def _key(value: int | None) -> int:
    return -1 if value is None else value


def _sorted_unique(items: Sequence[Any], what: str) -> list[Any]:
    ordered = sorted(items, key=lambda item: item.id)
    for before, after in itertools.pairwise(ordered):
        if before.id == after.id:
            raise ValueError(f"duplicate {what} id {after.id}")
    return ordered


def build_candidates(
    needs: Sequence[NeedSpec],
    volunteers: Sequence[VolunteerSpec],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    k: int = DEFAULT_K,
) -> Candidates:
    """Every need's at most `k` best candidates, scored as `pair_score` scores them."""
    if k < 1:
        raise ValueError("k is at least 1")
    need_list = _sorted_unique(needs, "need")
    vol_list = _sorted_unique(volunteers, "volunteer")
    w = weights

    # Skill points per (need type, distinct skill set), from the one fit table.
    types = sorted({n.need_type for n in need_list})
    skill_sets = sorted({tuple(sorted(set(v.skills))) for v in vol_list})
    type_at = {t: i for i, t in enumerate(types)}
    set_at = {s: i for i, s in enumerate(skill_sets)}
    skill_points = np.full((max(len(types), 1), max(len(skill_sets), 1)), -1, dtype=np.int64)
    for t, ti in type_at.items():
        best = len(fitting_skills(t))
        for s, si in set_at.items():
            fit = skill_fit(t, s)
            if fit > 0:
                skill_points[ti, si] = w.skill * fit // best

    n_type = np.array([type_at[n.need_type] for n in need_list], dtype=np.int64)
    n_grid = np.array([_key(n.grid) for n in need_list], dtype=np.int64)
    n_comm = np.array([_key(n.community) for n in need_list], dtype=np.int64)
    n_days = np.array([_day_mask(n.days) for n in need_list], dtype=np.int64)
    n_bonus = np.array([w.urgent if n.urgent else 0 for n in need_list], dtype=np.int64)
    v_set = np.array([set_at[tuple(sorted(set(v.skills)))] for v in vol_list], dtype=np.int64)
    v_grid = np.array([_key(v.grid) for v in vol_list], dtype=np.int64)
    v_comm = np.array([_key(v.community) for v in vol_list], dtype=np.int64)
    v_days = np.array([_day_mask(v.days) for v in vol_list], dtype=np.int64)
    v_cap = np.array([max(v.capacity, 0) for v in vol_list], dtype=np.int64)

    by_area: dict[int, list[int]] = defaultdict(list)
    for i, v in enumerate(vol_list):
        if v.subdistrict is not None:
            by_area[v.subdistrict].append(i)
    needs_by_area: dict[int, list[int]] = defaultdict(list)
    status: list[str | None] = [NO_SKILL_NEARBY] * len(need_list)
    for i, n in enumerate(need_list):
        if n.subdistrict is not None and n.subdistrict in by_area:
            needs_by_area[n.subdistrict].append(i)

    parts_n: list[IntArray] = []
    parts_v: list[IntArray] = []
    parts_s: list[IntArray] = []
    for area in sorted(needs_by_area):
        cols = np.array(by_area[area], dtype=np.int64)
        rows_all = np.array(needs_by_area[area], dtype=np.int64)
        width = len(cols)
        chunk = max(1, _CELLS_PER_CHUNK // width)
        cvset, cgrid, ccomm, cdays = v_set[cols], v_grid[cols], v_comm[cols], v_days[cols]
        cfree = (v_cap[cols] > 0)[None, :]
        cpop = _POPCOUNT[cdays][None, :]
        for start in range(0, len(rows_all), chunk):
            rows = rows_all[start : start + chunk]
            skill = skill_points[n_type[rows][:, None], cvset[None, :]]
            fits = skill >= 0
            grid = n_grid[rows][:, None]
            comm = n_comm[rows][:, None]
            near = np.where(
                (grid >= 0) & (grid == cgrid[None, :]),
                w.same_grid,
                np.where(
                    (comm >= 0) & (comm == ccomm[None, :]), w.same_community, w.same_subdistrict
                ),
            )
            wanted = n_days[rows][:, None]
            common = _POPCOUNT[wanted & cdays[None, :]]
            n_wanted = _POPCOUNT[wanted]
            days_ok = (wanted == 0) | (cdays[None, :] == 0) | (common > 0)
            day_points = np.where(
                wanted == 0, w.days * cpop // 7, w.days * common // np.maximum(n_wanted, 1)
            )
            score = w.matched + skill + near + day_points + n_bonus[rows][:, None]
            usable = fits & days_ok & cfree
            # Per-need reason when nothing is usable.
            any_fit = np.asarray(fits.any(axis=1))
            any_days = np.asarray((fits & days_ok).any(axis=1))
            any_usable = np.asarray(usable.any(axis=1))
            for r, a, b, c in zip(
                rows.tolist(), any_fit.tolist(), any_days.tolist(), any_usable.tolist(), strict=True
            ):
                status[r] = (
                    None if c else (ALL_FULL if b else (NO_COMMON_DAYS if a else NO_SKILL_NEARBY))
                )
            # The k best per row: higher score, then lower volunteer id (columns are id-ordered).
            order_key = np.where(
                usable, -score * width + np.arange(width)[None, :], np.iinfo(np.int64).max
            )
            if width > k:
                top = np.argpartition(order_key, k - 1, axis=1)[:, :k]
            else:
                top = np.broadcast_to(np.arange(width), (len(rows), width))
            keep = np.take_along_axis(usable, top, axis=1)
            r_idx = np.broadcast_to(rows[:, None], top.shape)[keep]
            c_idx = top[keep]
            parts_n.append(r_idx.astype(np.int64))
            parts_v.append(cols[c_idx])
            parts_s.append(np.take_along_axis(score, top, axis=1)[keep].astype(np.int64))

    def joined(parts: list[IntArray]) -> IntArray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    return Candidates(
        needs=need_list,
        volunteers=vol_list,
        need_index=joined(parts_n),
        volunteer_index=joined(parts_v),
        score=joined(parts_s),
        status=status,
        capacity=v_cap,
    )


def candidate_edges(
    needs: Sequence[NeedSpec],
    volunteers: Sequence[VolunteerSpec],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    k: int = DEFAULT_K,
) -> list[tuple[int, int, int]]:
    """(need id, volunteer id, score) of the candidate graph `propose` optimises over."""
    return build_candidates(needs, volunteers, weights=weights, k=k).edges()


# --- Solving ------------------------------------------------------------------------------------


def _best_each(rows: IntArray, cols: IntArray, score: IntArray) -> dict[int, int]:
    """Each need its best candidate (higher score, then lower volunteer index)."""
    order = np.lexsort((cols, -score, rows))
    chosen: dict[int, int] = {}
    for r, c in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        chosen.setdefault(r, c)
    return chosen


def _solve_component(
    rows: IntArray, cols: IntArray, score: IntArray, capacity: IntArray
) -> tuple[dict[int, int], bool]:
    """Optimal assignment of one component: need index → volunteer index, and whether it took
    the solver."""
    needs = np.unique(rows)
    vols = np.unique(cols)
    local_row = np.searchsorted(needs, rows)
    local_col = np.searchsorted(vols, cols)
    degree = np.bincount(local_col, minlength=len(vols))
    slots = np.minimum(capacity[vols], degree)
    if np.all(slots == degree):  # nobody can be over-asked: no conflict to resolve
        return _best_each(rows, cols, score), False
    n_rows, n_vols = len(needs), len(vols)
    top = int(score.max()) + 1
    # Secondary term: the volunteer's rank, summed over a matching < tie, so it only orders
    # assignments of equal score. Dropped where float64 could no longer hold the sums exactly.
    tie = n_rows * n_vols + 1
    if float(top) * tie * (n_rows + 1) >= 2.0**52:
        tie, local_rank = 1, np.zeros_like(local_col)
    else:
        local_rank = local_col
    edge_cost = (top - score) * tie + local_rank  # > 0
    first_slot = np.concatenate(([0], np.cumsum(slots)[:-1]))
    repeat = slots[local_col]
    total = int(repeat.sum())
    m_rows = np.repeat(local_row, repeat)
    m_cols = np.repeat(first_slot[local_col], repeat) + (
        np.arange(total) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    )
    m_cost = np.repeat(edge_cost, repeat)
    n_slots = int(slots.sum())
    all_rows = np.concatenate((m_rows, np.arange(n_rows)))
    all_cols = np.concatenate((m_cols, n_slots + np.arange(n_rows)))
    all_cost = np.concatenate((m_cost, np.full(n_rows, top * tie))).astype(np.float64)
    matrix = csr_array((all_cost, (all_rows, all_cols)), shape=(n_rows, n_slots + n_rows))
    row_ind, col_ind = min_weight_full_bipartite_matching(matrix)
    owner = np.repeat(np.arange(n_vols), slots)
    chosen: dict[int, int] = {}
    for r, c in zip(row_ind.tolist(), col_ind.tolist(), strict=True):
        if c < n_slots:
            chosen[int(needs[r])] = int(vols[owner[c]])
    return chosen, True


def _result(
    cands: Candidates, chosen: dict[int, int], weights: Weights, **stats: int
) -> MatchResult:
    proposals: list[Proposal] = []
    unmatched: list[Unmatched] = []
    for i, need in enumerate(cands.needs):
        v = chosen.get(i)
        if v is None:
            unmatched.append(Unmatched(need.id, cands.status[i] or CAPACITY_SHORT))
            continue
        volunteer = cands.volunteers[v]
        scored = pair_score(need, volunteer, weights)
        assert scored is not None
        score, reasons = scored
        proposals.append(
            Proposal(need.id, volunteer.id, score, (*reasons, ("free", int(cands.capacity[v]))))
        )
    return MatchResult(proposals, unmatched, candidate_edges=len(cands.score), **stats)


def propose(
    needs: Sequence[NeedSpec],
    volunteers: Sequence[VolunteerSpec],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    k: int = DEFAULT_K,
) -> MatchResult:
    """The assignment of maximum total score over the candidate graph (module docstring)."""
    cands = build_candidates(needs, volunteers, weights=weights, k=k)
    n_needs, n_vols = len(cands.needs), len(cands.volunteers)
    rows, cols, score = cands.need_index, cands.volunteer_index, cands.score
    chosen: dict[int, int] = {}
    components = solved = 0
    if len(score):
        graph = csr_array(
            (np.ones(len(score)), (rows, n_needs + cols)), shape=(n_needs + n_vols,) * 2
        )
        _, label = connected_components(graph, directed=False)
        edge_label = label[rows]
        order = np.argsort(edge_label, kind="stable")
        bounds = np.flatnonzero(np.diff(edge_label[order])) + 1
        for group in np.split(order, bounds):
            components += 1
            part, used_solver = _solve_component(
                rows[group], cols[group], score[group], cands.capacity
            )
            chosen.update(part)
            solved += used_solver
    return _result(cands, chosen, weights, components=components, solved_components=solved)


def greedy(
    needs: Sequence[NeedSpec],
    volunteers: Sequence[VolunteerSpec],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    k: int = DEFAULT_K,
) -> MatchResult:
    """The baseline: urgent needs first, then by id, each takes its best candidate with room left
    (over the same candidate graph as `propose`)."""
    cands = build_candidates(needs, volunteers, weights=weights, k=k)
    room = cands.capacity.copy()
    by_need: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for r, c, s in zip(
        cands.need_index.tolist(), cands.volunteer_index.tolist(), cands.score.tolist(), strict=True
    ):
        by_need[r].append((-s, c))
    order = sorted(
        range(len(cands.needs)), key=lambda i: (not cands.needs[i].urgent, cands.needs[i].id)
    )
    chosen: dict[int, int] = {}
    for i in order:
        for _, c in sorted(by_need.get(i, ())):
            if room[c] > 0:
                room[c] -= 1
                chosen[i] = c
                break
    return _result(cands, chosen, weights)
