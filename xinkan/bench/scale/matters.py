"""Generated matters with their history: three years, seasonal problems, states by age, plausible
response and resolution times, ratings, repeats and departments; then their replies, follow-ups,
open deadlines and timeline events, each by one set-based statement."""

from __future__ import annotations

import bisect
import datetime as dt
import io
import math
import random
import time
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Any

from django.db import connection
from django.utils import timezone

from xinkan.bench.scale.texts import CHANNELS, PROBLEMS, STREETS, fill
from xinkan.core.crypto import blind_index, encrypt
from xinkan.demo.names import SURNAMES
from xinkan.matters import text
from xinkan.matters.models import Category, Matter, State
from xinkan.org.models import Unit

GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国志红玉梅兵鹏辉玲丹萍斌宇浩凯健俊"
CLOSED = {State.RESOLVED, State.CONCLUDED, State.DECLINED, State.MERGED}
ANSWERED = {State.REPLIED, State.RESOLVED, State.CONCLUDED, State.REVIEW}
DISPATCHED = {
    State.DISPATCHED,
    State.HANDLING,
    State.REPLIED,
    State.RESOLVED,
    State.REVIEW,
    State.CONCLUDED,
}
# The state a matter is in, by its age: new ones are open, old ones mostly closed.
STATES_BY_AGE: list[tuple[float, list[tuple[str, float]]]] = [
    (
        1,
        [
            (State.REGISTERED, 35),
            (State.ACCEPTED, 20),
            (State.DISPATCHED, 25),
            (State.HANDLING, 20),
        ],
    ),
    (
        15,
        [
            (State.REGISTERED, 3),
            (State.ACCEPTED, 5),
            (State.DISPATCHED, 10),
            (State.HANDLING, 35),
            (State.REPLIED, 25),
            (State.RESOLVED, 19),
            (State.DECLINED, 3),
        ],
    ),
    (
        45,
        [
            (State.DISPATCHED, 1),
            (State.HANDLING, 8),
            (State.REPLIED, 7),
            (State.REVIEW, 1),
            (State.RESOLVED, 76),
            (State.DECLINED, 4),
            (State.MERGED, 2),
            (State.CONCLUDED, 1),
        ],
    ),
    (
        math.inf,
        [
            (State.HANDLING, 1),
            (State.RESOLVED, 88),
            (State.DECLINED, 5),
            (State.MERGED, 3),
            (State.CONCLUDED, 3),
        ],
    ),
]
RATINGS = [("satisfied", 68), ("mostly", 17), ("dissatisfied", 10), ("", 5)]
COLUMNS = (
    "channel, state, category_id, title, description, unit_id, handling_unit_id, "
    "lead_department_id, address, contact_name, contact_phone, contact_phone_index, id_number, "
    "id_number_index, anonymous, portal_key_index, group_size, registered_at, accepted_at, "
    "first_response_at, replied_at, closed_at, solved, last_rating, review_round, repeat_count, "
    "skip_level, search_text, version, updated_at, extra"
)
NULL = r"\N"


def _seasonal_weight(code: str, month: int) -> float:
    """Heating in winter, noise and drains in summer, unpaid wages before the Spring Festival."""
    if code == "property.heating":
        return 6.0 if month in (11, 12, 1, 2, 3) else 0.15
    if code == "sanitation.noise":
        return 2.0 if month in (5, 6, 7, 8, 9) else 1.0
    if code == "sanitation.drains":
        return 3.0 if month in (6, 7, 8) else 0.8
    if code == "labour.wages":
        return 3.0 if month in (12, 1) else 1.0
    return 1.0


class _Chooser:
    def __init__(self, weighted: Sequence[tuple[Any, float]]) -> None:
        self.values = [value for value, _w in weighted]
        self.cumulative = list(accumulate(weight for _v, weight in weighted))

    def __call__(self, rng: random.Random) -> Any:
        point = rng.random() * self.cumulative[-1]
        return self.values[bisect.bisect_right(self.cumulative, point)]


