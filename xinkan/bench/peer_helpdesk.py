"""The peer in the benchmark: django-helpdesk, a widely used Django ticketing system, measured on
the operations it shares with Xinkan, with the same load tool and the same server set-up.

`run_peer` installs helpdesk into its own virtual environment (workdir/venv-helpdesk, made once
and reused), writes a minimal Django site for it (workdir/helpdesk_site, from the templates in
xinkan/bench/peer_site/), recreates its PostgreSQL database, migrates, loads N tickets by COPY
with the same Chinese problem texts as Xinkan's benchmark matters, serves it with gunicorn and
drives it with locust (xinkan/bench/locustfiles/helpdesk.py), one operation at a time:

- "worklist": the staff ticket list, first page — the page and the data request its table makes
  (helpdesk fills the table from a JSON endpoint); timed together as one list view,
- "matter": one ticket's page,
- "dashboard": the staff dashboard,
- "intake": ticket creation by a logged-in staff member through helpdesk's "new ticket" form
  (a POST with the CSRF token; the redirect to the new ticket is not followed) — the closest
  match to a staff intake. "intake_api" creates tickets through helpdesk's REST API instead,
  the closest match to Xinkan's API intake; both are reported.

Every step that cannot run raises BenchUnavailable with the reason; an operation that fails
alone is reported as unavailable (with why) and the others still run.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from xinkan.bench.errors import BenchUnavailable
from xinkan.bench.load import (
    LoadResult,
    Log,
    child_env,
    ensure_venv,
    free_port,
    run_bounded,
    run_locust,
    serve_gunicorn,
    tools_venv,
)

# Pinned with its dependencies as resolved for it, so a rerun measures the same code.
HELPDESK_REQUIREMENTS = (
    "django-helpdesk==2.6.1",
    "Django==5.2.19",  # the same Django as Xinkan
    "psycopg[binary]==3.3.9",
    "gunicorn==27.0.1",
    "djangorestframework==3.18.3",
    "django-model-utils==5.0.0",
    "django-cleanup==9.0.0",
    "email-reply-parser==0.5.12",
    "Markdown==3.11.3",
    "beautifulsoup4==4.15.0",
    "nh3==0.3.8",
    "oauthlib==4.0.1",
    "requests-oauthlib==2.0.0",
    "requests==2.34.2",
)
SITE_TEMPLATE = Path(__file__).resolve().parent / "peer_site"
SITE_FILES = ("settings.py", "urls.py", "wsgi.py", "manage.py", "loader.py")
LOCUSTFILE = Path(__file__).resolve().parent / "locustfiles" / "helpdesk.py"
# Reads first, so that they see exactly the loaded number of tickets; intake last.
OPERATIONS = ("worklist", "matter", "dashboard", "intake", "intake_api")
USERNAME = "bench"


def write_texts(path: Path) -> Path:
    """The problem texts of Xinkan's benchmark matters as JSON, for the peer's loader and for
    the locust files (env BENCH_TEXTS): {"problems": [[category code, template], ...],
    "streets": [...]}."""
    from xinkan.bench.scale.texts import PROBLEMS, STREETS

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"problems": PROBLEMS, "streets": STREETS}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def write_site(workdir: Path) -> Path:
    """Copy the peer site's files into workdir/helpdesk_site (replacing older copies)."""
    site = workdir / "helpdesk_site"
    site.mkdir(parents=True, exist_ok=True)
    for name in SITE_FILES:
        source = SITE_TEMPLATE / name
        if not source.is_file():
            raise BenchUnavailable(f"the peer site template {source} is missing")
        shutil.copyfile(source, site / name)
    write_texts(site / "texts.json")
    return site


