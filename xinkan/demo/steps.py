"""The demo district, step by step. Every step is idempotent: it looks things up by their natural
keys (unit code, username, household number) and creates only what is missing, through the same
services the application uses (so the demo data is audited like everything else)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinkan.accounts import services as account_services
from xinkan.accounts.models import User
from xinkan.aid.demo import seed_aid
from xinkan.demo.names import OCCUPATIONS, person, same_surname
from xinkan.hotspots.demo import seed_hotspots
from xinkan.matters.demo import seed_matters
from xinkan.matters.demo_history import seed_history
from xinkan.mediation.demo import seed_disputes
from xinkan.metrics.demo import seed_metrics
from xinkan.org import services as org_services
from xinkan.org.models import Department, Level, Unit
from xinkan.org.roles import Role
from xinkan.residents import services as resident_services
from xinkan.residents.demo import seed_colours
from xinkan.residents.models import Gender, Household, Resident
from xinkan.square.demo import seed_square
from xinkan.volunteers.demo import seed_pairings, seed_volunteers

DEMO_PASSWORD = "Xinkan@2026"  # noqa: S105 - printed for the demo on purpose
# Fixed TOTP keys (hex) for the demo accounts that must use a second factor, so that a newcomer can
# add them to an authenticator app (or run `manage.py demo_totp <username>`).
DEMO_TOTP_KEYS = {
    "admin": "3132333435363738393031323334353637383930",
    "leader": "4a4b4c4d4e4f505152535455565758595a5b5c5d",
}

DISTRICT = ("139901", "清河区", "清河区人民政府 建设大街 1 号")
SUBDISTRICTS = [
    # code, name, rural, communities [(code suffix, name)]
    ("139901001", "东风街道", False, ["东风里社区", "光明社区", "春晖社区"]),
    ("139901002", "胜利街道", False, ["胜利路社区", "和平社区", "幸福里社区"]),
    ("139901003", "新华街道", False, ["新华社区", "文苑社区", "学府社区"]),
    ("139901101", "高庄镇", True, ["高庄村", "李家庄村", "南营村"]),
]
GRIDS_PER_COMMUNITY = 3
HOUSEHOLDS_PER_GRID = 8
DEPARTMENTS = [
    ("ZJJ", "清河区住房和城乡建设局", "住建局"),
    ("CGJ", "清河区城市管理综合行政执法局", "城管局"),
    ("MZJ", "清河区民政局", "民政局"),
    ("RSJ", "清河区人力资源和社会保障局", "人社局"),
    ("SFJ", "清河区司法局", "司法局"),
    ("GAFJ", "清河区公安分局", "公安分局"),
    ("WJJ", "清河区卫生健康局", "卫健局"),
    ("JYJ", "清河区教育局", "教育局"),
    ("SJJ", "清河区市场监督管理局", "市场监管局"),
    ("XFJ", "清河区信访局", "信访局"),
    ("HBJ", "清河区生态环境分局", "环境分局"),
    ("JTJ", "清河区交通运输局", "交通局"),
]
STREETS = ["建设路", "胜利路", "新华街", "文化路", "解放路", "和平街", "光明路", "育才街"]


@dataclass
class DemoAccount:
    username: str
    name: str
    role_label: str
    place: str
    totp_key: str | None = None


@dataclass
class DemoContext:
    out: Any
    rng: random.Random = field(default_factory=lambda: random.Random(20261129))
    accounts: list[DemoAccount] = field(default_factory=list)

    def unit(self, code: str) -> Unit:
        return Unit.objects.get(code=code)

    def log(self, message: str) -> None:
        self.out.write(message)

    def accounts_table(self) -> str:
        lines = [
            "",
            f"Demo accounts (password for all: {DEMO_PASSWORD})",
            f"{'username':<12} {'name':<8} {'role':<22} place",
        ]
        for account in self.accounts:
            lines.append(
                f"{account.username:<12} {account.name:<8} {account.role_label:<22} {account.place}"
            )
        keyed = [a for a in self.accounts if a.totp_key]
        if keyed:
            lines.append("")
            lines.append(
                "Two-factor login is required for these accounts. Add the key to any TOTP app,"
            )
            lines.append(
                "or print the current code with: .venv/bin/python manage.py demo_totp <username>"
            )
            for account in keyed:
                lines.append(f"  {account.username:<10} key {account.totp_key}")
        return "\n".join(lines) + "\n"


def _ensure_unit(code: str, name: str, level: str, parent: Unit | None, **extra: Any) -> Unit:
    existing = Unit.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return org_services.create_unit(
        code=code, name=name, level=level, parent=parent, by=None, **extra
    )


@transaction.atomic
def seed_units(ctx: DemoContext) -> None:
    code, name, address = DISTRICT
    district = _ensure_unit(
        code, name, Level.DISTRICT, None, address=address, phone="0311-8000 1234"
    )
    for sub_code, sub_name, rural, communities in SUBDISTRICTS:
        subdistrict = _ensure_unit(
            sub_code,
            sub_name,
            Level.SUBDISTRICT,
            district,
            rural=rural,
            address=f"{sub_name}办事处",
            phone=f"0311-8{sub_code[-3:]}-0000",
        )
        for index, community_name in enumerate(communities, start=1):
            community = _ensure_unit(
                f"{sub_code}{index:03d}",
                community_name,
                Level.COMMUNITY,
                subdistrict,
                rural=rural,
                address=f"{community_name}党群服务中心",
            )
            for grid_index in range(1, GRIDS_PER_COMMUNITY + 1):
                grid_name = (
                    f"{community_name}第{grid_index}村民小组"
                    if rural
                    else f"{community_name}第{grid_index}网格"
                )
                _ensure_unit(f"{community.code}{grid_index:02d}", grid_name, Level.GRID, community)
    for dept_code, dept_name, short in DEPARTMENTS:
        full_code = f"{code}-{dept_code}"
        if not Department.objects.filter(code=full_code).exists():
            org_services.create_department(
                code=full_code, name=dept_name, short_name=short, unit=district, by=None
            )
    ctx.log(f"Units: {Unit.objects.count()}, departments: {Department.objects.count()}")


ACCOUNTS = [
    # username, name, role, unit code or department code
    ("admin", "王建国", Role.ADMIN, "139901", None),
    ("leader", "李明华", Role.LEADER, "139901", None),
    ("cadre", "张伟", Role.SUBDISTRICT_CADRE, "139901001", None),
    ("community", "刘芳", Role.COMMUNITY_WORKER, "139901001001", None),
    ("grid", "陈志强", Role.GRID_WORKER, "13990100100101", None),
    ("grid", "陈志强", Role.MEDIATOR, "13990100100101", None),
    ("handler", "赵磊", Role.DEPARTMENT_HANDLER, None, "139901-ZJJ"),
    ("lawyer", "孙丽", Role.LAWYER, "139901001", None),
    ("volunteer", "周敏", Role.VOLUNTEER, "139901001001", None),
    ("outsider", "吴静", Role.COMMUNITY_WORKER, "139901002002", None),
]


@transaction.atomic
def seed_accounts(ctx: DemoContext) -> None:
    for username, name, role, unit_code, department_code in ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.create_user(
                username=username,
                display_name=name,
                password=DEMO_PASSWORD,
                by=None,
                must_change_password=False,
            )
        unit = Unit.objects.get(code=unit_code) if unit_code else None
        department = Department.objects.get(code=department_code) if department_code else None
        org_services.grant_membership(
            user=user, role=role, unit=unit, department=department, by=None
        )
        key = DEMO_TOTP_KEYS.get(username)
        if key and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="demo authenticator", key=key, confirmed=True)
        place = unit.name if unit else (department.name if department else "")
        ctx.accounts.append(
            DemoAccount(username, name, str(Role(role).label), place, _base32(key) if key else None)
        )


def _base32(hex_key: str) -> str:
    import base64

    return base64.b32encode(bytes.fromhex(hex_key)).decode("ascii").rstrip("=")


@transaction.atomic
def seed_residents(ctx: DemoContext) -> None:
    rng = random.Random(7)
    today = dt.date(2026, 11, 1)
    created = 0
    for grid in Unit.objects.filter(level=Level.GRID, path__startswith=ctx.unit(DISTRICT[0]).path):
        rural = grid.parent.rural if grid.parent else False
        community_name = grid.parent.name if grid.parent else grid.name
        for number in range(1, HOUSEHOLDS_PER_GRID + 1):
            code = f"{grid.code}-{number:03d}"
            if rural:
                address = f"{community_name}{grid.code[-1]}组{number * 3 + 1}号"
            else:
                building = int(grid.code[-2:]) * 2 + number // 5
                address = (
                    f"{rng.choice(STREETS)}{rng.randint(1, 199)}号 {community_name}"
                    f"{building}号楼{number % 3 + 1}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}"
                )
            household = Household.objects.filter(code=code).first()
            if household is None:
                household = resident_services.create_household(
                    code=code, unit=grid, address=address, by=None
                )
            if household.members.exists():
                continue
            created += _seed_members(rng, household, grid, today)
    ctx.log(
        f"Residents: {Resident.objects.count()} ({created} new), households: {Household.objects.count()}"
    )


def _seed_members(rng: random.Random, household: Household, grid: Unit, today: dt.date) -> int:
    head_gender = rng.choice([Gender.MALE, Gender.MALE, Gender.FEMALE])
    head_name = person(rng, head_gender)
    head_age = rng.randint(28, 86)
    members: list[tuple[str, str, str, int]] = [(head_name, head_gender, "户主", head_age)]
    if head_age < 80 and rng.random() < 0.8:
        spouse_gender = Gender.FEMALE if head_gender == Gender.MALE else Gender.MALE
        members.append(
            (person(rng, spouse_gender), spouse_gender, "配偶", head_age + rng.randint(-4, 4))
        )
    if head_age < 70:
        for _ in range(rng.choice([0, 1, 1, 2])):
            child_gender = rng.choice([Gender.MALE, Gender.FEMALE])
            members.append(
                (
                    same_surname(rng, head_name[0], child_gender),
                    child_gender,
                    "子女",
                    max(head_age - rng.randint(22, 32), 1),
                )
            )
    for name, gender, relation, age in members:
        birth = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        occupation = "退休" if age >= 62 else ("学生" if age < 19 else rng.choice(OCCUPATIONS))
        resident_services.register_resident(
            name=name,
            unit=grid,
            household=household,
            relation=relation,
            gender=gender,
            birth_date=birth,
            occupation=occupation,
            id_number=_demo_id_number(birth, gender),
            phone=f"13{rng.randint(0, 999_999_999):09d}" if age >= 16 else "",
            by=None,
        )
    return len(members)


_id_serial = itertools.count(1)


def _demo_id_number(birth: dt.date, gender: str) -> str:
    """A well-formed ID number (region 130102, the birth date, a serial whose parity gives the
    gender, the check digit): demo data only."""
    from xinkan.residents.identity import check_digit

    serial = next(_id_serial) % 499 * 2 + (1 if gender == Gender.MALE else 0)
    first17 = f"130102{birth:%Y%m%d}{serial:03d}"
    return first17 + check_digit(first17)


STEPS: list[Callable[[DemoContext], None]] = [
    seed_units,
    seed_accounts,
    seed_residents,
    seed_colours,
    seed_volunteers,
    seed_pairings,
    seed_aid,
    seed_history,
    seed_matters,
    seed_square,
    seed_disputes,
    seed_hotspots,
    seed_metrics,
]
