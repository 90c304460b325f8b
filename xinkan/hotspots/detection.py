"""Finding hot spots: many residents of one area raising the same kind of problem at once.

1. Read the matters registered in the last two windows (30 days now and the 30 before, for
   growth), except declined ones and proactive ones (what staff raised is not a complaint), in one
   query by `registered_at` (indexed).
2. Group them by area and category. The area is the community: its grids are neighbours, and two
   communities are never merged (the unit tree holds no adjacency between grids, so the grids of
   one community are the neighbourhood it knows). Matters placed above community level form
   their own area.
3. Cluster each group by the duplicate finder's text similarity (xinkan/matters/text.py), across
   places: the lifts of building 3 and building 5 are one kind of problem in one neighbourhood.
   Features are computed once per matter; every pair of a group is compared (a few µs each), the
   group capped at the newest `CAP_PER_WINDOW` matters of each window. Clusters are stars: the
   matter similar to the most others of the group is a centre, it takes its similar matters, and
   so on; a matter left over joins the cluster it is similar to at least two members of. Every
   member is thus close to the centre or to two members: no chains of loosely similar texts.
4. Count who raised them: distinct residents (the archive entry, the phone's or ID number's
   keyed hash — matters sharing any of them are one person), and anonymous reports separately,
   each as one; what staff found on patrol is no resident's complaint and counts as neither. A
   cluster of at least `MIN_PEOPLE` people in the current window is a hot spot.
5. Rank: people, plus the growth over the previous window when it grew (a problem that is new
   this month outranks a chronic one of the same size).

Cost on PostgreSQL with 100,000 matters (docs/metrics.md §9): 2–5 seconds, so a periodic job
stores the result (xinkan/hotspots/services.py) and the pages read it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from xinkan.matters import text
from xinkan.matters.models import Channel, Matter, State
from xinkan.matters.services.intake import CANDIDATE_THRESHOLD, comparable_text
from xinkan.org.models import Level, Unit

WINDOW_DAYS = 30
# The duplicate finder's candidate threshold (chosen on tests/matters/data/duplicate_pairs.json),
# applied across places.
THRESHOLD = CANDIDATE_THRESHOLD
MIN_PEOPLE = 3
CAP_PER_WINDOW = 250
KEYWORDS = 4


@dataclass
class Report:
    """One matter as detection sees it."""

    pk: int
    unit_id: int
    registered_at: dt.datetime
    current: bool
    identities: tuple[str, ...]
    features: Any = None
    anonymous: bool = False


@dataclass
class Cluster:
    area_id: int
    category_id: int
    members: list[Report]
    center: Report
    size: int
    previous: int
    residents: int
    anonymous: int
    places: int
    first_at: dt.datetime
    last_at: dt.datetime
    keywords: list[str]
    capped: bool

    @property
    def people(self) -> int:
        return self.residents + self.anonymous

    @property
    def growth(self) -> int:
        return self.size - self.previous

    @property
    def score(self) -> float:
        return float(self.people + max(self.growth, 0))

    @property
    def key(self) -> str:
        return f"{self.area_id}:{self.category_id}:{min(m.pk for m in self.members)}"

    @property
    def current_members(self) -> list[Report]:
        return [m for m in self.members if m.current]


@dataclass
class Detection:
    clusters: list[Cluster]
    window_start: dt.datetime
    window_end: dt.datetime
    matters: int = 0
    groups: int = 0
    pairs: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def areas(unit_ids: Iterable[int]) -> dict[int, int]:
    """Each unit's area: the community it lies in (itself if it is one), else the unit itself.
    One query for the units and one for the communities among their ancestors."""
    rows = list(Unit.objects.filter(pk__in=set(unit_ids)).values_list("pk", "level", "path"))
    ancestors = {int(part) for _pk, _level, path in rows for part in path.strip("/").split("/")}
    communities = set(
        Unit.objects.filter(pk__in=ancestors, level=Level.COMMUNITY).values_list("pk", flat=True)
    )
    found = {}
    for pk, _level, path in rows:
        ids = [int(part) for part in path.strip("/").split("/")]
        found[pk] = next((i for i in reversed(ids) if i in communities), pk)
    return found


def _identities(resident_id: int | None, phone_index: str, id_index: str) -> tuple[str, ...]:
    """What tells the person apart: the archive entry, the phone's and the ID number's keyed
    hashes. None for an anonymous report (its portal key is a receipt, not a person)."""
    keys = []
    if resident_id:
        keys.append(f"r{resident_id}")
    if phone_index:
        keys.append(f"p{phone_index}")
    if id_index:
        keys.append(f"i{id_index}")
    return tuple(keys)


def count_people(reports: Sequence[Report]) -> tuple[int, int]:
    """(distinct residents, anonymous reports): matters sharing any identity are one person (a
    resident known by the archive on one matter and by phone on the next); each anonymous report
    counts as one. What staff found on patrol, without a resident, counts as neither."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    anonymous = 0
    for report in reports:
        if not report.identities:
            anonymous += int(report.anonymous)
            continue
        first = find(report.identities[0])
        for other in report.identities[1:]:
            parent[find(other)] = first
    roots = {find(r.identities[0]) for r in reports if r.identities}
    return len(roots), anonymous


