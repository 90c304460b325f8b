"""Intake through the service layer (what one registration costs, duplicate lookup included) and
the duplicate-candidate lookup on its own."""

from __future__ import annotations

import logging
import random
import time

from xinkan.accounts.models import User
from xinkan.bench.report import Report, latency
from xinkan.bench.scale.texts import PROBLEMS, fill
from xinkan.matters import services
from xinkan.matters.models import Category, Channel, Matter
from xinkan.matters.services import intake as intake_module
from xinkan.org.models import Level, Unit


def community_grids(user: User) -> list[Unit]:
    membership = user.memberships.select_related("unit").first()
    assert membership is not None and membership.unit is not None
    return list(Unit.objects.filter(path__startswith=membership.unit.path, level=Level.GRID))


def measure(report: Report, user: User, intakes: int, samples: int) -> None:
    logging.getLogger("xinkan.matters.services.notify").setLevel(logging.WARNING)
    rng = random.Random(99)
    grids = community_grids(user)
    categories = {c.code: c for c in Category.objects.all()}
    scale = {"matters": Matter.objects.count()}
    intake_ms: list[float] = []
    lookup_ms: list[float] = []
    began = time.perf_counter()
    for i in range(intakes):
        code, template = rng.choice(PROBLEMS)
        data = services.Intake(
            channel=Channel.PHONE,
            category=categories[code],
            description=fill(template, rng),
            unit=rng.choice(grids),
            contact_name="基准居民",
            contact_phone=f"15{rng.randint(100000000, 999999999)}",
        )
        started = time.perf_counter()
        result = services.register_matter(data, by=user)
        intake_ms.append((time.perf_counter() - started) * 1000)
        if i < samples:
            started = time.perf_counter()
            intake_module._same_person_match(data, intake_module.OPEN_STATES)
            intake_module.find_candidates(result.matter)
            lookup_ms.append((time.perf_counter() - started) * 1000)
    elapsed = time.perf_counter() - began
    report.add(
        "intake.service",
        {**latency(intake_ms), "per_second": round(intakes / elapsed, 1)},
        **scale,
        sequential=True,
    )
    report.add("intake.duplicate_lookup", latency(lookup_ms), **scale)