def _last_json(tail: str, step: str) -> dict[str, Any]:
    for line in reversed(tail.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                parsed: dict[str, Any] = json.loads(line)
                return parsed
            except ValueError:
                break
    raise BenchUnavailable(f"the peer's {step} printed no result:\n{tail}")


def _step(
    python: Path, args: list[str], *, site: Path, env: dict[str, str], timeout: float, step: str
) -> str:
    code, tail = run_bounded(
        [str(python), *args],
        timeout=timeout,
        output=site / f"{step}.log",
        env=child_env(env),
        cwd=site,
    )
    if code != 0:
        raise BenchUnavailable(f"the peer's {step} failed (exit {code}):\n{tail}")
    return tail


def figures(result: LoadResult, name: str) -> dict[str, Any]:
    """One operation's figures from a locust run, in the report's shape."""
    stats = result.require(name)
    return {
        "requests": stats.requests,
        "failures": stats.failures,
        "rps": round(stats.rps, 2),
        "p50_ms": stats.p50_ms,
        "p95_ms": stats.p95_ms,
        "p99_ms": stats.p99_ms,
        "max_ms": stats.max_ms,
        "warnings": [w for w in result.warnings if w.startswith(f"{name}:")],
    }


def run_peer(
    *,
    tickets: int,
    workdir: Path,
    log: Log,
    seconds: int = 30,
    users: int = 10,
    spawn_rate: float = 10,
    workers: int = 4,
    port: int | None = None,
    warmup_seconds: int = 5,
    operations: tuple[str, ...] = OPERATIONS,
    database: str = "helpdesk_peer",
    db_host: str = "127.0.0.1",
    db_port: int = 5432,
    db_user: str = "postgres",
    db_password: str = "",
) -> dict[str, Any]:
    """Install, load and measure django-helpdesk: each operation is run `warmup_seconds`
    unmeasured, then `seconds` measured, with `users` simulated users against `workers` sync
    gunicorn workers. Returns its figures:
    {"version", "tickets", "load": {rows_per_s, ...}, "operations": {name: figures or
    {"unavailable": reason}}, "memory": worker peak RSS summary, "server", "load_tool",
    "wall_s"}. Raises BenchUnavailable when the peer as a whole cannot run."""
    if tickets < 1:
        raise BenchUnavailable("the peer needs at least one ticket to load")
    unknown = set(operations) - set(OPERATIONS)
    if unknown:
        raise BenchUnavailable(f"unknown peer operations: {', '.join(sorted(unknown))}")
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    python = ensure_venv(workdir / "venv-helpdesk", HELPDESK_REQUIREMENTS, log) / "python"
    locust = tools_venv(workdir, log)
    site = write_site(workdir)
    password = secrets.token_urlsafe(16)
    env = {
        "HELPDESK_SECRET_KEY": secrets.token_urlsafe(50),
        "HELPDESK_DB_NAME": database,
        "HELPDESK_DB_HOST": db_host,
        "HELPDESK_DB_PORT": str(db_port),
        "HELPDESK_DB_USER": db_user,
        "HELPDESK_DB_PASSWORD": db_password,
        "DJANGO_SETTINGS_MODULE": "settings",
    }

    log(f"peer: recreating database {database}")
    _step(python, ["loader.py", "recreate-db"], site=site, env=env, timeout=120, step="recreate-db")
    log("peer: migrating")
    _step(
        python,
        ["manage.py", "migrate", "--noinput", "-v", "0"],
        site=site,
        env=env,
        timeout=600,
        step="migrate",
    )
    log(f"peer: loading {tickets:,} tickets")
    loaded = _last_json(
        _step(
            python,
            [
                "loader.py",
                "seed",
                "--tickets",
                str(tickets),
                "--texts",
                "texts.json",
                "--username",
                USERNAME,
                "--password",
                password,
            ],
            site=site,
            env=env,
            timeout=600 + tickets / 500,
            step="seed",
        ),
        "seed",
    )
    log(
        f"peer: {loaded['tickets']:,} tickets loaded in {loaded['seconds']} s "
        f"({loaded['rows_per_s']:,} rows/s)"
    )

    load_env = {
        "BENCH_TEXTS": str(site / "texts.json"),
        "HELPDESK_BENCH_USERNAME": USERNAME,
        "HELPDESK_BENCH_PASSWORD": password,
        "HELPDESK_BENCH_QUEUES": ",".join(str(q) for q in loaded["queues"]),
        "HELPDESK_BENCH_TICKETS": "{}-{}".format(*loaded["ticket_ids"]),
    }
    report: dict[str, Any] = {
        "version": "django-helpdesk 2.6.1 (Django 5.2.19)",
        "tickets": loaded["tickets"],
        "load": {
            "seconds": loaded["seconds"],
            "rows_per_s": loaded["rows_per_s"],
            "tickets_per_s": loaded["tickets_per_s"],
            "rows": "tickets and their 'ticket opened' follow-ups, by COPY",
        },
        "server": {"workers": workers, "worker_class": "sync", "gunicorn": "27.0.1"},
        "load_tool": {
            "tool": "locust 2.47.0",
            "users": users,
            "spawn_rate": spawn_rate,
            "seconds": seconds,
            "warmup_seconds": warmup_seconds,
        },
        "operations": {},
    }
    with serve_gunicorn(
        "wsgi:application",
        workers=workers,
        port=port or free_port(),
        env=env,
        cwd=site,
        python=python,
        log=log,
        log_file=site / "gunicorn.log",
    ) as server:
        for operation in operations:
            try:
                if warmup_seconds > 0:
                    # Each worker's first requests of a kind (imports, templates, connections)
                    # are not the steady state: a short run of the same operation, not counted.
                    run_locust(
                        LOCUSTFILE,
                        server.url,
                        users=users,
                        spawn_rate=spawn_rate,
                        seconds=warmup_seconds,
                        env=load_env,
                        workdir=workdir / "warmup",
                        log=log,
                        tags=[operation],
                        locust=locust,
                    )
                result = run_locust(
                    LOCUSTFILE,
                    server.url,
                    users=users,
                    spawn_rate=spawn_rate,
                    seconds=seconds,
                    env=load_env,
                    workdir=workdir,
                    log=log,
                    tags=[operation],
                    locust=locust,
                )
                report["operations"][operation] = figures(result, operation)
                if operation == "worklist":
                    report["operations"]["worklist"]["parts"] = {
                        part: figures(result, part) for part in ("worklist_page", "worklist_data")
                    }
            except BenchUnavailable as exc:
                log(f"peer: {operation} unavailable: {exc.reason}")
                report["operations"][operation] = {"unavailable": exc.reason}
    report["memory"] = server.peak_rss_summary()
    report["wall_s"] = round(time.monotonic() - started, 1)
    return report
