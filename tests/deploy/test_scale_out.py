"""A scaled-out deployment on one machine does each piece of work exactly once.

Two gunicorn web processes (two workers each) and two Celery workers (two processes each) run
with the production settings against one fresh PostgreSQL database and one Redis, as
docs/deploy.md lays them out. Then:

- matters come in over the API, each request sent to both web servers at once with the same
  Idempotency-Key (a client retrying on the other server while its first try is still running),
  and replayed later: exactly one matter per key, every answer naming the same matter;
- resident imports are queued by the upload and each queued a second time (a redelivered
  message): each runs once;
- the deadlines of every matter fall due (written in the database: the processes' clocks cannot be
  moved), and many deadline sweeps run at once on both workers: each deadline is marked overdue,
  supervised and notified once, or reminded once;
- the metrics refresh runs on both workers while all this happens: the aggregates it keeps equal a
  rebuild from scratch;
- the audit chain, written by eight processes at once, is intact, and /healthz/full answers ok.

Needs PostgreSQL (the server of DATABASE_URL) and Redis (REDIS_URL, else 127.0.0.1:6379/15);
skipped without them, except that under CI (which has both) a server that does not answer fails.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings

from tests.deploy.processes import Deployment, PgServer, TaskRun, Web, Worker, redis_answers
from tests.deploy.seed import MARKER
from xinkan.api.models import IdempotentResponse
from xinkan.audit.models import AuditEntry
from xinkan.core.models import Heartbeat
from xinkan.matters.models import Deadline, Matter, MatterEvent, Notification, Stage, Supervision
from xinkan.metrics.models import (
    DailyFact,
    MatterPart,
    MonthlyFact,
    SubtreeCategoryMonthFact,
    SubtreeDayFact,
    SubtreeMonthFact,
)
from xinkan.residents.models import Household, ImportJob, Resident

pytestmark = [pytest.mark.postgres_only, pytest.mark.broker]

DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
INTAKES = 60
SWEEPS = 8
# Each refresh recomputes every matter seen in the last minutes (the watermark's lag): a few are
# enough to overlap each other and the writes.
REFRESHES_DURING_INTAKE = 6
SWEEP = "xinkan.core.tasks.sweep_deadlines"
REFRESH = "xinkan.metrics.tasks.refresh_metrics"
HEARTBEAT = "xinkan.core.tasks.heartbeat"
IMPORT = "xinkan.residents.tasks.run_import"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI provides it)")
    pytest.skip(reason)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL to a PostgreSQL server")
    pg = PgServer.from_django(database)
    try:
        pg.connect().close()
    except psycopg.OperationalError:
        _unavailable(f"PostgreSQL does not answer on {pg.host}:{pg.port}")
    redis_url = settings.REDIS_URL or DEFAULT_REDIS
    if not redis_answers(redis_url):
        _unavailable("Redis does not answer (REDIS_URL, else 127.0.0.1:6379)")
    deployed = Deployment(pg=pg, redis_url=redis_url, workdir=tmp_path / "deployment")
    deployed.create_database()
    try:
        yield deployed
    finally:
        deployed.stop()
        deployed.forget_queue()
        deployed.drop_database()


# --- Reading the scratch database (its tables named by the models) --------------------------------


def table(model: Any) -> str:
    return str(model._meta.db_table)


def column(model: Any, name: str) -> str:
    return str(model._meta.get_field(name).column)


def count(deployment: Deployment, model: Any, where: str = "TRUE", params: Any = None) -> int:
    rows = deployment.sql(f"SELECT count(*) FROM {table(model)} WHERE {where}", params)  # noqa: S608
    return int(rows[0][0])


def aggregates(deployment: Deployment) -> dict[str, list[tuple[Any, ...]]]:
    """Every aggregate row by its key (ids and order do not matter), as tests/metrics compares."""
    fields = {
        MatterPart: [
            "matter",
            "part",
            "seq",
            "day",
            "unit",
            "department_key",
            "category",
            "value",
        ],
        DailyFact: ["day", "unit", "department_key", "category", "part", "value"],
        MonthlyFact: ["month", "unit", "department_key", "part", "value"],
        SubtreeMonthFact: ["month", "unit", "part", "value"],
        SubtreeDayFact: ["day", "unit", "part", "value"],
        SubtreeCategoryMonthFact: ["month", "unit", "category", "part", "value"],
    }
    return {
        table(model): sorted(
            deployment.sql(
                f"SELECT {', '.join(column(model, name) for name in names)} FROM {table(model)}"  # noqa: S608
            )
        )
        for model, names in fields.items()
    }


# --- Driving the work -----------------------------------------------------------------------------


def seed(deployment: Deployment) -> dict[str, Any]:
    output = deployment.python("-m", "tests.deploy.seed").stdout
    line = next(line for line in output.splitlines() if line.startswith(MARKER))
    return dict(json.loads(line.removeprefix(MARKER)))


def intake(web: Web, seeded: dict[str, Any], number: int) -> tuple[int, dict[str, str], Any]:
    """POST the matter `number` as a client does: while another copy with its key is still at work
    (409 idempotency_in_progress), ask again shortly (sooner than Retry-After, to keep the test
    short). The final answer, with the number of such waits in the headers."""
    body = {
        "category": seeded["category"],
        "unit": seeded["grid"],
        "description": f"{number + 1}号楼的电梯坏了，第{number + 1}次报修后仍没人来修，老人上下楼很困难。",
        "channel": "phone",
        "contact_name": f"居民{number + 1}",
        "contact_phone": f"1380013{number:04d}",
    }
    headers = {
        "Authorization": f"Bearer {seeded['token']}",
        "Idempotency-Key": f"scaleout-{number}",
        "Accept-Language": "en",
    }
    for waits in range(100):
        status, answer, data = web.request("POST", "/api/v1/matters", body, headers)
        in_progress = status == 409 and data["error"]["code"] == "idempotency_in_progress"
        if not in_progress:
            return status, {**answer, "x-waits": str(waits)}, data
        time.sleep(0.1)
    raise AssertionError(f"matter {number}: still in progress after 100 tries")


def send_intakes(
    webs: list[Web], seeded: dict[str, Any], meanwhile: Callable[[], object]
) -> dict[int, list[tuple[int, dict[str, str], Any]]]:
    """Each intake to both servers at once, same key; `meanwhile` runs every second while they are
    in flight, at most REFRESHES_DURING_INTAKE times."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures: dict[int, list[Future[tuple[int, dict[str, str], Any]]]] = defaultdict(list)
        for number in range(INTAKES):
            for web in (webs[number % 2], webs[(number + 1) % 2]):
                futures[number].append(pool.submit(intake, web, seeded, number))
        pending = [future for pair in futures.values() for future in pair]
        for _ in range(REFRESHES_DURING_INTAKE):
            meanwhile()
            pending = list(wait(pending, timeout=1).not_done)
            if not pending:
                break
        wait(pending)
    return {number: [future.result() for future in pair] for number, pair in futures.items()}


