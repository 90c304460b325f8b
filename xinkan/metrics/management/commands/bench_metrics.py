"""Benchmark the performance figures on PostgreSQL at scale.

Loads N matters with the matters benchmark's loader (xinkan/matters/bench.py, bulk COPY, reused
between runs), gives the answered ones their reply and the rated ones their follow-up (bulk SQL),
rebuilds the aggregates, then measures the dashboard and the ranking of the benchmark district (the
top of its tree) cold (first call on a new connection) and warm (p50/p95), and the periodic job's
throughput on matters moved through the real services.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from xinkan.matters import bench
from xinkan.matters import services as matter_services
from xinkan.matters.models import Category, Channel, Matter, MatterEvent, Outcome, Rating
from xinkan.metrics import aggregation, selectors
from xinkan.metrics.models import DailyFact, MatterPart, MonthlyFact
from xinkan.metrics.periods import Period, add_months
from xinkan.org.models import Level, Unit


def _complete_history(leader_id: int, district: Unit, log: Any) -> None:
    """Replies for answered matters and follow-ups for rated ones, where missing (idempotent)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO matters_reply (matter_id, round, outcome, text, by_id, department_id, unit_id, at)
            SELECT m.id, 0, 'supported', '已按诉求处理。', %(by)s, m.lead_department_id,
                   m.handling_unit_id, m.replied_at
            FROM matters_matter m JOIN org_unit u ON u.id = m.unit_id
            WHERE u.path LIKE %(prefix)s AND m.replied_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM matters_reply r WHERE r.matter_id = m.id)
            """,
            {"by": leader_id, "prefix": district.path + "%"},
        )
        log(f"  replies added: {cursor.rowcount:,}")
        cursor.execute(
            """
            INSERT INTO matters_followup (matter_id, reply_id, rating, comment, contacted, by_id,
                                          by_resident, at)
            SELECT m.id, r.id, m.last_rating, '', (m.id %% 10) <> 0, NULL, false,
                   GREATEST(r.at, COALESCE(m.closed_at, r.at))
            FROM matters_matter m JOIN matters_reply r ON r.matter_id = m.id AND r.round = 0
            JOIN org_unit u ON u.id = m.unit_id
            WHERE u.path LIKE %(prefix)s AND m.last_rating <> ''
              AND NOT EXISTS (SELECT 1 FROM matters_followup f WHERE f.matter_id = m.id)
            """,
            {"prefix": district.path + "%"},
        )
        log(f"  follow-ups added: {cursor.rowcount:,}")
        cursor.execute("ANALYZE matters_reply; ANALYZE matters_followup;")


def _timings(fn: Any, samples: int) -> dict[str, float]:
    connection.close()  # cold: a new connection, nothing prepared or cached by the process
    started = time.perf_counter()
    fn()
    cold = (time.perf_counter() - started) * 1000
    warm = []
    for _ in range(samples):
        started = time.perf_counter()
        fn()
        warm.append((time.perf_counter() - started) * 1000)
    return {
        "cold_ms": round(cold, 1),
        "warm_p50_ms": round(bench.percentile(warm, 50), 1),
        "warm_p95_ms": round(bench.percentile(warm, 95), 1),
    }


class Command(BaseCommand):
    help = "Load N matters and measure the dashboard, the ranking and the aggregates' upkeep."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--matters", type=int, default=1_000_000)
        parser.add_argument("--samples", type=int, default=30)
        parser.add_argument("--moved", type=int, default=200, help="matters moved through services")
        parser.add_argument("--skip-rebuild", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL (set DATABASE_URL).")
        import logging

        logging.getLogger("xinkan.matters.services.notify").setLevel(logging.WARNING)
        log = self.stdout.write
        district = bench.ensure_tree(log)
        bench.generate(options["matters"], log=log)
        people = bench.ensure_people(district)
        _complete_history(people["bench_leader"].pk, district, log)
        results: dict[str, Any] = {"matters": Matter.objects.count()}

        if not options["skip_rebuild"]:
            log("Rebuilding the aggregates from scratch …")
            started = time.perf_counter()
            count = aggregation.rebuild(batch=10_000)
            elapsed = time.perf_counter() - started
            results["rebuild"] = {
                "matters": count,
                "seconds": round(elapsed, 1),
                "matters_per_second": round(count / elapsed),
            }
        with connection.cursor() as cursor:
            # As autovacuum would: without statistics on the tree the planner takes the subtree
            # for one unit and loops over it (seconds instead of milliseconds).
            cursor.execute(
                "ANALYZE org_unit; ANALYZE metrics_matterpart; ANALYZE metrics_dailyfact; "
                "ANALYZE metrics_monthlyfact;"
            )
        results["rows"] = {
            "matter_parts": MatterPart.objects.count(),
            "daily_facts": DailyFact.objects.count(),
            "monthly_facts": MonthlyFact.objects.count(),
            "units": Unit.objects.filter(path__startswith=district.path).count(),
        }

        month = Period.containing("month", add_months(dt.date.today(), -1))
        subdistricts = selectors.units_of_level(district, Level.SUBDISTRICT)
        communities = selectors.units_of_level(district, Level.COMMUNITY)
        samples = options["samples"]
        log("Dashboard and rankings …")
        results["dashboard_month"] = _timings(
            lambda: selectors.dashboard(Unit.objects.get(pk=district.pk), month), samples
        )
        results["dashboard_year"] = _timings(
            lambda: selectors.dashboard(
                Unit.objects.get(pk=district.pk), Period.containing("year", month.start)
            ),
            samples,
        )
        results["dashboard_custom_45_days"] = _timings(
            lambda: selectors.dashboard(
                Unit.objects.get(pk=district.pk),
                Period("custom", month.start - dt.timedelta(days=15), month.end),
            ),
            samples,
        )
        results["ranking_subdistricts"] = _timings(
            lambda: selectors.ranking(subdistricts, month.start), samples
        )
        results["ranking_communities"] = _timings(
            lambda: selectors.ranking(communities, month.start), samples
        )
        results["drill_down_first_page"] = _timings(
            lambda: list(selectors.cases(district, "resolved", month)[:50]), samples
        )

        log("Moving matters through the services, then the periodic job …")
        results["incremental"] = self._incremental(people, options["moved"])
        for name, value in results.items():
            self.stdout.write(f"{name:<28} {value}")

    def _incremental(self, people: dict[str, Any], moved: int) -> dict[str, Any]:
        from django.conf import settings

        settings.XINKAN_METRICS_LAG_SECONDS = 0
        aggregation.refresh()  # start from an up-to-date watermark
        community = Unit.objects.get(code=f"{bench.PREFIX}0000")
        grids = list(Unit.objects.filter(parent=community))
        categories = list(Category.objects.filter(parent__isnull=False))
        worker = people["bench_community"]
        rng = random.Random(5)
        first_event = MatterEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        started = time.perf_counter()
        for i in range(moved):
            result = matter_services.register_matter(
                matter_services.Intake(
                    channel=Channel.PHONE,
                    category=rng.choice(categories),
                    description=f"基准测试诉求第{i}号：{rng.randint(1, 10**9)}号楼门口路灯不亮。",
                    unit=rng.choice(grids),
                    contact_name="基准居民",
                    contact_phone=f"17{rng.randint(100000000, 999999999)}",
                ),
                by=worker,
            )
            matter = result.matter
            matter_services.handle_by_unit(matter, by=worker)
            matter_services.reply_to_matter(
                matter,
                by=worker,
                text="已联系有关单位修复路灯，请留意。",
                outcome=Outcome.SUPPORTED,
            )
            matter_services.record_follow_up(matter, rating=Rating.SATISFIED, by=worker)
        services_seconds = time.perf_counter() - started
        events = MatterEvent.objects.filter(pk__gt=first_event).count()
        started = time.perf_counter()
        report = aggregation.refresh()
        job_seconds = time.perf_counter() - started
        return {
            "transitions_events": events,
            "services_ms_per_event": round(services_seconds * 1000 / max(events, 1), 2),
            "job_seconds": round(job_seconds, 2),
            "job_events_per_second": round(report.events / job_seconds) if job_seconds else None,
            "job_ms_per_event": round(job_seconds * 1000 / max(report.events, 1), 2),
            "report": str(report),
        }
