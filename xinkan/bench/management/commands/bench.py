"""The one benchmark: `manage.py bench --preset district` (PostgreSQL). Prints a table and writes
a JSON file of figures, each with the scale it was measured at. A part that cannot run says why
(and the command exits non-zero when a part broke rather than being unavailable)."""

from __future__ import annotations

import resource
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from xinkan.bench import report as report_module
from xinkan.bench.errors import BenchUnavailable
from xinkan.bench.parts import background, http, intake, pages, pgbench
from xinkan.bench.report import Report
from xinkan.bench.scale import seeding, tree
from xinkan.bench.scale.presets import PRESETS
from xinkan.org.models import Unit
from xinkan.org.roles import Role

PARTS = ("pages", "intake", "http", "pgbench", "peer", "background")
# Parts that can also be chosen one by one (`--parts pages.metrics background.aggregates`).
SUBPARTS = (
    "pages.lists",
    "pages.metrics",
    "pages.report",
    "background.sweep",
    "background.import",
    "background.matching",
    "background.aggregates",
)


class Command(BaseCommand):
    help = (
        "Generate (or reuse) a preset's data and measure pages, intake (service and HTTP), the "
        "database's own limit (pgbench), a peer (django-helpdesk) and background work."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--preset", choices=sorted(PRESETS), default="district")
        parser.add_argument("--matters", type=int, help="override the preset's number of matters")
        parser.add_argument("--residents", type=int, help="override the preset's residents")
        parser.add_argument("--parts", nargs="*", choices=PARTS + SUBPARTS, default=list(PARTS))
        parser.add_argument("--no-seed", action="store_true", help="measure the data as it is")
        parser.add_argument("--samples", type=int, default=30, help="samples per page figure")
        parser.add_argument("--intakes", type=int, default=300, help="service-level intakes")
        parser.add_argument("--seconds", type=int, default=30, help="seconds per load run")
        parser.add_argument("--users", type=int, default=16, help="simulated users per load run")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
        parser.add_argument("--import-rows", type=int, default=20_000)
        parser.add_argument("--workdir", type=Path, help="default: VAR_DIR/bench")
        parser.add_argument(
            "--cold-command",
            default="",
            help="a shell command run before each cold page call, e.g. restarting PostgreSQL and "
            "dropping the page cache (default: cold = a new connection)",
        )
        parser.add_argument(
            "--cold-runs", type=int, default=1, help="cold calls per page figure (p50/p95)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL (set DATABASE_URL).")
        if settings.DEBUG or not (settings.XINKAN_DATA_KEYS and settings.XINKAN_INDEX_KEY):
            raise CommandError(
                "The benchmark measures production settings: XINKAN_DEBUG off, SECRET_KEY, "
                "XINKAN_DATA_KEYS and XINKAN_INDEX_KEY set (the same keys the data was generated "
                "with). `make bench` sets them."
            )
        log = self.stdout.write
        started = time.perf_counter()
        preset = PRESETS[options["preset"]].scaled(
            matters=options["matters"], residents=options["residents"]
        )
        workdir: Path = options["workdir"] or Path(settings.VAR_DIR) / "bench"
        workdir.mkdir(parents=True, exist_ok=True)
        seeded: dict[str, tuple[int, float]] = {}
        if not options["no_seed"]:
            log(f"Seeding the {preset.name} preset (reused when present) …")
            seeded = seeding.seed(preset, skip=set(), log=log)
        root = Unit.objects.filter(code=tree.root_code(preset)).first()
        if root is None:
            raise CommandError(f"No {preset.name} data: run without --no-seed first.")
        call_command("collectstatic", interactive=False, verbosity=0)  # pages need the manifest
        report = Report(scale={"preset": preset.name, **seeding.counts(preset)})
        for stage, (rows, seconds) in seeded.items():
            if rows and seconds:  # what this run generated (nothing when the data was there)
                report.add(
                    f"seed.{stage}",
                    {
                        "rows": rows,
                        "seconds": round(seconds, 1),
                        "rows_per_second": round(rows / seconds),
                    },
                )
        people = seeding.bench_people(root)
        failed: list[str] = []

        def part(name: str, fn: Callable[[], None]) -> None:
            if name not in options["parts"] and name.split(".")[0] not in options["parts"]:
                return
            log(f"— {name} …")
            began = time.perf_counter()
            try:
                fn()
            except BenchUnavailable as exc:
                report.skip(name, exc.reason)
            except Exception as exc:  # a broken part is reported and fails the command at the end
                report.skip(name, f"error: {exc!r}")
                failed.append(name)
                self.stderr.write(traceback.format_exc())
            log(f"  ({time.perf_counter() - began:.0f} s)")

        samples = options["samples"]
        report_module.COLD = report_module.ColdStart(
            command=options["cold_command"], runs=options["cold_runs"]
        )
        part("pages.lists", lambda: pages.measure_lists(report, _staff(people), root, samples))
        part("pages.metrics", lambda: pages.measure_metrics(report, _staff(people), root, samples))
        part("pages.report", lambda: pages.monthly_report(report, root, max(3, samples // 10)))
        part(
            "intake",
            lambda: intake.measure(
                report, people[Role.COMMUNITY_WORKER], options["intakes"], samples
            ),
        )
        load = {k: options[k] for k in ("seconds", "users", "workers")}
        part("http", lambda: http.measure_xinkan(report, people, workdir, log=log, **load))
        membership = people[Role.COMMUNITY_WORKER].memberships.select_related("unit").first()
        assert membership is not None and membership.unit is not None
        community = membership.unit
        part(
            "pgbench",
            lambda: report.add(
                "pgbench.intake_writes",
                pgbench.run(
                    workdir,
                    community,
                    people[Role.COMMUNITY_WORKER].pk,
                    clients=options["users"],
                    seconds=options["seconds"],
                ),
                matters=report.scale["matters"],
            ),
        )
        part(
            "peer",
            lambda: http.measure_peer(
                report, tickets=report.scale["matters"], workdir=workdir, log=log, **load
            ),
        )
        part("background.sweep", lambda: background.sweep(report))
        part(
            "background.import",
            lambda: background.residents_import(report, options["import_rows"], workdir),
        )
        part("background.matching", lambda: background.matching(report, people, root))
        part(
            "background.aggregates",
            lambda: background.upkeep(report, people[Role.COMMUNITY_WORKER]),
        )
        http.ratios(report)
        report.add(
            "memory.bench_process",
            {"peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)},
        )
        report.add("wall", {"seconds": round(time.perf_counter() - started)})
        path = report.save()
        self.stdout.write(report.table())
        self.stdout.write(self.style.SUCCESS(f"Figures written to {path}"))
        if failed:
            raise CommandError(f"Parts that broke: {', '.join(failed)} (see above).")


def _staff(people: dict[str, Any]) -> dict[str, Any]:
    return {role: user for role, user in people.items() if role != Role.ADMIN}
