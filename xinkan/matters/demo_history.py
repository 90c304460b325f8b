"""Demo: twelve months of matters across the demo district, so that every chart of the performance
dashboard has a shape and the hot spots have weeks to compare with.

The seasons of a northern Chinese district: heating complaints from the start of the heating
season (mid-November) to March, wage arrears before the Spring Festival, blocked drains, leaking
roofs and flooded roads in the July–August rains, noise on summer evenings, broken street lights
in the long winter nights. Satisfaction improves over the year, less so in the heating season.

Each matter goes through the services as it would have on its days — registered, handled by the
subdistrict or dispatched to 住建局, answered, rated, sometimes reviewed — with Django's clock
(`timezone.now`) moved to each moment, as the tests' time-machine does: its history rows,
deadlines, follow-ups and audit entries carry those days. Matters of the last days stay open.

Idempotent: each matter has the idempotency key "demo:history:<n>"; a second run skips them all
after one query.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import secrets
from collections.abc import Iterator, Mapping
from typing import Any
from unittest import mock

from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.matters import services
from xinkan.matters.models import Category, Channel, Matter, Outcome, Rating, State
from xinkan.org.models import Department, Level, Unit
from xinkan.org.roles import Role

DISTRICT = "139901"
KEY = "demo:history:"
# Matters registered in each calendar month (the district's 12 communities).
PER_MONTH = {1: 24, 2: 18, 3: 16, 4: 12, 5: 13, 6: 18, 7: 24, 8: 21, 9: 13, 10: 15, 11: 25, 12: 28}
# Matters of the last days are still being worked on.
OPEN_DAYS = 8

_HEATING = {11: 8, 12: 12, 1: 12, 2: 9, 3: 5}
_RAINS = {6: 3, 7: 7, 8: 6}
_SUMMER = {5: 3, 6: 4, 7: 4, 8: 4, 9: 3}
_WINTER_NIGHTS = {10: 2.5, 11: 3, 12: 3, 1: 3, 2: 2.5}
_NEW_YEAR = {12: 4, 1: 5, 2: 3}
_THAW = {3: 3, 4: 3}
# category: (weight by calendar month, default weight, descriptions)
TOPICS: dict[str, tuple[Mapping[int, float], float, list[str]]] = {
    "property.heating": (
        _HEATING,
        0.3,
        [
            "{b}号楼暖气不热，室温只有{t}度，家里有老人孩子。",
            "暖气片上面热下面凉，屋里冷得穿棉袄，{b}号楼{f}层。",
            "供暖以后{b}号楼温度一直上不来，找物业说在排查。",
            "家里暖气不热，孩子冻感冒了，请尽快派人来看看。",
        ],
    ),
    "sanitation.drains": (
        _RAINS,
        1,
        [
            "{b}号楼前下水道堵塞，雨后积水没过脚面。",
            "下水管返水，一楼卫生间往外冒污水，{b}号楼。",
            "雨下大了小区路面积水，{b}号楼门口进不去人。",
        ],
    ),
    "housing.repair": (
        _RAINS,
        1,
        ["顶楼漏雨，墙皮脱落，{b}号楼{f}层。", "下雨天屋面渗水，家里天花板发霉了。"],
    ),
    "sanitation.noise": (
        _SUMMER,
        1.2,
        [
            "广场舞音响太大声，晚上九点以后还在跳。",
            "{s}附近工地夜间施工，噪音扰民，睡不好觉。",
            "楼下烧烤店营业到凌晨，又吵又有油烟。",
        ],
    ),
    "sanitation.waste": (
        {},
        2,
        ["{b}号楼门口垃圾{d}天没人清运，味道很大。", "楼后绿化带有人乱倒建筑垃圾。"],
    ),
    "roads.lights": (
        _WINTER_NIGHTS,
        1.2,
        ["{s}路灯不亮已经{d}天，晚上出行摸黑。", "楼道声控灯坏了，晚上上楼看不见。"],
    ),
    "roads.damage": (_THAW, 1, ["{s}路面塌陷一个大坑，电动车经过容易摔倒。"]),
    "roads.parking": ({}, 1.5, ["小区门口有车长期占用消防通道。", "地锁占了公共车位，没法停车。"]),
    "labour.wages": (
        _NEW_YEAR,
        0.8,
        ["在{s}工地干活{d}个月，老板拖欠工资{m}元。", "装修队拖欠工钱，快过年了还没给。"],
    ),
    "social.allowance": (
        {},
        1.2,
        ["申请低保{d}个月了还没有结果。", "临时救助金申请后一直没有消息。"],
    ),
    "social.elderly": (
        {},
        1.2,
        ["独居老人想申请社区助餐服务。", "老人行动不便，想了解居家养老服务。"],
    ),
    "property.fees": ({}, 0.8, ["物业费上涨没有公示，要求说明收费依据。"]),
    "neighbours": (
        {},
        1.2,
        ["楼上邻居装修每天早上七点就开始砸墙。", "邻居在楼道堆放杂物，协商不成。"],
    ),
    "safety.fire": ({11: 2, 12: 2, 1: 2}, 0.8, ["楼道里电动车飞线充电，存在火灾隐患。"]),
}
# Dispatched to 住建局 (the one department with a demo handler); the rest the unit handles.
TO_DEPARTMENT = {"property.heating", "housing.repair", "property.fees"}
STREETS = ["建设路", "胜利路", "新华街", "文化路", "解放路", "和平街", "光明路", "育才街"]
# The other subdistricts' cadres who did their part of the work (no demo login: random passwords).
CADRES = {
    "139901002": ("cadre_shengli", "郑晓东"),
    "139901003": ("cadre_xinhua", "韩丽萍"),
    "139901101": ("cadre_gaozhuang", "冯永刚"),
}


# --- The demo clock --------------------------------------------------------------------------------

_REAL_DATETIME = dt.datetime


class _ClockMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, _REAL_DATETIME)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _REAL_DATETIME)


@contextlib.contextmanager
def clock(moment: dt.datetime) -> Iterator[None]:
    """Django's `timezone.now()` (also behind every `default=timezone.now`) returns `moment`."""

    class _Moment(_REAL_DATETIME, metaclass=_ClockMeta):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)

    with mock.patch("django.utils.timezone.datetime", _Moment):
        yield


