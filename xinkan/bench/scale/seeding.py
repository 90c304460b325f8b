"""The stages of `seed_scale`, in order, each adding only what is missing."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable

from django.db import connection

from xinkan.accounts.models import User
from xinkan.bench.scale import cases, matters, people, tree
from xinkan.bench.scale.presets import Preset
from xinkan.matters.models import Matter
from xinkan.mediation.models import Dispute
from xinkan.org.models import Unit
from xinkan.org.roles import Role
from xinkan.residents.models import Resident
from xinkan.square.models import Session as SquareSession
from xinkan.volunteers.models import Pairing, Volunteer

STAGES = ("matters", "history", "residents", "volunteers", "disputes", "square", "aggregates")
STAFF = "scale_staff"


def staff_user(root: Unit) -> User:
    """The account the generated records name as their author (nobody can log in as it)."""
    from xinkan.accounts import services as account_services
    from xinkan.org import services as org_services

    user = User.objects.filter(username=STAFF).first()
    if user is None:
        user = account_services.create_user(
            username=STAFF,
            display_name="规模数据",
            password=secrets.token_urlsafe(16) + "Aa1!",
            by=None,
            must_change_password=False,
        )
    org_services.grant_membership(user=user, role=Role.LEADER, unit=root, by=None)
    return user


def seed(
    preset: Preset, *, skip: set[str], log: Callable[[str], None]
) -> dict[str, tuple[int, float]]:
    report: dict[str, tuple[int, float]] = {}
    started = time.perf_counter()
    shape = tree.ensure_tree(preset, log)
    report["units (tree)"] = (0, time.perf_counter() - started)
    root = shape.root
    staff = staff_user(root)
    departments = tree.departments_by_district(shape.districts)
    if "matters" not in skip:
        report["matters"] = matters.load_matters(
            root, shape.grids, departments, preset.matters, log=log
        )
    if "history" not in skip:
        began = time.perf_counter()
        matters.complete_history(root, staff.pk, log=log)
        report["history"] = (0, time.perf_counter() - began)
    if "residents" not in skip:
        report["residents"] = people.load_residents(
            root.path, shape.grids, preset.residents, log=log
        )
    if "volunteers" not in skip:
        report["volunteers"] = people.load_volunteers_and_needs(
            root.path, preset.volunteers, preset.needs, staff, log=log
        )
    if "disputes" not in skip:
        report["disputes"] = cases.load_disputes(root, preset.disputes, staff, log=log)
    if "square" not in skip:
        report["square"] = cases.load_square(root, preset.square_sessions, staff, log=log)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    if "aggregates" not in skip:
        report["aggregates"] = _aggregates(log)
    return report


def _aggregates(log: Callable[[str], None]) -> tuple[int, float]:
    """The performance aggregates rebuilt from scratch over every matter (the generated matters
    bypassed the services that keep them up to date)."""
    from xinkan.metrics import aggregation, dispute_facts

    log("  performance aggregates: rebuilding from scratch …")
    began = time.perf_counter()
    # One process per core computing the parts (the tables are analysed as they are swapped in);
    # one inside a transaction (the tests'), where other processes would not see the rows.
    workers = 1 if connection.in_atomic_block else os.cpu_count() or 1
    count = aggregation.rebuild(batch=10_000, workers=workers, log=log)
    log(f"  mediation's cells: {dispute_facts.rebuild():,}")
    return count, time.perf_counter() - began


def counts(preset: Preset) -> dict[str, int]:
    root = Unit.objects.get(code=tree.root_code(preset))
    inside = {"unit__path__startswith": root.path}
    return {
        "units": Unit.objects.filter(path__startswith=root.path).count(),
        "matters": Matter.objects.filter(**inside).count(),
        "residents": Resident.objects.filter(**inside).count(),
        "volunteers": Volunteer.objects.filter(**inside).count(),
        "pairings": Pairing.objects.filter(**inside).count(),
        "disputes": Dispute.objects.filter(**inside).count(),
        "square_sessions": SquareSession.objects.filter(**inside).count(),
    }


def bench_people(root: Unit) -> dict[str, User]:
    """Accounts the benchmark acts as, one per role it measures, placed in the generated tree:
    a community worker and a subdistrict cadre in the first community and subdistrict, a leader
    and an administrator of the whole tree (random passwords; the HTTP run sets a new random one
    for the account it logs in as)."""
    from xinkan.accounts import services as account_services
    from xinkan.org import services as org_services
    from xinkan.org.models import Level

    subdistrict = (
        Unit.objects.filter(path__startswith=root.path, level=Level.SUBDISTRICT)
        .order_by("code")
        .first()
    )
    assert subdistrict is not None
    community = Unit.objects.filter(parent=subdistrict).order_by("code").first()
    people: dict[str, User] = {}
    for username, role, unit in [
        ("scale_community", Role.COMMUNITY_WORKER, community),
        ("scale_cadre", Role.SUBDISTRICT_CADRE, subdistrict),
        ("scale_leader", Role.LEADER, root),
        ("scale_admin", Role.ADMIN, root),  # issues the benchmark's API token
    ]:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.create_user(
                username=username,
                display_name=username,
                password=secrets.token_urlsafe(16) + "Aa1!",
                by=None,
                must_change_password=False,
            )
            org_services.grant_membership(user=user, role=role, unit=unit, by=None)
        people[role] = user
    return people