def cluster(
    reports: Sequence[Report], *, threshold: float = THRESHOLD
) -> tuple[list[list[int]], int]:
    """Star clusters (indexes into `reports`, the centre first) of at least two members, and the
    number of pairs compared."""
    n = len(reports)
    neighbours: list[dict[int, float]] = [{} for _ in range(n)]
    feats = [r.features for r in reports]
    for i in range(n):
        fi = feats[i]
        for j in range(i + 1, n):
            score = text.similarity(fi, feats[j], across_places=True)
            if score >= threshold:
                neighbours[i][j] = score
                neighbours[j][i] = score
    pairs = n * (n - 1) // 2
    free = {i for i in range(n) if neighbours[i]}
    clusters: list[list[int]] = []
    while free:
        # The centre: most free neighbours, then the closest ones; the newest on a tie.
        center = max(
            free,
            key=lambda i: (
                len(neighbours[i].keys() & free),
                sum(s for j, s in neighbours[i].items() if j in free),
                -i,
            ),
        )
        members = sorted(neighbours[center].keys() & free)
        if not members:
            break
        clusters.append([center, *members])
        free -= {center, *members}
    assigned = {i: c for c, members in enumerate(clusters) for i in members}
    for i in range(n):
        if i in assigned or not neighbours[i]:
            continue
        links = Counter(assigned[j] for j in neighbours[i] if j in assigned)
        if links:
            best, count = max(links.items(), key=lambda item: (item[1], -item[0]))
            if count >= 2:
                clusters[best].append(i)
    return clusters, pairs


def _keywords(members: Sequence[Report]) -> list[str]:
    """The concepts (xinkan/matters/text.py CONCEPTS) at least half of the members name."""
    counts: Counter[str] = Counter()
    for member in members:
        counts.update(
            key[1:]
            for key in member.features
            if key.startswith("#") and not key[1:].replace(".", "").isdigit()  # not "#3"
        )
    half = max(1, (len(members) + 1) // 2)
    concepts = [(count, key) for key, count in counts.items() if count >= half]
    concepts.sort(key=lambda item: (-item[0], item[1]))
    return [key for _count, key in concepts[:KEYWORDS]]


def detect(
    *,
    now: dt.datetime | None = None,
    window_days: int = WINDOW_DAYS,
    units: Q | None = None,
    threshold: float = THRESHOLD,
    min_people: int = MIN_PEOPLE,
    cap: int = CAP_PER_WINDOW,
) -> Detection:
    """The hot spots of the matters placed in `units` (a Q on Matter, e.g. a scope's; all when
    None) in the window ending `now`, best first."""
    started = time.perf_counter()
    end = now or timezone.now()
    window = dt.timedelta(days=window_days)
    start = end - window
    matters = Matter.objects.filter(registered_at__gte=start - window, registered_at__lt=end)
    if units is not None:
        matters = matters.filter(units)
    rows = list(
        matters.exclude(state=State.DECLINED)
        .exclude(channel=Channel.PROACTIVE)
        .order_by("-registered_at", "-pk")
        .values_list(
            "pk",
            "unit_id",
            "category_id",
            "title",
            "description",
            "registered_at",
            "resident_id",
            "contact_phone_index",
            "id_number_index",
            "anonymous",
        )
    )
    read = time.perf_counter()
    area_of = areas({row[1] for row in rows})
    grouped: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    kept: Counter[tuple[int, int, bool]] = Counter()
    capped: set[tuple[int, int]] = set()
    for row in rows:  # newest first: a capped group keeps its newest matters of each window
        group = (area_of[row[1]], row[2])
        recent = row[5] >= start
        if kept[(*group, recent)] >= cap:
            capped.add(group)
            continue
        kept[(*group, recent)] += 1
        grouped[group].append(row)
    groups: dict[tuple[int, int], list[Report]] = {}
    for group, group_rows in grouped.items():
        if kept[(*group, True)] < min_people:
            continue  # too few reports now to make a hot spot, however similar
        groups[group] = [
            Report(
                pk,
                unit_id,
                at,
                at >= start,
                _identities(resident, phone, id_index),
                text.features(comparable_text(title, description)),
                anonymous,
            )
            for pk, unit_id, _c, title, description, at, resident, phone, id_index, anonymous in (
                group_rows
            )
        ]
    featured = time.perf_counter()

    found: list[Cluster] = []
    pairs = 0
    for (area_id, category_id), reports in groups.items():
        indexes, compared = cluster(reports, threshold=threshold)
        pairs += compared
        for members_at in indexes:
            members = [reports[i] for i in members_at]
            current = [m for m in members if m.current]
            if not current:
                continue
            residents, anonymous = count_people(current)
            if residents + anonymous < min_people:
                continue
            center = next((m for m in members if m.current), members[0])
            found.append(
                Cluster(
                    area_id=area_id,
                    category_id=category_id,
                    members=members,
                    center=center,
                    size=len(current),
                    previous=len(members) - len(current),
                    residents=residents,
                    anonymous=anonymous,
                    places=len({m.unit_id for m in current}),
                    first_at=min(m.registered_at for m in current),
                    last_at=max(m.registered_at for m in current),
                    keywords=_keywords(current),
                    capped=(area_id, category_id) in capped,
                )
            )
    found.sort(key=lambda c: (-c.score, -c.people, -c.size, -c.last_at.timestamp(), c.key))
    return Detection(
        clusters=found,
        window_start=start,
        window_end=end,
        matters=len(rows),
        groups=len(groups),
        pairs=pairs,
        seconds={
            "read": read - started,
            "features": featured - read,
            "cluster": time.perf_counter() - featured,
        },
    )