def make_deadlines_due(deployment: Deployment) -> tuple[int, int]:
    """Every open response deadline overdue by an hour, every acceptance deadline due tomorrow
    (inside its warning time): (overdue, due soon)."""
    deadline = table(Deadline)
    overdue = deployment.sql(
        f"UPDATE {deadline} SET due_at = now() - interval '1 hour', "  # noqa: S608
        "warn_at = now() - interval '2 hours' "
        "WHERE stage = %s AND met_at IS NULL AND NOT cancelled RETURNING id",
        [Stage.RESPOND],
    )
    soon = deployment.sql(
        f"UPDATE {deadline} SET due_at = now() + interval '1 day', "  # noqa: S608
        "warn_at = now() - interval '1 minute' "
        "WHERE stage = %s AND met_at IS NULL AND NOT cancelled RETURNING id",
        [Stage.ACCEPT],
    )
    return len(overdue), len(soon)


def sweep_totals(runs: list[TaskRun]) -> Counter[str]:
    """The sum of the matters sweep's reports ("reminded 3, overdue 5, supervised 5, ...")."""
    totals: Counter[str] = Counter()
    for run in runs:
        for item in run.result["matters"].split(", "):
            words = item.split(" ")
            totals[" ".join(words[:-1])] += int(words[-1])
    return totals


