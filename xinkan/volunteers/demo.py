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
from xinkan.volunteers import services, teams
from xinkan.volunteers.models import Team, Volunteer

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
