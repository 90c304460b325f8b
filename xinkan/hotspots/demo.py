"""Demo: a hot spot that stands out, a smaller one, a problem-of-the-month campaign,
and the hot spots computed once (the periodic job keeps them up to date from then on).

The hot spot: the old lifts of 东风里社区 — eighteen residents of its three grids reporting broken
lifts in the last three weeks, against two in the weeks before. The smaller one: a water outage in
幸福里社区. Both are registered through the matters services, each at its moment (the demo clock
of xinkan/matters/demo_history.py). The campaign: this month's problem of the month of the district.
Idempotent: keys "demo:hotspot:<n>", the campaign by its title.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db.models import Count
from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.hotspots import services
from xinkan.hotspots.models import Campaign
from xinkan.matters import services as matter_services
from xinkan.matters.demo_history import clock
from xinkan.matters.models import Category, Channel, Matter
from xinkan.org.models import Department, Unit

KEY = "demo:hotspot:"
LIFTS = [
    "东风里小区{b}号楼电梯又坏了，停了好几天，老人上下楼特别困难。",
    "{b}号楼{u}单元电梯故障，物业说等配件，已经一个多星期了。",
    "我们{b}号楼电梯三天两头停运，上周还困过人，太吓人了。",
    "{b}号楼电梯坏了没人修，住在{f}楼的老人下不了楼看病。",
    "小区的老电梯经常出故障，{b}号楼现在又不能用了，请尽快修好。",
    "{b}号楼电梯停运，物业一直拖着不修，家里有坐轮椅的老人。",
]
WATER = [
    "幸福里小区{b}号楼从昨天开始停水，到现在还没来水。",
    "{b}号楼停水一整天了，也没有提前通知，做饭都成问题。",
    "小区又停水了，{b}号楼{f}层，水压也上不去。",
]
CAMPAIGN_PREFIX = "每月一题："


def _fill(template: str, rng: random.Random) -> str:
    return template.format(b=rng.choice([3, 5, 6, 8]), u=rng.randint(1, 3), f=rng.randint(6, 18))


def _plant(
    *,
    key: str,
    texts: list[str],
    category: Category,
    grids: list[Unit],
    days_ago: list[float],
    staff: User,
    rng: random.Random,
) -> int:
    from xinkan.residents.models import Resident

    residents = list(
        Resident.objects.filter(
            unit__in=grids, birth_date__lte=timezone.localdate() - dt.timedelta(days=20 * 366)
        ).order_by("pk")
    )
    rng.shuffle(residents)
    created = 0
    for n, days in enumerate(days_ago):
        idempotency_key = f"{key}{n}"
        if Matter.objects.filter(idempotency_key=idempotency_key).exists():
            continue
        resident = residents[n % len(residents)]
        online = n % 3 != 0
        at = timezone.now() - dt.timedelta(days=days)
        with clock(at):
            result = matter_services.register_matter(
                matter_services.Intake(
                    channel=Channel.ONLINE if online else Channel.PHONE,
                    category=category,
                    description=_fill(texts[n % len(texts)], rng),
                    unit=resident.unit,
                    handling_unit=None if online else resident.unit.parent,
                    resident=resident,
                    contact_name=resident.name,
                    contact_phone=resident.phone,
                    idempotency_key=idempotency_key,
                ),
                by=None if online else staff,
            )
            if result.created and n % 2 == 1:
                matter_services.accept_matter(result.matter, by=staff)
        created += int(result.created)
    return created


def seed_hotspots(ctx: Any) -> None:
    rng = random.Random(77)
    community = User.objects.get(username="community")
    cadre_shengli = User.objects.filter(username="cadre_shengli").first() or User.objects.get(
        username="leader"
    )
    categories = {c.code: c for c in Category.objects.all()}
    created = _plant(
        key=f"{KEY}lift:",
        texts=LIFTS,
        category=categories["property.elevator"],
        grids=list(Unit.objects.filter(parent__code="139901001001").order_by("code")),
        days_ago=[*(0.3 + i * 1.1 for i in range(18)), 36, 44],
        staff=community,
        rng=rng,
    )
    created += _plant(
        key=f"{KEY}water:",
        texts=WATER,
        category=categories["property.heating"],
        grids=list(Unit.objects.filter(parent__code="139901002003").order_by("code")),
        days_ago=[0.5 + i * 1.5 for i in range(6)],
        staff=cadre_shengli,
        rng=rng,
    )
    # Their deadlines as the periodic sweep would have kept them (and a second run finds none).
    swept = matter_services.sweep_all()
    _campaign(ctx)
    report = services.refresh()
    ctx.log(f"Hot spots: {created} reports planted ({swept}); {report}")


# The department each kind of problem goes to, by the category's top code.
DEPARTMENTS = {"housing": "ZJJ", "property": "ZJJ", "roads": "CGJ", "sanitation": "CGJ"}
DEPARTMENTS.update({"labour": "RSJ", "social": "MZJ", "safety": "XFJ"})


def _campaign(ctx: Any) -> None:
    """This month's problem of the month of the district: the season's most frequent problem (in
    winter the heating), with its matters of the last weeks, a responsible department and two
    notes. Started a week ago (or on the 1st), so some of its matters are resolved since."""
    if Campaign.objects.filter(source_key="", title__startswith=CAMPAIGN_PREFIX).exists():
        return
    leader = User.objects.get(username="leader")
    district = ctx.unit("139901")
    now = timezone.now()
    first = timezone.localdate().replace(day=1)
    started = max(
        timezone.make_aware(dt.datetime.combine(first, dt.time(9))), now - dt.timedelta(days=8)
    )
    started = min(started, now - dt.timedelta(hours=1))
    recent = Matter.objects.filter(
        unit__path__startswith=district.path,
        registered_at__gte=started - dt.timedelta(days=30),
        registered_at__lt=started,
        idempotency_key__startswith="demo:history:",
    )
    top = recent.values("category_id").annotate(n=Count("pk")).order_by("-n", "category_id").first()
    if top is None:
        return
    category = Category.objects.select_related("parent").get(pk=top["category_id"])
    family = (category.parent or category).code
    with clock(started):
        campaign, _created = services.start_campaign(
            services.CampaignDetails(
                title=f"{CAMPAIGN_PREFIX}{category.name}问题集中整治",
                unit=district,
                month=first,
                target=f"本月内对辖区{category.name}问题逐一上门解决，办结后回访，居民满意。",
                department=Department.objects.get(code=f"139901-{DEPARTMENTS.get(family, 'XFJ')}"),
                category=category,
            ),
            by=leader,
            matters_in=list(recent.filter(category=category)),
        )
    for days, text in [
        (1, "召开专题会，牵头部门与各街道逐件对账，明确办理时限。"),
        (3, "已完成第一轮入户排查，能当场解决的已当场解决，其余列出清单督办。"),
    ]:
        with clock(started + dt.timedelta(days=days)):
            services.add_note(campaign, by=leader, text=text)
