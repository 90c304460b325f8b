"""The problems residents raise, as text templates in their own words (with placeholders for
buildings, streets, days and amounts), the streets they live on and the channels they use: the
material of the generated matters, the load runs and the peer's tickets."""

from __future__ import annotations

import random

from xinkan.matters.models import Channel

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
CHANNELS = (
    [Channel.PHONE] * 5 + [Channel.ONLINE] * 3 + [Channel.VISIT, Channel.PATROL, Channel.LETTER]
)


def fill(template: str, rng: random.Random) -> str:
    """A problem text with its placeholders filled in (building, unit, days, street …)."""
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
