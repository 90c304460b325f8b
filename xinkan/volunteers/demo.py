"""Demo volunteers of 东风里社区 with their skills and service hours (one corrected).

Idempotent: a volunteer already registered (by name and unit) is left as is.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.org.models import Unit
from xinkan.residents.models import Need
from xinkan.volunteers import pairings, services, teams
from xinkan.volunteers.fit import skill_fit
from xinkan.volunteers.models import Pairing, Team, Volunteer

COMMUNITY = "139901001001"
PEOPLE = [
    ("周敏", ["companionship", "errands"], [5, 6], "周末全天"),
    ("李建华", ["repairs"], [0, 2, 4], "下午"),
    ("王淑芬", ["medical"], [1, 3], "上午"),
    ("赵晓东", ["tutoring"], [5, 6], "周末下午"),
    ("孙立平", ["legal"], [2], "晚上"),
    ("钱慧", ["counselling", "companionship"], [0, 1, 2, 3, 4], "晚上"),
    ("郑国强", ["repairs", "errands"], [6], "全天"),
    ("冯雪梅", ["companionship"], [0, 3], "上午"),
]
ACTIVITIES = [
    "重阳节敬老活动",
    "楼道清扫",
    "义诊进社区",
    "独居老人陪伴",
    "法律咨询进社区",
    "衣+衣=爱冬衣募集",
]


def seed_volunteers(ctx: Any) -> None:
    worker = User.objects.get(username="community")
    community = Unit.objects.get(code=COMMUNITY)
    today = timezone.localdate()
    made = 0
    for name, skills, days, note in PEOPLE:
        if Volunteer.objects.filter(name=name, unit=community).exists():
            continue
        person = services.register_volunteer(
            by=worker,
            name=name,
            unit=community,
            skills=skills,
            available_days=days,
            available_note=note,
        )
        rng = random.Random(name)
        for _ in range(rng.randint(3, 12)):
            services.record_service(
                person,
                by=worker,
                organiser=community,
                activity=rng.choice(ACTIVITIES),
                served_on=today - dt.timedelta(days=rng.randint(1, 300)),
                hours=Decimal(rng.choice(["2", "3", "4", "8", "12", "16"])),
            )
        made += 1
    first = Volunteer.objects.filter(name=PEOPLE[0][0], unit=community).first()
    record = first.records.filter(superseded=False).first() if first else None
    if made and record is not None:
        services.correct_service(
            record,
            by=worker,
            hours=record.hours + Decimal("1"),
            served_on=record.served_on,
            reason="志愿者反映少记了一小时",
        )
    if not Team.objects.filter(unit=community).exists():
        for team_name, skill in (
            ("东风里便民维修队", "repairs"),
            ("东风里关爱陪伴队", "companionship"),
        ):
            team = teams.create_team(by=worker, name=team_name, skill=skill, unit=community)
            members = [v for v in Volunteer.objects.filter(unit=community) if skill in v.skills]
            for index, member in enumerate(members):
                teams.add_member(team, member, by=worker, leader=index == 0)
    ctx.log(f"Volunteers: {Volunteer.objects.count()} ({made} new), teams: {Team.objects.count()}")


def seed_pairings(ctx: Any) -> None:
    """One-to-one pairings of the demo community: visits on time, one falling behind, a team's,
    one ended with the need met; some needs stay open for the matching proposals. The demo
    account "volunteer" is 周敏's own account."""
    worker = User.objects.get(username="community")
    community = Unit.objects.get(code=COMMUNITY)
    own = User.objects.filter(username="volunteer").first()
    zhou = Volunteer.objects.filter(name="周敏", unit=community).first()
    if own is not None and zhou is not None and zhou.user_id is None:
        zhou.user = own
        zhou.save(update_fields=["user"])
    if Pairing.objects.filter(unit__path__startswith=community.path).exists():
        ctx.log("Pairings: already seeded")
        return
    today = timezone.localdate()
    needs = list(
        Need.objects.filter(closed_at__isnull=True, resident__unit__path__startswith=community.path)
        .select_related("resident")
        .order_by("pk")
    )
    by_name = {
        v.name: v for v in Volunteer.objects.filter(unit=community, is_active=True).order_by("pk")
    }
    plans = [
        # (volunteer name or team name, days ago started, visit every, visits days ago, ends)
        ("周敏", 28, 7, [25, 18, 11, 4], None),
        ("钱慧", 30, 7, [27], None),  # last visit 27 days ago: falling behind
        ("东风里便民维修队", 20, 14, [12], None),
        ("冯雪梅", 25, 7, [20, 13], "老人已随子女迁居外地"),
    ]
    made = 0
    for helper, started, every, visits, ended in plans:
        team = Team.objects.filter(unit=community, name=helper).first()
        volunteer = None if team else by_name.get(helper)
        skills = [team.skill] if team else (volunteer.skills if volunteer else [])
        need = next((n for n in needs if skill_fit(n.need_type, skills)), None)
        if need is None:
            continue
        needs.remove(need)
        start = today - dt.timedelta(days=started)
        pairing = pairings.pair(
            by=worker,
            need=need,
            volunteer=volunteer,
            team=team,
            help_text=need.notes or f"{need.get_need_type_display()}：定期上门帮扶",
            visit_every_days=every,
            starts_on=start,
            ends_on=start + dt.timedelta(days=364),
        )
        for index, days_ago in enumerate(visits):
            visitor = volunteer or (team.leader if team else None)
            pairings.record_visit(
                pairing,
                by=own if volunteer is zhou and own is not None and index == 0 else worker,
                visited_on=today - dt.timedelta(days=days_ago),
                notes=VISIT_NOTES[index % len(VISIT_NOTES)],
                hours=Decimal("2"),
                volunteer=visitor,
            )
        if ended:
            pairings.end_pairing(pairing, by=worker, reason=ended, need_met=True)
        made += 1
    ctx.log(f"Pairings: {made} made, {len(needs)} needs left open for matching")


VISIT_NOTES = [
    "上门陪老人聊天，帮助整理药品，身体状况良好。",
    "代购米面油等生活用品，检查燃气和电器安全。",
    "陪同到社区卫生服务站量血压、取药。",
    "帮助打扫卫生，提醒天冷注意保暖。",
]
