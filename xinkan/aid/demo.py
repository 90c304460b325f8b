"""Demo drives and stations of 东风街道: last winter's "衣+衣=爱" clothing drive (closed, with what it
collected in three communities and gave to households), this winter's drive (open), a donation
station (爱心捐助站) and a neighbourhood mutual-aid station (邻里互助站) with stock and help given.

Idempotent: a drive already there (by unit, name and start) or a station (by unit and name) is
left as is. Dates are relative to today, so the demo always has a last winter and a this winter.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.aid import movements, services
from xinkan.aid.models import Drive, Station, StationKind
from xinkan.org.models import Unit
from xinkan.residents.models import Household

SUBDISTRICT = "139901001"
COMMUNITY = "139901001001"
GRID = "13990100100101"
CLOTHING_DRIVE = "衣+衣=爱 冬衣募捐"

# item type, description, quantity range, unit word
WINTER_DONATIONS = [
    ("clothing", "棉衣", (10, 40), "件"),
    ("clothing", "羽绒服", (5, 20), "件"),
    ("clothing", "毛衣", (10, 30), "件"),
    ("bedding", "棉被", (10, 20), "床"),
    ("books", "儿童读物", (15, 30), "本"),
    ("cash", "爱心捐款", (200, 2000), ""),
]
DONORS = ["", "东风里小学", "清河区第二中学", "张桂兰", "王建军一家", "", "清河百货商场", "李秀英"]
WINTER_GIFTS = [
    ("clothing", "棉衣", (1, 3), "件"),
    ("clothing", "羽绒服", (1, 2), "件"),
    ("bedding", "棉被", (1, 2), "床"),
    ("books", "儿童读物", (2, 5), "本"),
]
STATION_STOCK = [
    ("clothing", "旧衣物（已清洗）", (20, 60), "件"),
    ("food", "米面油", (10, 30), "袋"),
    ("daily", "洗衣液、毛巾", (10, 30), "份"),
    ("books", "图书", (20, 50), "本"),
]
MUTUAL_STOCK = [
    ("other", "轮椅", (2, 2), "台"),
    ("daily", "雨伞、工具箱", (4, 8), "件"),
]
MUTUAL_SERVICES = ["修理自行车", "借用轮椅", "代购药品", "疏通下水道", "更换灯泡", "陪同就医"]


def _households(unit: Unit, n: int) -> list[Household]:
    return list(Household.objects.filter(unit__path__startswith=unit.path).order_by("code")[:n])


def _last_winter(today: dt.date) -> tuple[dt.date, dt.date]:
    year = today.year - 1 if today.month >= 3 else today.year - 2
    return dt.date(year, 11, 20), dt.date(year + 1, 1, 31)


def _collect(drive: Drive, by: User, units: list[Unit], rng: random.Random, days: int) -> None:
    for unit in units:
        for item_type, description, (low, high), word in WINTER_DONATIONS:
            movements.record_receipt(
                drive,
                by=by,
                unit=unit,
                item_type=item_type,
                quantity=rng.randint(low, high),
                description=description,
                unit_word=word,
                donor=rng.choice(DONORS),
                date=drive.starts_on + dt.timedelta(days=rng.randint(0, days)),
            )


def _give(
    drive: Drive, by: User, households: list[Household], rng: random.Random, days: int
) -> None:
    for index, household in enumerate(households):
        # Some households are helped twice: they count once among households helped.
        for item_type, description, (low, high), word in rng.sample(
            WINTER_GIFTS, 2 if index % 3 == 0 else 1
        ):
            movements.record_gift(
                drive,
                by=by,
                household=household,
                item_type=item_type,
                quantity=rng.randint(low, high),
                description=description,
                unit_word=word,
                date=drive.starts_on + dt.timedelta(days=rng.randint(days // 2, days)),
            )


def _seed_drives(today: dt.date, rng: random.Random) -> int:
    cadre = User.objects.get(username="cadre")
    worker = User.objects.get(username="community")
    subdistrict = Unit.objects.get(code=SUBDISTRICT)
    communities = list(subdistrict.children.order_by("code"))
    made = 0
    starts, ends = _last_winter(today)
    if not Drive.objects.filter(unit=subdistrict, name=CLOTHING_DRIVE, starts_on=starts).exists():
        drive = services.create_drive(
            by=cadre,
            unit=subdistrict,
            name=CLOTHING_DRIVE,
            starts_on=starts,
            ends_on=ends,
            description="东风街道各社区设点募集冬衣、棉被和图书，集中清洗消毒后送到困难家庭、"
            "独居老人和留守儿童手中。",
        )
        _collect(drive, cadre, communities, rng, days=30)
        _give(drive, cadre, _households(subdistrict, 12), rng, days=(ends - starts).days)
        services.close_drive(drive, by=cadre)
        made += 1
    starts = today - dt.timedelta(days=10)
    name = f"{CLOTHING_DRIVE}（{today.year if today.month >= 3 else today.year - 1}年冬）"
    if not Drive.objects.filter(unit=subdistrict, name=name).exists():
        drive = services.create_drive(
            by=cadre,
            unit=subdistrict,
            name=name,
            starts_on=starts,
            ends_on=today + dt.timedelta(days=60),
            description="今冬继续募集：棉衣、羽绒服、棉被请洗净后送到各社区党群服务中心。",
        )
        community = Unit.objects.get(code=COMMUNITY)
        _collect(drive, worker, [community], rng, days=10)
        _give(drive, worker, _households(community, 3), rng, days=10)
        made += 1
    return made


def _stock(
    station: Station, by: User, items: list[tuple[str, str, tuple[int, int], str]], today: dt.date
) -> None:
    rng = random.Random(station.name)
    for item_type, description, (low, high), word in items:
        movements.station_receive(
            station,
            by=by,
            item_type=item_type,
            quantity=rng.randint(low, high),
            description=description,
            unit_word=word,
            donor=rng.choice(DONORS),
            date=today - dt.timedelta(days=rng.randint(30, 60)),
        )


def _seed_stations(today: dt.date) -> int:
    worker = User.objects.get(username="community")
    community = Unit.objects.get(code=COMMUNITY)
    grid = Unit.objects.get(code=GRID)
    households = _households(community, 10)
    made = 0
    name = "东风里社区爱心捐助站"
    if not Station.objects.filter(unit=community, name=name).exists():
        station = services.create_station(
            by=worker,
            unit=community,
            kind=StationKind.DONATION,
            name=name,
            address="东风里社区党群服务中心一楼",
            hours="周一至周五 9:00–17:00，周六上午",
            keeper="刘芳",
        )
        _stock(station, worker, STATION_STOCK, today)
        for index, household in enumerate(households[:6]):
            item_type, description, _range, word = STATION_STOCK[index % len(STATION_STOCK)]
            movements.station_give(
                station,
                by=worker,
                household=household,
                item_type=item_type,
                quantity=2,
                description=description,
                unit_word=word,
                date=today - dt.timedelta(days=index * 4),
            )
        made += 1
    name = "东风里第一网格邻里互助站"
    if not Station.objects.filter(unit=grid, name=name).exists():
        station = services.create_station(
            by=worker,
            unit=grid,
            kind=StationKind.MUTUAL_AID,
            name=name,
            address="建设路12号 东风里社区3号楼底商",
            hours="每天 8:00–20:00",
            keeper="李建华",
        )
        _stock(station, worker, MUTUAL_STOCK, today)
        for index, household in enumerate(households):
            service = MUTUAL_SERVICES[index % len(MUTUAL_SERVICES)]
            movements.station_give(
                station,
                by=worker,
                household=household,
                item_type="service",
                quantity=1,
                description=service,
                notes="志愿者李建华上门" if index % 2 == 0 else "",
                date=today - dt.timedelta(days=index * 5),
            )
        made += 1
    return made


def seed_aid(ctx: Any) -> None:
    today = timezone.localdate()
    drives = _seed_drives(today, random.Random(20251120))
    stations = _seed_stations(today)
    ctx.log(
        f"Drives: {Drive.objects.count()} ({drives} new), "
        f"stations: {Station.objects.count()} ({stations} new)"
    )
