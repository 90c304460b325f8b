"""Over HTTP: Xinkan under gunicorn driven by locust from another process (intake through the REST
API, the worklist, a matter's page, the dashboard), the same operations of django-helpdesk, and
the ratios: intake as a share of what the database alone does (pgbench), Xinkan against the peer."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from xinkan.accounts.models import User
from xinkan.api import tokens
from xinkan.bench import load, peer_helpdesk
from xinkan.bench.errors import BenchUnavailable
from xinkan.bench.report import Report
from xinkan.bench.scale.texts import PROBLEMS
from xinkan.matters.models import Matter
from xinkan.org.models import Level, Unit
from xinkan.org.roles import Role

LOCUSTFILE = Path(__file__).resolve().parent.parent / "locustfiles" / "xinkan_intake.py"
OPERATIONS = ("worklist", "matter", "dashboard", "intake")  # reads first, as for the peer


def _server_env(workdir: Path) -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise BenchUnavailable("DATABASE_URL is not set: the server would not see this database")
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "XINKAN_SECURE_COOKIES": "0",
        "XINKAN_DEBUG": "",
        "XINKAN_TESTING": "",
        # The load comes from one address and one token: the limits are not what is measured.
        "XINKAN_API_RATE_CALLER": "100000000/60",
        "XINKAN_API_RATE_ADDRESS": "100000000/60",
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    return env


def _load_env(people: dict[str, User], workdir: Path) -> dict[str, str]:
    """A token for the community worker's community, a fresh password for that worker (for the
    pages), and what the locust file needs to know."""
    worker = people[Role.COMMUNITY_WORKER]
    membership = worker.memberships.select_related("unit").first()
    assert membership is not None and membership.unit is not None
    community = membership.unit
    issued = tokens.create_token(
        name="benchmark intake",
        role=Role.COMMUNITY_WORKER,
        perms=sorted(tokens.allowed_perms(Role.COMMUNITY_WORKER)),
        by=people[Role.ADMIN],
        unit=community,
    )
    password = secrets.token_urlsafe(18) + "Aa1!"
    web_user = _web_user(community, password)
    grids = Unit.objects.filter(parent=community, level=Level.GRID).values_list("id", flat=True)
    matters = list(
        Matter.objects.filter(unit__path__startswith=community.path)
        .order_by("-registered_at")
        .values_list("id", flat=True)[:500]
    )
    texts = peer_helpdesk.write_texts(workdir / "texts.json")
    return {
        "XINKAN_BENCH_TOKEN": issued.secret,
        "XINKAN_BENCH_CATEGORIES": ",".join(code for code, _t in PROBLEMS),
        "XINKAN_BENCH_UNITS": ",".join(str(pk) for pk in grids),
        "XINKAN_BENCH_MATTERS": ",".join(str(pk) for pk in matters),
        "XINKAN_BENCH_USERNAME": web_user.username,
        "XINKAN_BENCH_PASSWORD": password,
        "BENCH_TEXTS": str(texts),
    }


def _web_user(community: Unit, password: str) -> User:
    """The community worker the load logs in as (its own account: the in-process page runs give
    theirs a second factor, which a form login cannot pass), with a fresh password."""
    from xinkan.accounts import services as account_services
    from xinkan.org import services as org_services

    user = User.objects.filter(username="scale_web").first()
    if user is None:
        user = account_services.create_user(
            username="scale_web",
            display_name="scale_web",
            password=password,
            by=None,
            must_change_password=False,
        )
        org_services.grant_membership(
            user=user, role=Role.COMMUNITY_WORKER, unit=community, by=None
        )
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def measure_xinkan(
    report: Report,
    people: dict[str, User],
    workdir: Path,
    *,
    seconds: int,
    users: int,
    workers: int,
    log: Callable[[str], None],
) -> None:
    locust = load.tools_venv(workdir, log)
    env = _load_env(people, workdir)
    scale = {"matters": Matter.objects.count(), "users": users, "gunicorn_workers": workers}
    with load.serve_gunicorn(
        "xinkan.wsgi:application",
        workers=workers,
        port=load.free_port(),
        env=_server_env(workdir),
        cwd=Path(settings.BASE_DIR),
        python=Path(sys.executable),
        log=log,
        log_file=workdir / "gunicorn-xinkan.log",
    ) as server:
        for operation in OPERATIONS:
            # Every worker imports, compiles templates and opens its connection once before each
            # measured run (as the peer's runs are warmed up): not measured.
            load.run_locust(
                LOCUSTFILE,
                server.url,
                users=users,
                spawn_rate=users,
                seconds=5,
                env=env,
                workdir=workdir,
                log=log,
                tags=(operation,),
                locust=locust,
            )
            result = load.run_locust(
                LOCUSTFILE,
                server.url,
                users=users,
                spawn_rate=users,
                seconds=seconds,
                env=env,
                workdir=workdir,
                log=log,
                tags=(operation,),
                locust=locust,
            )
            stats = result.require(operation)
            report.add(
                f"http.xinkan.{operation}",
                {
                    "n": stats.requests,
                    "p50_ms": stats.p50_ms,
                    "p95_ms": stats.p95_ms,
                    "p99_ms": stats.p99_ms,
                    "per_second": round(stats.rps, 1),
                    "failures": stats.failures,
                    **({"warnings": result.warnings} if result.warnings else {}),
                },
                **scale,
                seconds=seconds,
            )
    report.add("memory.xinkan_worker", server.peak_rss_summary(), **scale)


def measure_peer(
    report: Report,
    *,
    tickets: int,
    workdir: Path,
    seconds: int,
    users: int,
    workers: int,
    log: Callable[[str], None],
) -> None:
    db = settings.DATABASES["default"]
    result = peer_helpdesk.run_peer(
        tickets=tickets,
        workdir=workdir,
        log=log,
        seconds=seconds,
        users=users,
        spawn_rate=users,
        workers=workers,
        db_host=str(db.get("HOST") or "127.0.0.1"),
        db_port=int(db.get("PORT") or 5432),
        db_user=str(db.get("USER") or "postgres"),
        db_password=str(db.get("PASSWORD") or ""),
    )
    scale = {"tickets": result.get("tickets"), "users": users, "gunicorn_workers": workers}
    report.add("peer.helpdesk.load", result.get("load", {}), **scale)
    for name, figures in result.get("operations", {}).items():
        if "unavailable" in figures:
            report.skip(f"peer.helpdesk.{name}", figures["unavailable"])
        else:
            shaped = {
                "n": figures.get("requests"),
                "p50_ms": figures.get("p50_ms"),
                "p95_ms": figures.get("p95_ms"),
                "p99_ms": figures.get("p99_ms"),
                "per_second": figures.get("rps"),
                "failures": figures.get("failures"),
            }
            report.add(f"peer.helpdesk.{name}", shaped, **scale, seconds=seconds)
    report.add("memory.helpdesk_worker", result.get("memory", {}), **scale)


def ratios(report: Report) -> None:
    """Xinkan's throughput over the database's own limit and over the peer's, where both ran."""
    figures = report.figures
    intake = figures.get("http.xinkan.intake", {}).get("per_second")
    limit = figures.get("pgbench.intake_writes", {}).get("per_second")
    result: dict[str, Any] = {}
    if intake and limit:
        result["intake_share_of_database_limit"] = round(intake / limit, 3)
    # Xinkan's REST intake against helpdesk's REST intake (the same kind of work) and its form.
    pairs = [(op, op) for op in OPERATIONS if op != "intake"]
    pairs += [("intake", "intake_api"), ("intake", "intake")]
    for ours_name, theirs_name in pairs:
        ours = figures.get(f"http.xinkan.{ours_name}", {})
        theirs = figures.get(f"peer.helpdesk.{theirs_name}", {})
        label = ours_name if ours_name == theirs_name else f"{ours_name}_vs_{theirs_name}"
        if ours.get("per_second") and theirs.get("per_second"):
            result[f"{label}.throughput_xinkan_over_helpdesk"] = round(
                ours["per_second"] / theirs["per_second"], 2
            )
        if ours.get("p50_ms") and theirs.get("p50_ms"):
            result[f"{label}.p50_xinkan_over_helpdesk"] = round(
                ours["p50_ms"] / theirs["p50_ms"], 2
            )
    if result:
        report.add("ratios", result)
