"""Generated disputes (with their parties and the steps of the mediation ladder they went up) and
public affairs square sessions (with the departments that answered and the residents'
questions)."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable

from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.core import bulk
from xinkan.demo.names import SURNAMES
from xinkan.mediation.models import Dispute, DisputeType, Party, Source, State, Step, StepRecord
from xinkan.org.models import Department, Level, Unit
from xinkan.square.models import OnSpot, Panelist, Question, QuestionState, SessionState
from xinkan.square.models import Session as SquareSession
from xinkan.square.models import Source as QuestionSource

DISPUTES = [
    (DisputeType.NEIGHBOURS, "楼上漏水殃及楼下，双方就维修费用发生争执"),
    (DisputeType.NEIGHBOURS, "邻居在公共楼道堆放杂物引发纠纷"),
    (DisputeType.FAMILY, "兄弟姐妹就赡养老人费用分担发生争议"),
    (DisputeType.PROPERTY, "业主与物业公司就物业费及服务质量发生纠纷"),
    (DisputeType.LABOUR, "装修工人与雇主就工钱结算发生争议"),
    (DisputeType.CONTRACT, "租客与房东就押金退还发生纠纷"),
    (DisputeType.DAMAGES, "电动车剐蹭行人引发赔偿纠纷"),
    (DisputeType.LAND, "宅基地边界划分不清引发纠纷"),
]
THEMES = [
    "老旧小区改造进展",
    "冬季供暖保障",
    "垃圾分类与环境整治",
    "停车难问题",
    "养老服务与助餐点建设",
    "背街小巷整治",
    "物业管理与服务",
    "就业帮扶与技能培训",
]
QUESTIONS = [
    "我们小区什么时候纳入老旧小区改造？",
    "楼道灯坏了很久，能不能尽快修好？",
    "小区周边停车位太少，有什么解决办法？",
    "社区食堂能不能延长营业时间？",
    "垃圾分类站点离家太远，能否增设？",
    "供暖温度一直不达标，谁来负责？",
    "背街小巷路面坑洼，什么时候修？",
]


def load_disputes(
    root: Unit, n: int, staff: User, *, log: Callable[[str], None], seed: int = 17
) -> tuple[int, float]:
    """Disputes up to `n` in the tree: most settled at the first or second step, some went up to
    the lawyer and the station, a few withdrawn or referred; the recent ones still open."""
    existing = Dispute.objects.filter(unit__path__startswith=root.path).count()
    missing = n - existing
    if missing <= 0:
        log(f"  disputes: {existing:,} present, none to add")
        return 0, 0.0
    started = time.perf_counter()
    rng = random.Random(seed + existing)
    grids = [
        (grid, int(community or 0), int(subdistrict or 0))  # a grid always has both above it
        for grid, community, subdistrict in Unit.objects.filter(
            path__startswith=root.path, level=Level.GRID
        ).values_list("id", "parent_id", "parent__parent_id")
    ]
    now = timezone.now()
    added = 0
    while added < missing:
        size = min(5000, missing - added)
        disputes, parties, steps = [], [], []
        for _ in range(size):
            kind, title = rng.choice(DISPUTES)
            grid, community, subdistrict = rng.choice(grids)
            registered = now - dt.timedelta(days=(rng.random() ** 1.2) * 3 * 365)
            age = (now - registered).days
            step = rng.choices([1, 2, 3, 4], [50, 35, 10, 5])[0]
            state = (
                State.MEDIATING
                if age < 20 and rng.random() < 0.7
                else rng.choices(
                    [State.SETTLED, State.WITHDRAWN, State.REFERRED, State.MEDIATING],
                    [82, 8, 8, 2],
                )[0]
            )
            ended = (
                None
                if state == State.MEDIATING
                else registered + dt.timedelta(days=rng.uniform(1, 30))
            )
            responsible = {1: grid, 2: community, 3: subdistrict, 4: subdistrict}[step]
            dispute = Dispute(
                code_year=registered.year,
                dispute_type=kind,
                source=rng.choice([Source.PATROL, Source.REQUEST, Source.REQUEST, Source.MATTER]),
                title=title,
                unit_id=grid,
                urgency="normal",
                state=state,
                step=step,
                responsible_unit_id=responsible,
                registered_by=staff,
                registered_at=registered,
                ended_at=ended,
                settled_step=step if state == State.SETTLED else None,
                updated_at=ended or registered,
            )
            disputes.append(dispute)
            surname_a, surname_b = rng.sample(SURNAMES, 2)
            for position, surname in enumerate((surname_a, surname_b)):
                parties.append(
                    Party(
                        dispute=dispute,
                        position=position,
                        name=surname + rng.choice(("某", "先生", "女士")),
                        statement="",
                    )
                )
            at = registered
            for level in range(1, step + 1):
                last = level == step
                end = ended if last else at + dt.timedelta(days=rng.uniform(1, 7))
                outcome = (
                    StepRecord.Outcome.ONGOING
                    if last and state == State.MEDIATING
                    else StepRecord.Outcome.SETTLED
                    if last and state == State.SETTLED
                    else StepRecord.Outcome.WITHDRAWN
                    if last and state == State.WITHDRAWN
                    else StepRecord.Outcome.NOT_SETTLED
                )
                steps.append(
                    StepRecord(
                        dispute=dispute,
                        step=Step(level),
                        unit_id={1: grid, 2: community, 3: subdistrict, 4: subdistrict}[level],
                        started_at=at,
                        ended_at=end,
                        outcome=outcome,
                    )
                )
                at = end or at
        bulk.insert(Dispute, disputes)
        for row in parties:
            row.dispute_id = row.dispute.pk
        for record in steps:
            record.dispute_id = record.dispute.pk
        bulk.insert(Party, parties)
        bulk.insert(StepRecord, steps)
        added += size
        log(f"  disputes {added:>9,} / {missing:,}")
    return added, time.perf_counter() - started


def load_square(
    root: Unit, n: int, staff: User, *, log: Callable[[str], None], seed: int = 19
) -> tuple[int, float]:
    """Square sessions of the subdistricts, every other month for three years, each with three
    answering departments and a dozen questions (answered on the spot, a few declined)."""
    existing = SquareSession.objects.filter(unit__path__startswith=root.path).count()
    if existing >= n:
        log(f"  square sessions: {existing:,} present, none to add")
        return 0, 0.0
    started = time.perf_counter()
    rng = random.Random(seed)
    subdistricts = list(
        Unit.objects.filter(path__startswith=root.path, level=Level.SUBDISTRICT).order_by("id")
    )
    communities: dict[int, list[int]] = {}
    for pk, parent in Unit.objects.filter(
        path__startswith=root.path, level=Level.COMMUNITY
    ).values_list("id", "parent_id"):
        communities.setdefault(parent, []).append(pk)
    departments: dict[int, list[int]] = {}
    for pk, unit in Department.objects.filter(unit__path__startswith=root.path).values_list(
        "id", "unit_id"
    ):
        departments.setdefault(unit, []).append(pk)
    now = timezone.now()
    sessions, panelists, questions = [], [], []
    per_unit = max(1, n // max(len(subdistricts), 1))
    for subdistrict in subdistricts:
        district_id = subdistrict.ancestor_ids()[-1]
        for k in range(per_unit):
            starts = now - dt.timedelta(days=60 * (k + 1) - rng.randint(0, 20))
            session = SquareSession(
                theme=f"{subdistrict.name}“{rng.choice(THEMES)}”专题接诉",
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=2),
                place=f"{subdistrict.name}党群服务中心",
                unit=subdistrict,
                state=SessionState.FINISHED,
                attendance=rng.randint(40, 200),
                created_by=staff,
                created_at=starts - dt.timedelta(days=14),
                opened_at=starts - dt.timedelta(days=10),
                started_at=starts,
                finished_at=starts + dt.timedelta(hours=2),
            )
            sessions.append(session)
            chosen = rng.sample(departments.get(district_id, []), 3)
            for department in chosen:
                panelists.append(
                    Panelist(
                        session=session,
                        department_id=department,
                        leader_name=rng.choice(SURNAMES) + "局长",
                    )
                )
            for position in range(rng.randint(8, 16)):
                declined = rng.random() < 0.08
                questions.append(
                    Question(
                        session=session,
                        source=QuestionSource.PORTAL if rng.random() < 0.6 else QuestionSource.LIVE,
                        state=QuestionState.DECLINED if declined else QuestionState.ANSWERED,
                        text=rng.choice(QUESTIONS),
                        asker_name=rng.choice(SURNAMES) + rng.choice(("先生", "女士")),
                        community_id=rng.choice(communities.get(subdistrict.pk, [subdistrict.pk])),
                        position=position,
                        decline_reason="与本场主题无关，已转相关部门。" if declined else "",
                        answer="" if declined else "已安排专人跟进，将按期反馈。",
                        on_spot="" if declined else rng.choice([OnSpot.SOLVED, OnSpot.EXPLAINED]),
                        answered_at=None
                        if declined
                        else starts + dt.timedelta(minutes=10 * position),
                    )
                )
    bulk.insert(SquareSession, sessions)
    for panelist in panelists:
        panelist.session_id = panelist.session.pk
    for question in questions:
        question.session_id = question.session.pk
    bulk.insert(Panelist, panelists)
    bulk.insert(Question, questions)
    log(f"  square: {len(sessions):,} sessions, {len(questions):,} questions")
    return len(sessions) + len(panelists) + len(questions), time.perf_counter() - started
