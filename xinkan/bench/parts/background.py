"""Work done in the background or in bulk: the deadline sweep over the whole database, the
residents import, volunteer matching on the generated archive, and the upkeep of the performance
aggregates (per transition, by the periodic job)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.bench.errors import BenchUnavailable
from xinkan.bench.parts.intake import community_grids
from xinkan.bench.report import Report
from xinkan.matters import services as matter_services
from xinkan.matters.models import Category, Channel, Deadline, Matter, MatterEvent, Outcome, Rating
from xinkan.org.models import Unit
from xinkan.residents.imports import bench as import_bench
from xinkan.residents.imports import service as import_service
from xinkan.residents.models import ImportJob, Resident
from xinkan.volunteers.matching_data import proposals_for_unit


def sweep(report: Report, *, newly_due: int = 500) -> None:
    """One sweep over every open deadline, with `newly_due` of them just gone overdue (as between
    two runs of the 5-minute job), then one with nothing to do."""
    logging.getLogger("xinkan.matters.services.notify").setLevel(logging.WARNING)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE matters_deadline SET overdue_at = NULL WHERE id IN (
                SELECT id FROM matters_deadline
                WHERE met_at IS NULL AND NOT cancelled AND overdue_at IS NOT NULL
                  AND due_at < %s
                ORDER BY due_at DESC LIMIT %s)
            """,
            [timezone.now(), newly_due],
        )
    open_deadlines = Deadline.objects.filter(met_at__isnull=True, cancelled=False).count()
    scale = {"open_deadlines": open_deadlines, "matters": Matter.objects.count()}
    started = time.perf_counter()
    result = matter_services.sweep_all()
    elapsed = time.perf_counter() - started
    report.add(
        "sweep.with_newly_overdue",
        {"ms": round(elapsed * 1000, 1), "overdue_marked": result.overdue, "result": str(result)},
        **scale,
    )
    started = time.perf_counter()
    result = matter_services.sweep_all()
    report.add(
        "sweep.nothing_due",
        {"ms": round((time.perf_counter() - started) * 1000, 1), "result": str(result)},
        **scale,
    )


def residents_import(report: Report, rows: int, workdir: Path) -> None:
    """Import `rows` new residents from a CSV through the import service (one audit entry each),
    then the same file again (nothing changes)."""
    district = import_bench.ensure_tree(lambda _line: None)
    user = import_bench.ensure_importer(district)
    import_bench.clear(district)
    path = workdir / f"residents-{rows}.csv"
    import_bench.write_file(path, rows)
    scale = {"residents_in_archive": Resident.objects.count(), "file_rows": rows}
    for label in ("new", "unchanged"):
        job = import_service.create_local_job(by=user, unit=district, file_name=path.name)
        started = time.perf_counter()
        finished = import_service.run_job(job.pk, source=path)
        elapsed = time.perf_counter() - started
        if finished is None or finished.status != ImportJob.Status.DONE:
            raise BenchUnavailable(f"the import did not finish: {finished and finished.error}")
        report.add(
            f"import.residents.{label}",
            {"seconds": round(elapsed, 1), "rows_per_second": round(rows / elapsed)},
            **scale,
        )


def matching(report: Report, people: dict[str, User], root: Unit) -> None:
    """Proposals for every open unpaired need of a subdistrict (or, where the cadre may not pair,
    of the community worker's community)."""
    from xinkan.org.roles import Role

    for role in (Role.SUBDISTRICT_CADRE, Role.COMMUNITY_WORKER):
        user = people[role]
        membership = user.memberships.select_related("unit").first()
        assert membership is not None and membership.unit is not None
        try:
            started = time.perf_counter()
            result = proposals_for_unit(user, membership.unit)
        except PermissionDenied:
            continue
        elapsed = time.perf_counter() - started
        report.add(
            "matching.proposals",
            {
                "ms": round(elapsed * 1000, 1),
                "proposals": len(result.proposals),
                "unit": membership.unit.name,
            },
            needs_open=len(result.proposals) + len(result.unmatched),
            volunteers=result.volunteers_considered,
        )
        return
    raise BenchUnavailable("no benchmark account may pair volunteers")


def upkeep(report: Report, user: User) -> None:
    """The periodic job's cost per transition: the matters' aggregates and mediation's facts."""
    aggregates_upkeep(report, user, 100)
    mediation_upkeep(report, user, 50)


