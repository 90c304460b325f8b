"""Benchmark of the matters feature at realistic scale (run with `manage.py bench_matters`).

Generates a district-sized unit tree and N matters with their deadlines by bulk COPY (PostgreSQL),
then measures, through the same service and selector functions the pages use:

- intake throughput through the service layer (with duplicate lookup, audit, deadlines),
- the duplicate-candidate lookup per intake,
- worklist and search latency (p50/p95) for a community worker, a subdistrict cadre and a leader,
- one deadline sweep over the whole database.

Generated rows are marked by the unit code prefix "BENCH" so that a rerun can reuse them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.core.crypto import blind_index, encrypt
from xinkan.matters import services, text
from xinkan.matters.models import Category, Channel, Deadline, Matter, Stage, State
from xinkan.matters.selectors import (
    MatterFilter,
    Worklist,
    apply_filter,
    next_deadlines,
    with_list_relations,
    worklist,
)
from xinkan.org import benchtree
from xinkan.org import services as org_services
from xinkan.org.models import Level, Unit
from xinkan.org.roles import Role

PREFIX = "BENCH"
SUBDISTRICTS = 12
COMMUNITIES = 10
GRIDS = 6

PROBLEMS = [
    ("property.elevator", "{b}号楼{u}单元电梯坏了{d}天，老人上下楼很困难，物业一直没人来修。"),
    ("property.heating", "{b}号楼{f}层暖气不热，室温只有{t}度，家里有老人孩子，请尽快处理。"),
    ("roads.lights", "{s}{n}号附近的路灯坏了{d}天，晚上出行很不安全。"),
    ("roads.damage", "{s}路面塌陷一个大坑，电动车经过容易摔倒，已经有人受伤。"),
    ("sanitation.waste", "{b}号楼门口垃圾{d}天没人清运，味道很大，招苍蝇。"),
    ("sanitation.noise", "{s}附近工地夜间施工到凌晨{h}点，噪音扰民，影响休息。"),
    ("sanitation.drains", "{b}号楼前下水道堵塞，雨后积水严重，居民进出不便。"),
    ("labour.wages", "在{s}工地干活{d}个月，老板拖欠工资{m}元不给。"),
    ("social.allowance", "家庭困难，申请低保{d}个月了还没有结果，不知道该找哪个部门。"),
    ("roads.parking", "小区门口有车长期占用消防通道，{b}号楼救护车进不来。"),
    ("property.fees", "物业今年物业费每平米涨了{c}毛钱，没有公示，要求说明。"),
    ("safety.fire", "{b}号楼楼道里堆满杂物，堵住了消防通道，存在火灾隐患。"),
]
STREETS = [
    "建设路",
    "胜利路",
    "新华街",
    "文化路",
    "解放路",
    "和平街",
    "光明路",
    "育才街",
    "东风路",
    "中山路",
]
STATE_MIX = [
    (State.RESOLVED, 0.62),
    (State.CONCLUDED, 0.01),
    (State.DECLINED, 0.04),
    (State.MERGED, 0.02),
    (State.REPLIED, 0.08),
    (State.HANDLING, 0.10),
    (State.DISPATCHED, 0.05),
    (State.ACCEPTED, 0.03),
    (State.REGISTERED, 0.04),
    (State.REVIEW, 0.01),
]
CHANNELS = (
    [Channel.PHONE] * 5 + [Channel.ONLINE] * 3 + [Channel.VISIT, Channel.PATROL, Channel.LETTER]
)


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        b=rng.randint(1, 40),
        u=rng.randint(1, 6),
        d=rng.randint(2, 20),
        f=rng.randint(1, 18),
        t=rng.randint(10, 16),
        s=rng.choice(STREETS),
        n=rng.randint(1, 300),
        h=rng.randint(1, 3),
        m=rng.randint(3, 60) * 1000,
        c=rng.randint(2, 9),
    )


def _replied_at(
    state: str, registered: dt.datetime, now: dt.datetime, rng: random.Random
) -> dt.datetime:
    """Answered matters still waiting for a rating were answered within the last 30 days (older ones
    would have been closed by the sweep)."""
    if state == State.REPLIED:
        return now - dt.timedelta(days=rng.uniform(0, 29))
    return registered + dt.timedelta(days=rng.randint(1, 40))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Figures:
    scale: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)

    def timing(self, name: str, samples_ms: list[float], **extra: Any) -> None:
        self.results[name] = {
            "n": len(samples_ms),
            "p50_ms": round(percentile(samples_ms, 50), 2),
            "p95_ms": round(percentile(samples_ms, 95), 2),
            "max_ms": round(max(samples_ms), 2) if samples_ms else 0,
            **extra,
        }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


# --- Data ----------------------------------------------------------------------------------------


def ensure_tree(log: Callable[[str], None]) -> Unit:
    return benchtree.ensure_tree(
        prefix=PREFIX,
        label="基准",
        subdistricts=SUBDISTRICTS,
        communities=COMMUNITIES,
        grids=GRIDS,
        log=log,
    )


def ensure_people(district: Unit) -> dict[str, User]:
    from xinkan.accounts import services as account_services

    people = {}
    community = Unit.objects.get(code=f"{PREFIX}0000")
    subdistrict = Unit.objects.get(code=f"{PREFIX}00")
    for username, role, unit in [
        ("bench_community", Role.COMMUNITY_WORKER, community),
        ("bench_cadre", Role.SUBDISTRICT_CADRE, subdistrict),
        ("bench_leader", Role.LEADER, district),
    ]:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.create_user(
                username=username,
                display_name=username,
                password=secrets.token_urlsafe(16) + "Aa1!",  # random: nobody logs in as it
                by=None,
                must_change_password=False,
            )
        org_services.grant_membership(user=user, role=role, unit=unit, by=None)
        people[username] = user
    return people


def generate(n: int, *, log: Callable[[str], None], seed: int = 7) -> int:
    """Bulk-load `n` matters (and deadlines for open ones) with COPY; returns how many were added."""
    district = Unit.objects.get(code=PREFIX)
    existing = Matter.objects.filter(unit__path__startswith=district.path).count()
    missing = n - existing
    if missing <= 0:
        log(f"{existing} benchmark matters already present.")
        return 0
    rng = random.Random(seed + existing)
    grids = list(
        Unit.objects.filter(path__startswith=district.path, level=Level.GRID).select_related(
            "parent"
        )
    )
    categories = {c.code: c.pk for c in Category.objects.all()}
    pool = []
    for code, template in PROBLEMS:
        for _ in range(40):
            description = _fill(template, rng)
            pool.append((categories[code], description, text.search_text(description)))
    phones = [f"13{rng.randint(100000000, 999999999)}" for _ in range(2000)]
    phone_tokens = {p: (encrypt(p), blind_index(p, "phone")) for p in phones}
    states = [s for s, _w in STATE_MIX]
    weights = [w for _s, w in STATE_MIX]
    now = timezone.now()
    three_years = 3 * 365 * 24 * 3600
    batch = 50_000
    added = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg cursor, for COPY
        while added < missing:
            size = min(batch, missing - added)
            buffer = io.StringIO()
            for _ in range(size):
                category, description, search = rng.choice(pool)
                grid = rng.choice(grids)
                state = rng.choices(states, weights)[0]
                registered = now - dt.timedelta(seconds=rng.random() ** 1.6 * three_years)
                phone = rng.choice(phones)
                token, index = phone_tokens[phone]
                closed = state in {State.RESOLVED, State.CONCLUDED, State.DECLINED, State.MERGED}
                replied = state in {State.REPLIED, State.RESOLVED, State.CONCLUDED, State.REVIEW}
                row = [
                    rng.choice(CHANNELS),
                    state,
                    str(category),
                    description[:40],
                    description,
                    str(grid.pk),
                    str(grid.parent_id),
                    "",
                    "",
                    token,
                    index,
                    "",
                    "",
                    "f",
                    "",
                    "1",
                    registered.isoformat(),
                    (registered + dt.timedelta(hours=6)).isoformat(),
                    (registered + dt.timedelta(hours=2)).isoformat(),
                    (registered + dt.timedelta(days=rng.randint(1, 40))).isoformat()
                    if replied
                    else r"\N",
                    (registered + dt.timedelta(days=rng.randint(2, 50))).isoformat()
                    if closed
                    else r"\N",
                    ("t" if rng.random() < 0.9 else "f") if state == State.RESOLVED else r"\N",
                    rng.choice(["satisfied", "satisfied", "mostly", "dissatisfied"])
                    if state == State.RESOLVED
                    else "",
                    "0",
                    str(1 if rng.random() < 0.05 else 0),
                    "f",
                    search,
                    "1",
                    now.isoformat(),
                ]
                buffer.write(
                    "\t".join(value.replace("\t", " ").replace("\n", " ") for value in row) + "\n"
                )
            buffer.seek(0)
            columns = (
                "channel, state, category_id, title, description, unit_id, handling_unit_id, address, "
                "contact_name, contact_phone, contact_phone_index, id_number, id_number_index, anonymous, "
                "portal_key_index, group_size, registered_at, accepted_at, first_response_at, replied_at, "
                "closed_at, solved, last_rating, review_round, repeat_count, skip_level, search_text, "
                "version, updated_at"
            )
            with raw.copy(f"COPY matters_matter ({columns}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            added += size
            rate = added / (time.perf_counter() - started)
            log(f"  {added:>10,} / {missing:,} matters ({rate:,.0f} rows/s)")
        _generate_deadlines(cursor, district, now)
        # Steady state: what is long overdue was already marked by earlier sweeps; the last 500
        # newly overdue deadlines are left for the measured sweep to process.
        cursor.execute(
            """
            UPDATE matters_deadline SET overdue_at = due_at, reminded_at = warn_at
            WHERE met_at IS NULL AND NOT cancelled AND overdue_at IS NULL AND due_at < %(now)s
              AND id NOT IN (SELECT id FROM matters_deadline WHERE met_at IS NULL AND NOT cancelled
                             AND overdue_at IS NULL AND due_at < %(now)s ORDER BY due_at DESC LIMIT 500)
            """,
            {"now": now},
        )
        cursor.execute("ANALYZE matters_matter; ANALYZE matters_deadline;")
    return added


def _generate_deadlines(cursor: Any, district: Unit, now: dt.datetime) -> None:
    """Open matters get their current deadline; some are due soon or overdue, as in real life."""
    cursor.execute(
        """
        INSERT INTO matters_deadline (matter_id, stage, due_at, warn_at, cancelled, extended_days, created_at)
        SELECT m.id,
               CASE WHEN m.state IN ('registered') THEN 'accept'
                    WHEN m.state = 'replied' THEN 'follow_up'
                    WHEN m.state = 'review' THEN 'review'
                    ELSE 'handle' END,
               %(now)s + ((m.id %% 90) - 15) * interval '1 day',
               %(now)s + ((m.id %% 90) - 17) * interval '1 day',
               false, 0, m.registered_at
        FROM matters_matter m JOIN org_unit u ON u.id = m.unit_id
        WHERE u.path LIKE %(prefix)s
          AND m.state IN ('registered','accepted','dispatched','handling','replied','review')
          AND NOT EXISTS (SELECT 1 FROM matters_deadline d WHERE d.matter_id = m.id)
        """,
        {"now": now, "prefix": district.path + "%"},
    )


# --- Measurements --------------------------------------------------------------------------------


def measure(figures: Figures, *, intakes: int, samples: int, log: Callable[[str], None]) -> None:
    import logging

    logging.getLogger("xinkan.matters.services.notify").setLevel(logging.WARNING)
    district = Unit.objects.get(code=PREFIX)
    people = ensure_people(district)
    rng = random.Random(99)
    grids = list(
        Unit.objects.filter(
            path__startswith=f"{Unit.objects.get(code=f'{PREFIX}0000').path}", level=Level.GRID
        )
    )
    categories = {c.code: c for c in Category.objects.all()}
    figures.scale["matters"] = Matter.objects.count()
    figures.scale["units"] = Unit.objects.filter(path__startswith=district.path).count()

    log("Intake through the service layer …")
    intake_ms: list[float] = []
    lookup_ms: list[float] = []
    from xinkan.matters.services import intake as intake_module

    start = time.perf_counter()
    for i in range(intakes):
        code, template = rng.choice(PROBLEMS)
        description = _fill(template, rng)
        data = services.Intake(
            channel=Channel.PHONE,
            category=categories[code],
            description=description,
            unit=rng.choice(grids),
            contact_name="基准居民",
            contact_phone=f"15{rng.randint(100000000, 999999999)}",
        )
        elapsed, result = timed(
            partial(services.register_matter, data, by=people["bench_community"])
        )
        intake_ms.append(elapsed)
        if i < samples:
            matter = result.matter
            t1, _ = timed(
                partial(intake_module._same_person_match, data, intake_module.OPEN_STATES)
            )
            t2, _ = timed(partial(intake_module.find_candidates, matter))
            lookup_ms.append(t1 + t2)
    total = time.perf_counter() - start
    figures.timing("intake_service", intake_ms, per_second=round(intakes / total, 1))
    figures.timing("duplicate_lookup_per_intake", lookup_ms)

    log("Worklists and search …")
    for username in ("bench_community", "bench_cadre", "bench_leader"):
        user = User.objects.get(username=username)
        for list_name in (
            Worklist.TO_ACCEPT,
            Worklist.TO_HANDLE,
            Worklist.OVERDUE,
            Worklist.ALL_OPEN,
        ):
            page_ms: list[float] = []
            count = 0
            for _ in range(max(samples // 4, 5)):
                elapsed, count = timed(partial(_worklist_page, user, list_name))
                page_ms.append(elapsed)
            figures.timing(f"worklist.{username}.{list_name}", page_ms, rows=count)
        search_ms: list[float] = []
        for _ in range(max(samples // 4, 5)):
            query = rng.choice(
                ["电梯 坏了", "路灯", "拖欠工资", "暖气不热", "消防通道", "垃圾清运"]
            )
            elapsed, _ = timed(partial(_search_page, user, query))
            search_ms.append(elapsed)
        figures.timing(f"search.{username}", search_ms)

    log("Deadline sweep over the whole database …")
    open_deadlines = Deadline.objects.filter(met_at__isnull=True, cancelled=False).count()
    elapsed, report = timed(services.sweep_all)
    processed = report.reminded + report.overdue + report.closed
    figures.results["sweep_all"] = {
        "ms": round(elapsed, 1),
        "open_deadlines": open_deadlines,
        "report": str(report),
        "facts_per_second": round(processed / (elapsed / 1000), 1) if processed else None,
    }
    elapsed, report = timed(services.sweep_all)
    figures.results["sweep_all_nothing_due"] = {"ms": round(elapsed, 1), "report": str(report)}


def _worklist_page(user: User, list_name: str) -> int:
    """What the worklist page does: the first 25 rows, their next deadlines, and the count (capped
    as the page caps it)."""
    from xinkan.core.paging import LIST_CAP, capped_count

    matters = with_list_relations(worklist(user, list_name)).order_by("-registered_at", "-id")
    rows = list(matters[:25])
    next_deadlines(rows)
    return capped_count(matters, LIST_CAP)[0]


def _search_page(user: User, query: str) -> int:
    matters = apply_filter(worklist(user, Worklist.ALL), MatterFilter(query=query))
    return len(list(with_list_relations(matters).order_by("-registered_at", "-id")[:25]))


def save(figures: Figures) -> Path:
    folder = Path(settings.VAR_DIR) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"matters-{timezone.now():%Y%m%d-%H%M%S}.json"
    path.write_text(
        json.dumps(
            {"scale": figures.scale, "results": figures.results}, ensure_ascii=False, indent=2
        )
    )
    return path


def table(figures: Figures) -> str:
    lines = [
        f"Scale: {figures.scale}",
        f"{'measure':<46} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} extra",
    ]
    for name, value in figures.results.items():
        if "p50_ms" in value:
            extra = {k: v for k, v in value.items() if k not in {"n", "p50_ms", "p95_ms", "max_ms"}}
            lines.append(
                f"{name:<46} {value['n']:>6} {value['p50_ms']:>9} {value['p95_ms']:>9} {extra or ''}"
            )
        else:
            lines.append(f"{name:<46} {value}")
    return "\n".join(lines)


__all__ = ["Figures", "Stage", "ensure_tree", "generate", "measure", "save", "table"]
