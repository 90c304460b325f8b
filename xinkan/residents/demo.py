"""Demo colours and care visits in 东风里社区: elderly living alone, subsistence-allowance families,
people with disabilities, children in difficulty, rented homes, trouble-free households and a key
person — some visited lately, some overdue for a visit.

Idempotent: a resident already in a category is left as is.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.org.models import Unit
from xinkan.residents import services
from xinkan.residents.models import CareVisit, ColourCategory, Need, Resident, ResidentColour

COMMUNITY = "139901001001"

REASONS = {
    "red": "社区矫正期间，需每月走访了解情况",
    "orange": "子女在外地工作，本人独自居住",
    "yellow": "家庭人均收入低于当地低保标准，已纳入低保",
    "green": "家庭和睦，无矛盾纠纷隐患",
    "cyan": "租住本小区，新近迁入",
    "blue": "持有肢体残疾证，行动不便",
    "purple": "父母均在外务工，由祖父母照看",
}
NEEDS = [
    ("orange", "daily_care", "每周两次"),
    ("blue", "repairs", "一次"),
    ("purple", "tutoring", "每周一次"),
    ("orange", "companionship", "每周三次"),
    ("yellow", "errands", "每周一次"),
    ("blue", "medical", "每月两次"),
    ("green", "legal", "一次"),
]
FOUND = [
    "身体状况良好，生活能自理，叮嘱注意防寒保暖。",
    "家中暖气不热，已联系物业上门检修。",
    "反映药费负担较重，已告知医疗救助申请办法。",
    "情绪稳定，近期无异常情况。",
]


def _pick(residents: list[Resident], colour: str) -> list[Resident]:
    """The same residents on every run (a second seeding changes nothing)."""
    rng = random.Random(colour)
    today = timezone.localdate()

    def age(resident: Resident) -> int:
        return resident.age(today) or 0

    if colour == "orange":
        return [r for r in residents if age(r) >= 75][:6]
    if colour == "purple":
        return [r for r in residents if 0 < age(r) < 14][:2]
    if colour == "green":
        return [r for r in residents if r.relation == "户主"][:8]
    count = {"red": 1, "yellow": 3, "cyan": 4, "blue": 2}[colour]
    return rng.sample([r for r in residents if age(r) >= 18], count)


def seed_colours(ctx: Any) -> None:
    worker = User.objects.get(username="community")
    community = Unit.objects.get(code=COMMUNITY)
    residents = list(Resident.objects.filter(unit__path__startswith=community.path).order_by("pk"))
    added = visits = 0
    today = timezone.localdate()
    for category in ColourCategory.objects.filter(is_active=True):
        for resident in _pick(residents, category.colour):
            if ResidentColour.objects.filter(resident=resident, category=category).exists():
                continue
            rng = random.Random(f"{category.colour}:{resident.pk}")
            services.add_colour(
                resident,
                category=category,
                reason=REASONS[category.colour],
                by=worker,
                since=today - dt.timedelta(days=rng.randint(30, 400)),
            )
            added += 1
            # Half were visited recently; the others are due (they show in "Visits due").
            if rng.random() < 0.5 and not CareVisit.objects.filter(resident=resident).exists():
                services.record_care_visit(
                    resident,
                    by=worker,
                    found=rng.choice(FOUND),
                    visited_on=today - dt.timedelta(days=rng.randint(1, 10)),
                )
                visits += 1
    needs = 0
    for colour, need_type, frequency in NEEDS:
        for resident in _pick(residents, colour)[:2]:
            if Need.objects.filter(resident=resident, need_type=need_type).exists():
                continue
            services.open_need(
                resident, by=worker, need_type=need_type, frequency=frequency, notes=""
            )
            needs += 1
    tagged = _seed_tags(residents)
    ctx.log(
        f"Colour categories: {added} new placements, {visits} care visits, {needs} needs, "
        f"{tagged} residents tagged"
    )


TAGS = [["党员"], ["楼栋长", "党员"], ["退役军人"], ["志愿者"], ["党员", "退役军人"]]


def _seed_tags(residents: list[Resident]) -> int:
    """Some adults carry the labels communities use (党员, 楼栋长 …). Seed data, written directly;
    staff change tags through editing.update_resident."""
    adults = [r for r in residents if r.relation == "户主" and not r.tags][: len(TAGS) * 4]
    for index, resident in enumerate(adults):
        Resident.objects.filter(pk=resident.pk).update(tags=TAGS[index % len(TAGS)])
    return len(adults)
