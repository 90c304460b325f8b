"""Benchmark of the import (run with `manage.py bench_import`).

Makes a bench-only unit tree (codes starting "RBENCH": a district, 10 subdistricts, 100 communities,
600 grids) and an importer, writes a realistic file of N residents in households of one to five
(valid, unique ID numbers; some without; phones; addresses), and imports it three times through
`service.run_job` as a user would: new, the same file again (unchanged), and a variant with every
resident's occupation and phone changed (updates).
"""

from __future__ import annotations

import contextlib
import csv
import random
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db import connection

from xinkan.accounts.models import User
from xinkan.org import benchtree
from xinkan.org import services as org_services
from xinkan.org.models import Unit
from xinkan.org.roles import Role
from xinkan.residents.identity import check_digit
from xinkan.residents.imports.columns import COLUMNS

PREFIX = "RBENCH"
USERNAME = "bench_importer"
SUBDISTRICTS, COMMUNITIES, GRIDS = 10, 10, 6

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅兵鹏辉玲桂芝丹萍鑫斌宇浩凯健俊帆帅旭宁龙林欣雪琳晨阳佳怡子涵梓轩雨泽思远德福海燕春"
STREETS = ["建设路", "胜利路", "新华街", "文化路", "解放路", "和平街", "光明路", "育才街"]
REGIONS = ["130102", "130104", "130105", "130108", "130109", "130111", "130181", "130183"]
OCCUPATIONS = ["退休", "务农", "个体", "教师", "工人", "司机", "学生", "医生", "无业", "职员"]
SIZES = [1, 2, 2, 2, 3, 3, 3, 4, 4, 5]


def ensure_tree(log: Callable[[str], None]) -> Unit:
    return benchtree.ensure_tree(
        prefix=PREFIX,
        label="导入基准",
        subdistricts=SUBDISTRICTS,
        communities=COMMUNITIES,
        grids=GRIDS,
        log=log,
    )


def ensure_importer(district: Unit) -> User:
    from xinkan.accounts import services as account_services

    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = account_services.create_user(
            username=USERNAME,
            display_name="导入基准",
            password=secrets.token_urlsafe(16) + "Aa1!",  # random: nobody logs in as it
            by=None,
            must_change_password=False,
        )
        org_services.grant_membership(user=user, role=Role.COMMUNITY_WORKER, unit=district, by=None)
    return user


def clear(district: Unit) -> int:
    """Remove earlier benchmark residents and households (raw SQL: a million rows)."""
    units = "SELECT id FROM org_unit WHERE path LIKE %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM residents_resident WHERE unit_id IN ({units})",  # noqa: S608
            [district.path + "%"],
        )
        removed = cursor.rowcount
        cursor.execute(
            f"DELETE FROM residents_household WHERE unit_id IN ({units})",  # noqa: S608
            [district.path + "%"],
        )
    return removed


def write_file(path: Path, n: int, *, variant: bool = False, seed: int = 2026) -> int:
    """N residents as the import template lays them out; `variant` changes every resident's
    occupation and phone (the rest is the same, from the same seed)."""
    rng = random.Random(seed)
    other = random.Random(seed + 1)  # variant values, so that the main stream stays the same
    grids = [
        f"{PREFIX}{s:02d}{c:02d}{g:02d}"
        for s in range(SUBDISTRICTS)
        for c in range(COMMUNITIES)
        for g in range(GRIDS)
    ]
    seen: set[str] = set()
    written = household = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with _sheet_writer(path) as writer:
        writer.writerow([column.header for column in COLUMNS])
        while written < n:
            household += 1
            code = f"RB{household:08d}"
            grid = rng.choice(grids)
            address = (
                f"{rng.choice(STREETS)}{rng.randint(1, 300)}号"
                f"{rng.randint(1, 6)}单元{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
            )
            surname = rng.choice(SURNAMES)
            names: set[str] = set()
            for member in range(min(rng.choice(SIZES), n - written)):
                relation, year = _member(member, rng)
                male = rng.random() < 0.5
                name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
                while name in names:
                    name += rng.choice(GIVEN)
                names.add(name)
                id_number = ""
                if rng.random() >= 0.03:  # a few without an ID number on file
                    id_number = _id_number(rng, year, male, seen)
                phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
                has_phone = rng.random() < 0.75
                occupation = rng.choice(OCCUPATIONS)
                if variant:
                    phone = f"1{other.choice('3456789')}{other.randint(0, 999_999_999):09d}"
                    occupation = other.choice(OCCUPATIONS) + "（变更）"
                writer.writerow(
                    [
                        code,
                        grid,
                        address if member == 0 else "",
                        relation,
                        name,
                        "" if id_number else ("男" if male else "女"),
                        "",
                        id_number,
                        phone if has_phone else "",
                        occupation,
                    ]
                )
                written += 1
    return household


class _XlsxWriter:
    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self.path = path
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet("居民")

    def writerow(self, row: list[str]) -> None:
        self.sheet.append(row)


@contextlib.contextmanager
def _sheet_writer(path: Path) -> Iterator[Any]:
    """csv.writer for .csv, a write-only workbook for .xlsx."""
    if path.suffix == ".xlsx":
        writer = _XlsxWriter(path)
        yield writer
        writer.workbook.save(path)
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        yield csv.writer(handle)


def _member(index: int, rng: random.Random) -> tuple[str, int]:
    if index == 0:
        return "户主", rng.randint(1935, 1995)
    if index == 1:
        return "配偶", rng.randint(1935, 1995)
    if index == 4:
        return rng.choice(["父亲", "母亲"]), rng.randint(1930, 1960)
    return rng.choice(["子", "女"]), rng.randint(1975, 2022)


def _id_number(rng: random.Random, year: int, male: bool, seen: set[str]) -> str:
    while True:
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        sequence = rng.randint(0, 499) * 2 + (1 if male else 0)
        first17 = f"{rng.choice(REGIONS)}{year:04d}{month:02d}{day:02d}{sequence:03d}"
        if first17 not in seen:
            seen.add(first17)
            return first17 + check_digit(first17)
