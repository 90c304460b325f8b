"""Matters for hot spot tests: residents' reports registered through the matters services at a
given time, each resident with their own phone."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from tests.matters import factories as mf
from xinkan.matters import services
from xinkan.matters.models import Channel, Matter
from xinkan.org.models import Unit

# Reports are placed before this moment; the periodic job (without a `now`) sees them as recent.
NOW = timezone.now().replace(microsecond=0)
_phones = itertools.count(1)

# The same broken lift as residents put it.
LIFT = [
    "3号楼电梯坏了好几天了，老人上下楼很困难，物业一直没人来修。",
    "我们3号楼的电梯又停运了，八十多岁的老人下不了楼，请尽快修好。",
    "3号楼电梯故障三天，一直没人修，住在高层的老人出不了门。",
    "5号楼电梯也坏了，停了好几天，物业说等配件，老人爬楼太难。",
    "电梯坏了快一周了，3号楼2单元，老人上下楼非常困难。",
    "3号楼电梯不动了，物业没人来修，家里老人看病都下不了楼。",
    "小区3号楼的电梯坏了没人修，老年人上下楼很不方便。",
    "5号楼二单元电梯停运好多天，物业一直拖着不修。",
]
LIGHTS = [
    "东门外路灯不亮已经一周，晚上出行摸黑。",
    "小区东门那边的路灯坏了，晚上黑乎乎的很不安全。",
    "东门口路灯一直不亮，老人晚上出门害怕摔倒。",
]
NOISE = [
    "楼下烧烤店油烟太大，窗户都不敢开。",
    "有人在绿化带里种菜，毁坏绿地。",
    "小区门口共享单车乱停，挡住了人行道。",
]


def phone() -> str:
    return f"139{next(_phones):08d}"


def report(
    unit: Unit,
    description: str,
    *,
    days_ago: float = 1,
    category: str = "property.elevator",
    now: dt.datetime = NOW,
    **values: Any,
) -> Matter:
    """A resident's report on the portal (no staff needed), `days_ago` before `now`."""
    values.setdefault("contact_phone", phone())
    values.setdefault("contact_name", "居民")
    result = services.register_matter(
        mf.intake(
            unit,
            channel=Channel.ONLINE,
            category=mf.category(category),
            description=description,
            registered_at=now - dt.timedelta(days=days_ago),
            **values,
        ),
        by=None,
    )
    assert result.created
    return result.matter


def lift_cluster(units: list[Unit], n: int = 8, *, days_ago: float = 1) -> list[Matter]:
    return [
        report(units[i % len(units)], LIFT[i % len(LIFT)], days_ago=days_ago + i * 0.7)
        for i in range(n)
    ]
