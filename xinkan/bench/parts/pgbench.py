"""The physical limit: pgbench runs a script that makes the database writes of one intake — the
matter, its first timeline event, the audit entry appended under the chain's lock after reading
the last hash, two deadlines and the staff notification, in one transaction — so that the intake
throughput over HTTP can be read as a share of what the database alone can do.

The rows go into the real tables (same indexes, triggers and sizes) and are deleted afterwards;
the audit entries go into a copy of the audit table (same rows and indexes), because the real one
is append-only and its hash chain must stay intact.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from xinkan.bench.errors import BenchUnavailable
from xinkan.bench.report import latency
from xinkan.matters.models import Category
from xinkan.org.models import Level, Unit

AUDIT_COPY = "bench_pgbench_audit"
MARK = "[pgbench]"
SCRIPT = r"""
\set grid random({grid_min}, {grid_max})
\set category random({category_min}, {category_max})
\set phone random(13000000000, 13999999999)
BEGIN;
INSERT INTO matters_matter (channel, state, category_id, title, description, unit_id,
    handling_unit_id, address, contact_name, contact_phone, contact_phone_index, id_number,
    id_number_index, anonymous, portal_key_index, group_size, registered_by_id, registered_at,
    solved, last_rating, review_round, repeat_count, skip_level, search_text, version, updated_at,
    extra)
VALUES ('phone', 'registered', :category, '{mark} 建设路12号附近的路灯坏了3天，晚上出行很不安全',
    '建设路12号附近的路灯坏了3天，晚上出行很不安全。已经反映过一次，希望尽快修复。', :grid,
    {community}, '建设路12号', '王先生', 'v1:k1:' || md5(:phone::text) || md5(random()::text),
    encode(sha256(:phone::text::bytea), 'hex'), '', '', false, '', 1, {user}, now(), NULL, '', 0, 0,
    false, '建设路 12 号 附近 路灯 坏了 3 天 晚上 出行 很 不 安全 反映 希望 尽快 修复', 1, now(),
    '{{}}'::jsonb)
RETURNING id AS matter \gset
INSERT INTO matters_matterevent (matter_id, at, actor_id, actor_label, action, from_state,
    to_state, note, data, public)
VALUES (:matter, now(), {user}, 'bench', 'registered', '', 'registered', '',
    '{{"channel": "phone", "skip_level": false, "attachments": 0}}'::jsonb, true);
SELECT pg_advisory_xact_lock(1481199179);
INSERT INTO {audit} (at, actor_id, actor_label, action, object_type, object_id, object_repr,
    unit_id, outcome, changes, data, request_id, client_ip, prev_hash, hash)
SELECT now(), {user}, 'bench', 'matters.registered', 'matters.matter', :matter::text,
    'XK-2026 建设路12号附近的路灯坏了3天', :grid, 'success', '{{}}'::jsonb, '{{}}'::jsonb,
    md5(random()::text), '127.0.0.1', last.hash,
    encode(sha256((last.hash || :matter::text)::bytea), 'hex')
FROM (SELECT COALESCE((SELECT hash FROM {audit} ORDER BY id DESC LIMIT 1), '') AS hash) AS last;
INSERT INTO matters_deadline (matter_id, stage, due_at, warn_at, met_at, cancelled, extended_days,
    reminded_at, overdue_at, created_at)
VALUES (:matter, 'respond', now() + interval '2 days', now() + interval '44 hours', NULL, false, 0,
    NULL, NULL, now());
INSERT INTO matters_deadline (matter_id, stage, due_at, warn_at, met_at, cancelled, extended_days,
    reminded_at, overdue_at, created_at)
VALUES (:matter, 'accept', now() + interval '15 days', now() + interval '12 days', NULL, false, 0,
    NULL, NULL, now());
INSERT INTO matters_notification (user_id, matter_id, kind, text, url, created_at, read_at,
    dedupe_key)
VALUES ({user}, :matter, 'new', '新诉求：建设路12号附近的路灯坏了3天，晚上出行很不安全。', '', now(),
    NULL, 'new:' || :matter || ':{user}:{community}');
COMMIT;
"""


def _script(workdir: Path, community: Unit, user_id: int) -> Path:
    grids = list(
        Unit.objects.filter(parent=community, level=Level.GRID)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not grids or grids[-1] - grids[0] + 1 != len(grids):
        raise BenchUnavailable("the community's grids do not have consecutive ids")
    leaves = sorted(Category.objects.filter(parent__isnull=False).values_list("id", flat=True))
    path = workdir / "intake.sql"
    path.write_text(
        SCRIPT.format(
            grid_min=grids[0],
            grid_max=grids[-1],
            category_min=leaves[0],
            category_max=leaves[-1],
            community=community.pk,
            user=user_id,
            audit=AUDIT_COPY,
            mark=MARK,
        )
    )
    return path


def _dsn() -> list[str]:
    db = settings.DATABASES["default"]
    return [
        "-h",
        str(db.get("HOST") or "127.0.0.1"),
        "-p",
        str(db.get("PORT") or 5432),
        "-U",
        str(db.get("USER") or "postgres"),
        str(db["NAME"]),
    ]


def run(
    workdir: Path, community: Unit, user_id: int, *, clients: int, seconds: int
) -> dict[str, Any]:
    """pgbench with `clients` connections for `seconds`; transactions/s and latency."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise BenchUnavailable("pgbench is not installed (apt-get install postgresql-client)")
    workdir.mkdir(parents=True, exist_ok=True)
    script = _script(workdir, community, user_id)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {AUDIT_COPY}")
        cursor.execute(f"CREATE TABLE {AUDIT_COPY} (LIKE audit_auditentry INCLUDING ALL)")
        cursor.execute(f"INSERT INTO {AUDIT_COPY} SELECT * FROM audit_auditentry")  # noqa: S608
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{AUDIT_COPY}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {AUDIT_COPY}), false)"
        )
    logs = workdir / "pgbench-log"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir()
    env = {"PGPASSWORD": str(settings.DATABASES["default"].get("PASSWORD") or "")}
    try:
        completed = subprocess.run(  # noqa: S603 - our own arguments
            [
                pgbench,
                "-n",
                "-c",
                str(clients),
                "-j",
                str(min(clients, 4)),
                "-T",
                str(seconds),
                "-f",
                str(script),
                "-l",
                "--log-prefix",
                str(logs / "tx"),
                *_dsn(),
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 120,
            env={**env, "PATH": "/usr/bin:/bin"},
            check=False,
        )
        if completed.returncode != 0:
            raise BenchUnavailable(f"pgbench failed: {completed.stderr.strip()[-400:]}")
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", completed.stdout)
        if tps is None:
            raise BenchUnavailable(f"pgbench printed no tps: {completed.stdout[-300:]}")
        samples = [
            int(line.split()[2]) / 1000
            for log_file in logs.iterdir()
            for line in log_file.read_text().splitlines()
            if line.strip()
        ]
        return {"per_second": round(float(tps.group(1)), 1), "clients": clients, **latency(samples)}
    finally:
        _clean_up()


def _clean_up() -> None:
    marked = f"SELECT id FROM matters_matter WHERE title LIKE '{MARK}%%'"  # noqa: S608
    with connection.cursor() as cursor:
        for table in ("matters_notification", "matters_deadline", "matters_matterevent"):
            cursor.execute(f"DELETE FROM {table} WHERE matter_id IN ({marked})")  # noqa: S608
        cursor.execute(f"DELETE FROM matters_matter WHERE title LIKE '{MARK}%%'")  # noqa: S608
        cursor.execute(f"DROP TABLE IF EXISTS {AUDIT_COPY}")
