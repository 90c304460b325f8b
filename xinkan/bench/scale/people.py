"""Generated households and residents (with valid, unique ID numbers, encrypted as the archive
stores them), volunteers among the residents, needs of the elderly and pairings between them."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from collections.abc import Callable

from django.db.models import Count
from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.core import bulk
from xinkan.residents.identity import check_digit
from xinkan.residents.imports.bench import GIVEN, OCCUPATIONS, SIZES, STREETS, SURNAMES, _member
from xinkan.residents.models import Household, Need, NeedType, Resident
from xinkan.residents.services import _set_personal
from xinkan.volunteers.models import Pairing, Skill, Volunteer

# 6-digit region codes (a city's districts and counties): with the ordinal they make ID numbers
# unique by construction, so a resumed run never collides with what an earlier run wrote.
REGIONS = [f"1{p:01d}{d:02d}{c:02d}" for p in range(1, 6) for d in range(1, 9) for c in range(1, 6)]
NEED_HELP: dict[str, tuple[str, str]] = {
    NeedType.DAILY_CARE: ("协助打扫卫生、买菜做饭", Skill.ERRANDS),
    NeedType.MEDICAL: ("陪同就医、提醒按时服药", Skill.MEDICAL),
    NeedType.REPAIRS: ("维修水电、更换灯泡", Skill.REPAIRS),
    NeedType.COMPANIONSHIP: ("上门陪伴聊天", Skill.COMPANIONSHIP),
    NeedType.ERRANDS: ("代购生活用品、代缴水电费", Skill.ERRANDS),
    NeedType.TUTORING: ("课业辅导", Skill.TUTORING),
}


def _id_number(ordinal: int, year: int, male: bool) -> str:
    """Unique for ordinals below len(REGIONS) × 500 × 365 (73 million)."""
    region = REGIONS[ordinal % len(REGIONS)]
    rest = ordinal // len(REGIONS)
    sequence = (rest % 500) * 2 + (1 if male else 0)
    day = dt.date(year, 1, 1) + dt.timedelta(days=(rest // 500) % 365)
    first17 = f"{region}{day:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def load_residents(
    root_path: str,
    grids: list[tuple[int, int, int]],
    n: int,
    *,
    log: Callable[[str], None],
    seed: int = 11,
    batch: int = 10_000,
) -> tuple[int, float]:
    """Add households and residents until the tree has `n` residents."""
    existing = Resident.objects.filter(unit__path__startswith=root_path).count()
    missing = n - existing
    if missing <= 0:
        log(f"  residents: {existing:,} present, none to add")
        return 0, 0.0
    rng = random.Random(seed + existing)
    households_before = Household.objects.filter(unit__path__startswith=root_path).count()
    prefix = root_path.strip("/").split("/")[0]
    started = time.perf_counter()
    added = 0
    household_no = households_before
    while added < missing:
        households: list[Household] = []
        residents: list[Resident] = []
        while len(residents) < batch and added + len(residents) < missing:
            household_no += 1
            grid, _community, _district = rng.choice(grids)
            address = (
                f"{rng.choice(STREETS)}{rng.randint(1, 300)}号"
                f"{rng.randint(1, 6)}单元{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
            )
            household = Household(
                code=f"S{prefix}-{household_no:08d}", unit_id=grid, address=address
            )
            households.append(household)
            surname = rng.choice(SURNAMES)
            for member in range(min(rng.choice(SIZES), missing - added - len(residents))):
                relation, year = _member(member, rng)
                male = rng.random() < 0.5
                ordinal = existing + added + len(residents)
                resident = Resident(
                    household=household,
                    relation=relation,
                    unit_id=grid,
                    name=surname + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                    address=address,
                    occupation=rng.choice(OCCUPATIONS),
                )
                # The archive's own rule: the ID number gives the birth date and gender.
                _set_personal(
                    resident,
                    id_number=_id_number(ordinal, year, male),
                    phone=f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}"
                    if rng.random() < 0.75
                    else "",
                )
                residents.append(resident)
        bulk.insert(Household, households)
        for resident in residents:
            assert resident.household is not None
            resident.household_id = resident.household.pk
        bulk.insert(Resident, residents)
        added += len(residents)
        rate = added / (time.perf_counter() - started)
        log(f"  residents {added:>11,} / {missing:,}  ({rate:,.0f} rows/s)")
    return added, time.perf_counter() - started


def load_volunteers_and_needs(
    root_path: str, volunteers: int, needs: int, staff: User, *, log: Callable[[str], None]
) -> tuple[int, float]:
    """Volunteers among working-age residents, needs among the elderly, and pairings of needs with
    volunteers of the same community (each volunteer within their limit)."""
    started = time.perf_counter()
    rng = random.Random(13)
    added = 0
    have = Volunteer.objects.filter(unit__path__startswith=root_path).count()
    if have < volunteers:
        candidates = list(
            Resident.objects.filter(
                unit__path__startswith=root_path,
                birth_date__year__range=(1955, 2000),
            )
            .exclude(id__in=Volunteer.objects.filter(resident__isnull=False).values("resident_id"))
            .order_by("id")
            .values_list("id", "name", "unit_id")[: (volunteers - have) * 2]
        )
        chosen = rng.sample(candidates, min(len(candidates), volunteers - have))
        skills = list(Skill.values)
        rows = [
            Volunteer(
                name=name,
                resident_id=resident_id,
                unit_id=unit_id,
                skills=rng.sample(skills, rng.randint(1, 2)),
                available_days=sorted(rng.sample(range(7), rng.randint(1, 4))),
                max_pairings=rng.choice((1, 2, 2, 3)),
                joined_on=timezone.localdate() - dt.timedelta(days=rng.randint(0, 1000)),
                created_by=staff,
            )
            for resident_id, name, unit_id in chosen
        ]
        bulk.insert(Volunteer, rows)
        added += len(rows)
        log(f"  volunteers: {len(rows):,} added")
    have = Need.objects.filter(resident__unit__path__startswith=root_path).count()
    if have < needs:
        elderly = list(
            Resident.objects.filter(unit__path__startswith=root_path, birth_date__year__lt=1960)
            .exclude(needs__isnull=False)
            .order_by("id")
            .values_list("id", flat=True)[: (needs - have) * 2]
        )
        now = timezone.now()
        kinds = list(NEED_HELP)
        rows_n = [
            Need(
                resident_id=resident_id,
                need_type=rng.choice(kinds),
                urgency="urgent" if rng.random() < 0.1 else "normal",
                frequency="每周一次",
                opened_at=now - dt.timedelta(days=rng.randint(0, 900)),
                opened_by=staff,
            )
            for resident_id in rng.sample(elderly, min(len(elderly), needs - have))
        ]
        bulk.insert(Need, rows_n)
        added += len(rows_n)
        log(f"  needs: {len(rows_n):,} added")
    added += _pair(root_path, staff, rng, log)
    return added, time.perf_counter() - started


def _pair(root_path: str, staff: User, rng: random.Random, log: Callable[[str], None]) -> int:
    """Pair about six in ten open needs with a volunteer of the same community: the same six in
    ten on every run (chosen by the need's id), so that a later run pairs the needs added since
    and nothing twice."""
    free: dict[int | None, list[list[int]]] = defaultdict(
        list
    )  # community id → [[volunteer, places]]
    used = dict(
        Pairing.objects.filter(status="active")
        .values_list("volunteer_id")
        .annotate(n=Count("id"))
        .values_list("volunteer_id", "n")
    )
    for pk, community, limit in Volunteer.objects.filter(
        unit__path__startswith=root_path
    ).values_list("id", "unit__parent_id", "max_pairings"):
        if limit - used.get(pk, 0) > 0:
            free[community].append([pk, limit - used.get(pk, 0)])
    today = timezone.localdate()
    pairings = []
    for need_id, resident_id, need_type, community in (
        Need.objects.filter(
            resident__unit__path__startswith=root_path,
            closed_at__isnull=True,
            pairings__isnull=True,
        )
        .order_by("id")
        .values_list("id", "resident_id", "need_type", "resident__unit__parent_id")
    ):
        pool = free.get(community)
        if community is None or not pool or random.Random(need_id).random() > 0.6:
            continue
        slot = rng.choice(pool)
        slot[1] -= 1
        if slot[1] == 0:
            pool.remove(slot)
        starts = today - dt.timedelta(days=rng.randint(10, 500))
        every = rng.choice((7, 7, 14, 30))
        last = today - dt.timedelta(days=rng.randint(0, every * 2))
        pairings.append(
            Pairing(
                code=f"BF-{starts.year}-S{need_id:07d}",
                volunteer_id=slot[0],
                resident_id=resident_id,
                need_id=need_id,
                unit_id=community,
                help=NEED_HELP[need_type][0] if need_type in NEED_HELP else "上门帮扶",
                visit_every_days=every,
                starts_on=starts,
                ends_on=starts + dt.timedelta(days=730),
                last_visit_on=last,
                next_visit_due=last + dt.timedelta(days=every),
                created_by=staff,
            )
        )
    bulk.insert(Pairing, pairings)
    log(f"  pairings: {len(pairings):,} added")
    return len(pairings)
