"""Deterministic, plausible Chinese names and addresses for demo data."""

from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN_MALE = [
    "建国",
    "志强",
    "伟",
    "磊",
    "军",
    "勇",
    "杰",
    "涛",
    "明",
    "超",
    "海波",
    "国庆",
    "德胜",
    "振华",
    "宏伟",
    "子豪",
    "浩然",
    "宇航",
    "俊杰",
    "文斌",
    "长青",
    "福生",
    "春雷",
    "永刚",
    "晓东",
]
GIVEN_FEMALE = [
    "芳",
    "秀英",
    "丽",
    "敏",
    "静",
    "丽娟",
    "艳",
    "娜",
    "桂英",
    "秀兰",
    "玉兰",
    "淑华",
    "晓燕",
    "雨桐",
    "欣怡",
    "思琪",
    "佳怡",
    "梦瑶",
    "婷",
    "雪梅",
    "春梅",
    "红霞",
    "慧敏",
    "金凤",
]
OCCUPATIONS = [
    "退休",
    "个体经营",
    "教师",
    "工人",
    "公司职员",
    "务农",
    "医生",
    "司机",
    "学生",
    "自由职业",
    "环卫工人",
    "快递员",
    "无业",
    "护士",
    "厨师",
]


def person(rng: random.Random, gender: str) -> str:
    given = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
    return rng.choice(SURNAMES) + rng.choice(given)


def same_surname(rng: random.Random, surname: str, gender: str) -> str:
    given = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
    return surname + rng.choice(given)