def aggregates_upkeep(report: Report, user: User, moved: int) -> None:
    """Matters moved through the services (register, handle, reply, rate), then the periodic job
    that folds their events into the aggregates: its cost per transition."""
    from xinkan.metrics import aggregation

    logging.getLogger("xinkan.matters.services.notify").setLevel(logging.WARNING)
    settings.XINKAN_METRICS_LAG_SECONDS = 0
    aggregation.refresh()  # start from an up-to-date watermark
    grids = community_grids(user)
    categories = list(Category.objects.filter(parent__isnull=False))
    rng = random.Random(5)
    first_event = MatterEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started = time.perf_counter()
    for i in range(moved):
        matter = matter_services.register_matter(
            matter_services.Intake(
                channel=Channel.PHONE,
                category=rng.choice(categories),
                description=f"基准测试诉求第{i}号：{rng.randint(1, 10**9)}号楼门口路灯不亮。",
                unit=rng.choice(grids),
                contact_name="基准居民",
                contact_phone=f"17{rng.randint(100000000, 999999999)}",
            ),
            by=user,
        ).matter
        matter_services.handle_by_unit(matter, by=user)
        matter_services.reply_to_matter(
            matter, by=user, text="已联系有关单位修复路灯，请留意。", outcome=Outcome.SUPPORTED
        )
        matter_services.record_follow_up(matter, rating=Rating.SATISFIED, by=user)
    _job_cost(
        report,
        "aggregates.upkeep",
        services_seconds=time.perf_counter() - started,
        transitions=MatterEvent.objects.filter(pk__gt=first_event).count(),
        job=lambda: str(aggregation.refresh()),
        matters=Matter.objects.count(),
    )


def _job_cost(
    report: Report,
    name: str,
    *,
    services_seconds: float,
    transitions: int,
    job: Callable[[], str],
    **scale: int,
) -> None:
    """Run the periodic job once, timed, and report its cost and the services' per transition."""
    started = time.perf_counter()
    result = job()
    job_seconds = time.perf_counter() - started
    report.add(
        name,
        {
            "transitions": transitions,
            "services_ms_per_transition": round(services_seconds * 1000 / max(transitions, 1), 2),
            "job_ms_per_transition": round(job_seconds * 1000 / max(transitions, 1), 2),
            "job_seconds": round(job_seconds, 2),
            "result": result,
        },
        **scale,
    )


def mediation_upkeep(report: Report, user: User, disputes: int) -> None:
    """Disputes registered and settled through the services, then the periodic job that folds
    their events into mediation's facts (metrics/dispute_facts.py): its cost per transition."""
    from xinkan.mediation import services as mediation
    from xinkan.mediation.models import Dispute, DisputeEvent, DisputeType, Source
    from xinkan.metrics import dispute_facts

    logging.getLogger("xinkan.mediation.services.notify").setLevel(logging.WARNING)
    settings.XINKAN_METRICS_LAG_SECONDS = 0
    dispute_facts.refresh()  # start from an up-to-date watermark
    grids = community_grids(user)
    rng = random.Random(6)
    first_event = DisputeEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started = time.perf_counter()
    for i in range(disputes):
        dispute = mediation.register_dispute(
            mediation.NewDispute(
                dispute_type=DisputeType.NEIGHBOURS,
                source=Source.PATROL,
                title=f"基准测试纠纷第{i}号：楼道堆放杂物",
                unit=rng.choice(grids),
                parties=[
                    mediation.NewParty(name="基准甲", phone=f"17{rng.randint(10**8, 10**9 - 1)}"),
                    mediation.NewParty(name="基准乙", phone=f"17{rng.randint(10**8, 10**9 - 1)}"),
                ],
            ),
            by=user,
        )
        mediation.settle(
            dispute,
            by=user,
            settlement=mediation.Settlement(
                kind="oral",
                facts="双方因楼道堆放杂物发生争执。",
                points_at_issue="杂物是否妨碍通行。",
                terms=[mediation.NewTerm(text="乙方当日清理楼道杂物")],
                signed_on=timezone.localdate(),
            ),
        )
    _job_cost(
        report,
        "mediation.upkeep",
        services_seconds=time.perf_counter() - started,
        transitions=DisputeEvent.objects.filter(pk__gt=first_event).count(),
        job=dispute_facts.refresh,
        disputes=Dispute.objects.count(),
    )