class MatterRows:
    """Makes the tab-separated COPY lines of generated matters."""

    def __init__(
        self,
        grids: list[tuple[int, int, int]],
        departments: dict[int, dict[str, int]],
        rng: random.Random,
        now: dt.datetime,
        years: float = 3.0,
    ) -> None:
        self.grids = grids
        self.departments = departments
        self.rng = rng
        self.now = now
        self.span = years * 365 * 86400
        categories = {c.code: c.pk for c in Category.objects.all()}
        self.texts: dict[str, list[tuple[str, str]]] = {}
        for code, template in PROBLEMS:
            variants = []
            for _ in range(150):
                description = fill(template, rng)
                variants.append((description, text.search_text(description)))
            self.texts[code] = variants
        self.category = {code: categories[code] for code, _t in PROBLEMS}
        self.problems_in = {
            month: _Chooser([(code, _seasonal_weight(code, month)) for code, _t in PROBLEMS])
            for month in range(1, 13)
        }
        self.states_by_age = [(limit, _Chooser(mix)) for limit, mix in STATES_BY_AGE]
        self.rating = _Chooser(RATINGS)
        # Residents who call again and again: a pool of phones, some far more active.
        phones = [f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}" for _ in range(5000)]
        self.phones = [(encrypt(p), blind_index(p, "phone")) for p in phones]
        self.channels = CHANNELS

    def _state(self, age_days: float) -> str:
        for limit, chooser in self.states_by_age:
            if age_days < limit:
                state: str = chooser(self.rng)
                return state
        raise AssertionError("unreachable")

    def line(self) -> str:
        rng = self.rng
        now = self.now
        # More matters lately (a platform in use grows): density rising toward now.
        registered = now - dt.timedelta(seconds=(rng.random() ** 1.25) * self.span)
        age_days = (now - registered).total_seconds() / 86400
        code = self.problems_in[registered.month](rng)
        description, search = rng.choice(self.texts[code])
        grid, community, district = rng.choice(self.grids)
        state = self._state(age_days)
        department = ""
        handling_unit = community
        if state in DISPATCHED and rng.random() < 0.55:
            department = str(self.departments[district][_department_code(code)])
        accepted = registered + dt.timedelta(minutes=rng.uniform(5, 180))
        first_response = registered + dt.timedelta(hours=rng.lognormvariate(math.log(2), 0.7))
        replied = closed = None
        if state in ANSWERED:
            if state == State.REPLIED:  # still waiting for its rating: answered lately
                replied = now - dt.timedelta(days=rng.uniform(0, min(age_days, 29)))
            else:
                days = min(rng.lognormvariate(math.log(4), 0.8), 60.0, age_days * 0.8)
                replied = registered + dt.timedelta(days=days)
        if state in {State.RESOLVED, State.CONCLUDED} and replied is not None:
            closed = min(replied + dt.timedelta(days=rng.uniform(0.5, 7)), now)
        elif state == State.DECLINED:
            closed = min(registered + dt.timedelta(days=rng.uniform(0.2, 3)), now)
        elif state == State.MERGED:
            closed = min(registered + dt.timedelta(hours=rng.uniform(1, 48)), now)
        rating = self.rating(rng) if state == State.RESOLVED else ""
        phone, phone_index = rng.choice(self.phones)
        anonymous = rng.random() < 0.03
        name = (
            ""
            if anonymous
            else rng.choice(SURNAMES) + rng.choice(("先生", "女士", rng.choice(GIVEN)))
        )
        row = [
            rng.choice(self.channels),
            state,
            str(self.category[code]),
            description[:40],
            description,
            str(grid),
            str(handling_unit),
            department or NULL,
            f"{rng.choice(STREETS)}{rng.randint(1, 300)}号",
            name,
            "" if anonymous else phone,
            "" if anonymous else phone_index,
            "",
            "",
            "t" if anonymous else "f",
            "",
            str(1 if rng.random() > 0.02 else rng.randint(2, 30)),
            registered.isoformat(),
            accepted.isoformat() if state != State.REGISTERED else NULL,
            first_response.isoformat() if state != State.REGISTERED else NULL,
            replied.isoformat() if replied else NULL,
            closed.isoformat() if closed else NULL,
            ("t" if rng.random() < 0.9 else "f") if state == State.RESOLVED else NULL,
            rating,
            "1" if state in {State.REVIEW, State.CONCLUDED} else "0",
            str(rng.choice((1, 1, 2, 3))) if rng.random() < 0.07 else "0",
            "t" if rng.random() < 0.01 else "f",
            search,
            "1",
            (closed or replied or registered).isoformat(),
            "{}",
        ]
        return "\t".join(row) + "\n"


def _department_code(category_code: str) -> str:
    from xinkan.bench.scale.tree import DEPARTMENT_FOR

    return DEPARTMENT_FOR.get(category_code.split(".", 1)[0], "CGJ")