# --- The history ---------------------------------------------------------------------------------


def _months(today: dt.date) -> list[dt.date]:
    """The first days of the twelve months ending with this one."""
    first = today.replace(day=1)
    months = [first]
    for _i in range(11):
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    return sorted(months)


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        b=rng.randint(1, 18),
        f=rng.randint(1, 18),
        t=rng.randint(11, 16),
        d=rng.randint(2, 9),
        s=rng.choice(STREETS),
        m=rng.randint(3, 30) * 1000,
    )


def _topic(month: int, rng: random.Random) -> str:
    codes = list(TOPICS)
    weights = [TOPICS[c][0].get(month, TOPICS[c][1]) for c in codes]
    return rng.choices(codes, weights)[0]


def _staff(ctx: Any) -> dict[str, User]:
    """The cadre of each subdistrict, by subdistrict code (created for the three without one)."""
    from xinkan.accounts import services as account_services
    from xinkan.org import services as org_services

    staff = {"139901001": User.objects.get(username="cadre")}
    for code, (username, name) in CADRES.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.create_user(
                username=username,
                display_name=name,
                password=secrets.token_urlsafe(16) + "Aa1!",
                by=None,
                must_change_password=False,
            )
            org_services.grant_membership(
                user=user, role=Role.SUBDISTRICT_CADRE, unit=ctx.unit(code), by=None
            )
        staff[code] = user
    return staff


def seed_history(ctx: Any) -> None:
    existing = set(
        Matter.objects.filter(idempotency_key__startswith=KEY).values_list(
            "idempotency_key", flat=True
        )
    )
    rng = random.Random(2026)
    now = timezone.now()
    months = _months(timezone.localdate())
    plan: list[tuple[dt.datetime, str]] = []
    for first in months:
        days = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - first
        for _i in range(PER_MONTH[first.month]):
            at = timezone.make_aware(
                dt.datetime.combine(first, dt.time(8))
                + dt.timedelta(days=rng.uniform(0, days.days), hours=rng.uniform(0, 11))
            )
            plan.append((at, _topic(first.month, rng)))
    plan = sorted((at, code) for at, code in plan if at < now - dt.timedelta(hours=6))
    if all(f"{KEY}{n}" in existing for n in range(len(plan))):
        ctx.log(f"History: {len(plan)} matters over twelve months (present already).")
        return

    staff = _staff(ctx)
    community_worker = User.objects.get(username="community")
    handler = User.objects.get(username="handler")
    zjj = Department.objects.get(code=f"{DISTRICT}-ZJJ")
    categories = {c.code: c for c in Category.objects.all()}
    district = ctx.unit(DISTRICT)
    grids = list(
        Unit.objects.filter(path__startswith=district.path, level=Level.GRID)
        .select_related("parent__parent")
        .order_by("code")
    )
    from xinkan.residents.models import Resident

    people: dict[int, list[Any]] = {}
    adults = timezone.localdate() - dt.timedelta(days=18 * 366)
    for resident in Resident.objects.filter(unit__in=grids, birth_date__lte=adults).order_by("pk"):
        people.setdefault(resident.unit_id, []).append(resident)
    oldest = months[0]
    created = 0
    for n, (at, code) in enumerate(plan):
        if f"{KEY}{n}" in existing:
            continue
        grid = rng.choice(grids)
        community = grid.parent
        assert community is not None and community.parent is not None
        cadre = staff[community.parent.code]
        worker = community_worker if community.code == "139901001001" else cadre
        description = _fill(rng.choice(TOPICS[code][2]), rng)
        # Older months: more dissatisfied residents; the heating season: more still.
        age = (at.date() - oldest).days / 365
        dissatisfied = 0.24 - 0.14 * age + (0.08 if code == "property.heating" else 0)
        with clock(at):
            matter = _register(
                n, rng, grid, community, worker, categories[code], description, people
            )
        if matter is None:
            continue
        created += 1
        _work(
            matter,
            rng,
            at=at,
            now=now,
            worker=worker,
            cadre=cadre,
            handler=handler,
            department=zjj if code in TO_DEPARTMENT and rng.random() < 0.7 else None,
            dissatisfied=dissatisfied,
            contacted=0.9 + 0.08 * age,
        )
    ctx.log(f"History: {len(plan)} matters over twelve months ({created} new).")