# --- The test --------------------------------------------------------------------------------------


def test_two_web_processes_and_two_workers_do_each_piece_of_work_once(
    deployment: Deployment,
) -> None:
    clock = [("start", time.monotonic())]
    # The processes boot while the database is migrated and seeded, to save time: nothing they do
    # before the first request or task reads a table. (A real upgrade migrates first.)
    webs = [deployment.start_web("web1"), deployment.start_web("web2")]
    workers: list[Worker] = [deployment.start_worker("w1"), deployment.start_worker("w2")]
    deployment.manage("migrate", "--noinput", timeout=120)
    clock.append(("migrate", time.monotonic()))
    seeded = seed(deployment)
    clock.append(("seed", time.monotonic()))
    jobs: list[int] = seeded["jobs"]
    client = deployment.client()
    sent: dict[str, list[str]] = defaultdict(list)

    def send(name: str, *args: Any) -> str:
        task_id = str(client.send_task(name, args=args).id)
        sent[name].append(task_id)
        return task_id

    try:
        deployment.wait_for_web(webs)
        deployment.wait_for_workers(client, workers)
        clock.append(("processes up", time.monotonic()))

        # (a) Intakes over HTTP, each sent to both servers at once; refreshes meanwhile.
        answers = send_intakes(webs, seeded, meanwhile=lambda: send(REFRESH))
        clock.append(("intakes", time.monotonic()))
        replays = {
            number: intake(webs[(number + 1) % 2], seeded, number) for number in range(INTAKES)
        }
        clock.append(("replays", time.monotonic()))
        # (b) Every upload's import queued a second time, as a redelivered message would be.
        for job in jobs:
            send(IMPORT, job)
        # (c) Deadlines due, and many sweeps, refreshes and heartbeats at once on both workers.
        overdue, due_soon = make_deadlines_due(deployment)
        for number in range(SWEEPS):
            send(SWEEP)
            send(HEARTBEAT)
            if number % 2:
                send(REFRESH)
        runs = deployment.wait_for_tasks(workers, [i for ids in sent.values() for i in ids])
        clock.append(("background work", time.monotonic()))
        # The last refresh, once nothing else runs, folds in whatever the others left.
        final = deployment.wait_for_tasks(workers, [send(REFRESH)])
        imports = deployment.wait_for_runs_of(workers, IMPORT, 2 * len(jobs))
        health = [web.request("GET", "/healthz/full") for web in webs]
        clock.append(("final refresh, health", time.monotonic()))
    finally:
        client.close()
        deployment.stop()
    clock.append(("stop", time.monotonic()))

    # --- Intakes: one matter per key; the copy that made it answered, every other copy replayed it.
    waits = sum(int(h["x-waits"]) for pair in answers.values() for _s, h, _b in pair)
    for number, pair in answers.items():
        tries = [*pair, replays[number]]
        assert [status for status, _h, _b in tries] == [201, 201, 201], (number, tries)
        assert tries[0][2] == tries[1][2] == tries[2][2], (number, tries)
        assert tries[0][2]["outcome"] == "created"
        replayed = [headers.get("idempotent-replayed") == "true" for _s, headers, _b in tries]
        assert sorted(replayed) == [False, True, True], (number, tries)
    matter_ids = {pair[0][2]["id"] for pair in answers.values()}
    assert len(matter_ids) == INTAKES
    assert count(deployment, Matter) == INTAKES
    assert count(deployment, Matter, "idempotency_key LIKE 'api:%%'") == INTAKES
    assert count(deployment, Matter, "repeat_count <> 0") == 0
    assert count(deployment, MatterEvent, "action = 'registered'") == INTAKES
    assert count(deployment, MatterEvent, "action = 'repeat_visit'") == 0
    assert count(deployment, AuditEntry, "action = 'matters.registered'") == INTAKES
    assert count(deployment, IdempotentResponse) == INTAKES

    # --- Imports: each upload ran once, however often its message came.
    ran = Counter(run.result["job"] for run in imports.values() if run.result["ran"])
    assert len(imports) == 2 * len(jobs)
    assert ran == Counter(dict.fromkeys(jobs, 1))
    assert count(deployment, ImportJob, "status = 'done'") == len(jobs)
    assert count(deployment, Household) == len(jobs)
    assert count(deployment, Resident) == len(jobs) * seeded["rows_per_import"]
    assert count(deployment, AuditEntry, "action = 'residents.import.finished'") == len(jobs)

    # --- Sweeps: every deadline handled once although both workers swept at the same time.
    assert (overdue, due_soon) == (INTAKES, INTAKES)
    sweeps = [runs[i] for i in sent[SWEEP]]
    totals = sweep_totals(sweeps)
    assert (totals["overdue"], totals["supervised"], totals["reminded"]) == (
        overdue,
        overdue,
        due_soon,
    ), totals
    assert count(deployment, Deadline, "overdue_at IS NOT NULL") == overdue
    assert count(deployment, Deadline, "reminded_at IS NOT NULL") == due_soon
    for action in ("overdue", "supervised"):
        per_matter = deployment.sql(
            f"SELECT matter_id, count(*) FROM {table(MatterEvent)} "  # noqa: S608
            "WHERE action = %s GROUP BY matter_id",
            [action],
        )
        assert sorted(row[0] for row in per_matter) == sorted(matter_ids), action
        assert {row[1] for row in per_matter} == {1}, action
        assert count(deployment, AuditEntry, "action = %s", [f"matters.{action}"]) == overdue
    assert count(deployment, Supervision) == overdue
    for kind, expected in (("overdue", overdue), ("supervision", overdue), ("due_soon", due_soon)):
        per_matter = deployment.sql(
            f"SELECT matter_id, count(*) FROM {table(Notification)} "  # noqa: S608
            "WHERE kind = %s GROUP BY matter_id",
            [kind],
        )
        assert len(per_matter) == expected and {row[1] for row in per_matter} == {1}, kind

    # --- Both workers took work; both beat; the monitoring check sees them and the sweep.
    by_worker = Counter(run.worker for run in deployment.task_runs(workers).values())
    assert set(by_worker) == {"w1", "w2"}, by_worker
    beats = {name for (name,) in deployment.sql(f"SELECT name FROM {table(Heartbeat)}")}  # noqa: S608
    assert beats & {f"worker:{worker.node}" for worker in workers}
    for status, _headers, body in health:
        assert status == 200, body
        assert body["checks"]["broker"]["ok"] and body["checks"]["sweep"]["ok"], body

    # --- Metrics: what the refreshes kept equals a rebuild from scratch.
    assert final[sent[REFRESH][-1]].result.startswith(f"{count(deployment, MatterEvent)} events")
    clock.append(("checks", time.monotonic()))
    kept = aggregates(deployment)
    assert kept[table(MatterPart)], "the refreshes kept no aggregates"
    # One process for both commands (a process start is seconds on a busy machine).
    commands = deployment.python(
        "-c",
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('rebuild_metrics'); call_command('verify_audit')",
    ).stdout
    assert aggregates(deployment) == kept

    # --- The audit chain, appended to by every process at once, is intact.
    assert "Audit chain intact" in commands

    clock.append(("rebuild, audit", time.monotonic()))
    phases = ", ".join(
        f"{label} {at - before:.1f}" for (_, before), (label, at) in itertools.pairwise(clock)
    )
    print(  # shown with -s: where the time went and who did what
        f"\nscale-out: {clock[-1][1] - clock[0][1]:.1f} s ({phases}); "
        f"{waits} waits for a copy in progress; "
        f"tasks by worker {dict(by_worker)}; deadlines marked overdue by each sweep "
        f"{[(run.worker, sweep_totals([run])['overdue']) for run in sweeps]}"
    )