def load_matters(
    root: Unit,
    grids: list[tuple[int, int, int]],
    departments: dict[int, dict[str, int]],
    n: int,
    *,
    log: Callable[[str], None],
    seed: int = 7,
    batch: int = 50_000,
) -> tuple[int, float]:
    """Add matters until the subtree of `root` has `n`; returns (rows added, seconds)."""
    existing = Matter.objects.filter(unit__path__startswith=root.path).count()
    missing = n - existing
    if missing <= 0:
        log(f"  matters: {existing:,} present, none to add")
        return 0, 0.0
    now = timezone.now()
    rows = MatterRows(grids, departments, random.Random(seed + existing), now)
    added = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        while added < missing:
            size = min(batch, missing - added)
            buffer = io.StringIO()
            for _ in range(size):
                buffer.write(rows.line())
            with raw.copy(f"COPY matters_matter ({COLUMNS}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            added += size
            elapsed = time.perf_counter() - started
            log(f"  matters {added:>11,} / {missing:,}  ({added / elapsed:,.0f} rows/s)")
    return added, time.perf_counter() - started


def complete_history(root: Unit, by_id: int, *, log: Callable[[str], None]) -> None:
    """Replies, follow-ups, open deadlines and timeline events of the generated matters, where
    missing (idempotent: each statement skips matters that already have theirs)."""
    params: dict[str, Any] = {"by": by_id, "prefix": root.path + "%", "now": timezone.now()}
    in_tree = "m.unit_id IN (SELECT id FROM org_unit WHERE path LIKE %(prefix)s)"
    # Table names and SQL from the code; the values are parameters.
    statements = [
        (
            "replies",
            "matters_reply",
            f"""
            INSERT INTO matters_reply (matter_id, round, outcome, text, by_id, department_id, unit_id, at)
            SELECT m.id, 0, 'supported', '经核实，已按诉求处理完毕，感谢您的反映。', %(by)s,
                   m.lead_department_id, m.handling_unit_id, m.replied_at
            FROM matters_matter m
            WHERE {in_tree} AND m.replied_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM matters_reply r WHERE r.matter_id = m.id)
            """,  # noqa: S608 - table names from the code, values are parameters
        ),
        (
            "follow-ups",
            "matters_followup",
            f"""
            INSERT INTO matters_followup (matter_id, reply_id, rating, comment, contacted, by_id,
                                          by_resident, at)
            SELECT m.id, r.id, m.last_rating, '', (m.id %% 10) <> 0, %(by)s, false,
                   GREATEST(r.at, COALESCE(m.closed_at, r.at))
            FROM matters_matter m JOIN matters_reply r ON r.matter_id = m.id AND r.round = 0
            WHERE {in_tree} AND m.last_rating <> ''
              AND NOT EXISTS (SELECT 1 FROM matters_followup f WHERE f.matter_id = m.id)
            """,  # noqa: S608 - table names from the code, values are parameters
        ),
        (
            "open deadlines",
            "matters_deadline",
            f"""
            INSERT INTO matters_deadline (matter_id, stage, due_at, warn_at, cancelled,
                                          extended_days, created_at, overdue_at, reminded_at)
            SELECT m.id, s.stage, s.due, s.due - interval '2 days', false, 0, m.registered_at,
                   CASE WHEN s.due < %(now)s - interval '1 hour' THEN s.due END,
                   CASE WHEN s.due - interval '2 days' < %(now)s THEN s.due - interval '2 days' END
            FROM matters_matter m
            CROSS JOIN LATERAL (SELECT
                CASE WHEN m.state = 'registered' THEN 'accept'
                     WHEN m.state = 'replied' THEN 'follow_up'
                     WHEN m.state = 'review' THEN 'review'
                     ELSE 'handle' END AS stage,
                CASE WHEN m.state = 'registered' THEN m.registered_at + interval '1 day'
                     WHEN m.state = 'replied' THEN m.replied_at + interval '7 days'
                     ELSE m.registered_at + interval '15 days' END AS due) s
            WHERE {in_tree}
              AND m.state IN ('registered','accepted','dispatched','handling','replied','review')
              AND NOT EXISTS (SELECT 1 FROM matters_deadline d WHERE d.matter_id = m.id)
            """,  # noqa: S608 - table names from the code, values are parameters
        ),
        (
            "timeline events",
            "matters_matterevent",
            f"""
            INSERT INTO matters_matterevent (matter_id, at, actor_id, actor_label, action,
                                             from_state, to_state, note, data, public)
            SELECT m.id, e.at, NULL, '', e.action, e.from_state, e.to_state, '', '{{}}'::jsonb, e.public
            FROM matters_matter m
            CROSS JOIN LATERAL (VALUES
                (m.registered_at, 'registered', '', 'registered', true),
                (m.replied_at, 'replied', 'handling', 'replied', true),
                (m.closed_at, CASE WHEN m.state = 'resolved' THEN 'rated' ELSE m.state END,
                 CASE WHEN m.state IN ('resolved', 'concluded') THEN 'replied' ELSE 'registered' END,
                 m.state, true)
            ) AS e(at, action, from_state, to_state, public)
            WHERE {in_tree} AND e.at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM matters_matterevent x WHERE x.matter_id = m.id)
            """,  # noqa: S608 - table names from the code, values are parameters
        ),
    ]
    with connection.cursor() as cursor:
        for name, table, sql in statements:
            started = time.perf_counter()
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
            if not cursor.fetchone()[0]:
                # An empty table: nothing to skip. (With its statistics saying "empty" PostgreSQL
                # plans the NOT EXISTS as a nested loop over a sequential scan of the table, which
                # the statement itself fills: quadratic — 40 minutes for a tenth of the events.)
                sql = "\n".join(line for line in sql.splitlines() if "NOT EXISTS" not in line)
            else:
                cursor.execute(f"ANALYZE {table}")
            cursor.execute(sql, params)
            elapsed = time.perf_counter() - started
            log(f"  {name}: {cursor.rowcount:,} rows in {elapsed:.1f} s")
        cursor.execute(
            "ANALYZE matters_matter; ANALYZE matters_reply; ANALYZE matters_followup; "
            "ANALYZE matters_deadline; ANALYZE matters_matterevent;"
        )