def _register(
    n: int,
    rng: random.Random,
    grid: Unit,
    community: Unit,
    worker: User,
    category: Category,
    description: str,
    people: dict[int, list[Any]],
) -> Matter | None:
    residents = people.get(grid.pk) or []
    resident = rng.choice(residents) if residents else None
    online = rng.random() < 0.45
    result = services.register_matter(
        services.Intake(
            channel=Channel.ONLINE if online else rng.choice([Channel.PHONE, Channel.VISIT]),
            category=category,
            description=description,
            unit=grid,
            handling_unit=None if online else community,
            resident=resident,
            contact_name=resident.name if resident else "居民",
            contact_phone=resident.phone if resident else f"1390312{n:04d}",
            idempotency_key=f"{KEY}{n}",
        ),
        by=None if online else worker,
    )
    return result.matter if result.created else None


def _work(
    matter: Matter,
    rng: random.Random,
    *,
    at: dt.datetime,
    now: dt.datetime,
    worker: User,
    cadre: User,
    handler: User,
    department: Department | None,
    dissatisfied: float,
    contacted: float,
) -> None:
    """Handle, answer, rate (and sometimes review) the matter, each at its moment; stop at the
    stage a matter of the last days has reached."""
    recent = now - at < dt.timedelta(days=OPEN_DAYS)
    moment = at + dt.timedelta(hours=rng.uniform(1, 30))
    if recent and rng.random() < 0.3:
        return
    with clock(moment):
        if department is not None:
            services.dispatch_matter(matter, lead=department, by=worker)
            services.sign_for(matter, by=handler)
        else:
            services.handle_by_unit(matter, by=worker)
    answerer = handler if department is not None else worker
    moment += dt.timedelta(days=rng.uniform(1, 10))
    if moment > now or (recent and rng.random() < 0.5):
        return
    with clock(moment):
        services.reply_to_matter(
            matter,
            by=answerer,
            outcome=Outcome.SUPPORTED if rng.random() < 0.85 else Outcome.EXPLAINED,
            text="已安排人员现场处理完毕，并向居民说明了情况，感谢您的反映。",
        )
    moment += dt.timedelta(days=rng.uniform(0.5, 3))
    if moment > now:
        return
    roll = rng.random()
    rating = (
        Rating.DISSATISFIED
        if roll < dissatisfied
        else (Rating.MOSTLY if roll < dissatisfied + 0.22 else Rating.SATISFIED)
    )
    with clock(moment):
        services.record_follow_up(
            matter, rating=rating, by=worker, contacted=rng.random() < contacted
        )
    if rating != Rating.DISSATISFIED:
        return
    moment += dt.timedelta(days=rng.uniform(1, 4))
    if moment + dt.timedelta(days=6) > now:
        return
    with clock(moment):
        matter.refresh_from_db()
        services.request_review(matter, by=None, reason="居民认为问题没有彻底解决，申请复查。")
    moment += dt.timedelta(days=rng.uniform(2, 5))
    with clock(moment):
        matter.refresh_from_db()
        services.decide_review(
            matter,
            by=cadre,
            outcome=Outcome.SUPPORTED,
            text="经街道复查，责成相关单位再次上门处理，问题已解决。",
        )
    with clock(moment + dt.timedelta(days=1)):
        matter.refresh_from_db()
        if matter.state == State.REPLIED:
            services.record_follow_up(matter, rating=Rating.MOSTLY, by=cadre)
