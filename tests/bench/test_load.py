"""The benchmark's load machinery (xinkan/bench/load.py): reading the figures locust leaves, the
reasons given when a tool cannot run, a real gunicorn on a tiny WSGI app, and — when the load
tool's virtual environment exists (it is made by `manage.py bench`, too slow to make here) — a
real three-second locust run against a stdlib HTTP server. No database is used."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from xinkan.bench import load
from xinkan.bench.errors import BenchUnavailable

# Recorded from locust 2.47.0 runs (`--json-file`, and final_errors.py's file), shortened:
# "login" used with two methods, one operation with failures.
STATS_JSON = json.dumps(
    [
        {
            "name": "intake",
            "method": "POST",
            "last_request_timestamp": 1795962919.5,
            "start_time": 1795962916.0,
            "num_requests": 200,
            "num_none_requests": 0,
            "num_failures": 3,
            "total_response_time": 16000.0,
            "max_response_time": 186.31797899990943,
            "min_response_time": 20.5,
            "total_content_length": 0,
            "response_times": {"40": 50, "75": 50, "90": 50, "120": 40, "150": 8, "190": 2},
            "num_reqs_per_sec": {},
            "num_fail_per_sec": {},
        },
        {
            "name": "login",
            "method": "GET",
            "last_request_timestamp": 1795962916.1,
            "start_time": 1795962916.0,
            "num_requests": 1,
            "num_none_requests": 0,
            "num_failures": 0,
            "total_response_time": 35.0,
            "max_response_time": 35.0,
            "min_response_time": 35.0,
            "total_content_length": 3824,
            "response_times": {"35": 1},
            "num_reqs_per_sec": {},
            "num_fail_per_sec": {},
        },
        {
            "name": "login",
            "method": "POST",
            "last_request_timestamp": 1795962916.2,
            "start_time": 1795962916.1,
            "num_requests": 1,
            "num_none_requests": 0,
            "num_failures": 0,
            "total_response_time": 42.0,
            "max_response_time": 42.0,
            "min_response_time": 42.0,
            "total_content_length": 0,
            "response_times": {"42": 1},
            "num_reqs_per_sec": {},
            "num_fail_per_sec": {},
        },
    ]
)
ERRORS_JSON = json.dumps(
    {
        "failures": [
            {
                "method": "POST",
                "name": "intake",
                "error": "HTTP 500 no error body",
                "occurrences": 1,
            },
            {
                "method": "POST",
                "name": "intake",
                "error": "HTTP 429 rate_limited",
                "occurrences": 2,
            },
        ],
        "exceptions": [{"count": 5, "msg": "KeyError('streets')"}],
    }
)


def _with(intake: dict[str, object]) -> str:
    entries = json.loads(STATS_JSON)
    entries[0].update(intake)
    return json.dumps(entries)


def test_stats_give_each_operations_figures_and_the_total() -> None:
    stats, total = load.parse_stats_json(STATS_JSON)

    intake = stats["intake"]
    assert (intake.method, intake.requests, intake.failures) == ("POST", 200, 3)
    assert intake.rps == round(200 / 3.5, 2)  # over the run: first to last request
    # Locust's own percentile rule over its rounded times.
    assert (intake.p50_ms, intake.p95_ms, intake.p99_ms) == (90.0, 150.0, 190.0)
    assert intake.max_ms == 186.3 and intake.mean_ms == 80.0
    assert total is not None and total.requests == 202 and total.failures == 3
    assert total.max_ms == 186.3
    # A name used with two methods is told apart by its method.
    assert {"GET login", "POST login"} <= set(stats) and "login" not in stats


def test_stats_of_another_form_are_refused() -> None:
    with pytest.raises(BenchUnavailable, match="not in the expected form"):
        load.parse_stats_json('[{"name": "x"}]')


def test_failures_above_one_percent_are_flagged_with_the_commonest_error() -> None:
    stats, _ = load.parse_stats_json(STATS_JSON)
    failures, exceptions = load.parse_errors_json(ERRORS_JSON)

    warnings = load.failure_warnings(stats, failures)

    assert failures[0].occurrences == 2 and failures[0].error == "HTTP 429 rate_limited"
    assert exceptions == ["KeyError('streets') ×5"]
    assert warnings == ["intake: 3 of 200 requests failed (1.5%), mostly: HTTP 429 rate_limited"]


def test_failures_at_or_below_one_percent_are_not_flagged() -> None:
    stats, _ = load.parse_stats_json(_with({"num_failures": 2}))
    failures, _ = load.parse_errors_json(ERRORS_JSON)
    assert load.failure_warnings(stats, failures) == []


def _result(stats_json: str, errors_json: str | None = None) -> load.LoadResult:
    stats, total = load.parse_stats_json(stats_json)
    failures, exceptions = load.parse_errors_json(errors_json) if errors_json else ([], [])
    return load.LoadResult(
        users=2,
        spawn_rate=2,
        seconds=3,
        stats=stats,
        total=total,
        failures=failures,
        exceptions=exceptions,
    )


def test_an_operation_without_requests_is_unavailable_with_the_errors_seen() -> None:
    result = _result(STATS_JSON, ERRORS_JSON)

    assert result.require("intake").requests == 200
    with pytest.raises(BenchUnavailable, match=r"no 'matter' request.*KeyError\('streets'\) ×5"):
        result.require("matter")
    with pytest.raises(BenchUnavailable, match=r"no 'dashboard' request.*rate_limited ×2"):
        result.require("dashboard")


def test_an_operation_whose_every_request_failed_is_unavailable_with_why() -> None:
    all_failed = _with({"num_requests": 3, "num_failures": 3})
    with pytest.raises(BenchUnavailable, match="every 'intake' request failed: HTTP 429"):
        _result(all_failed, ERRORS_JSON).require("intake")


def test_a_missing_executable_is_reported_not_raised_as_oserror(tmp_path: Path) -> None:
    with pytest.raises(BenchUnavailable, match="cannot start /nonexistent/locust"):
        load.run_bounded(["/nonexistent/locust"], timeout=5, output=tmp_path / "out.log")


def test_a_command_past_its_time_is_killed_and_its_output_told(tmp_path: Path) -> None:
    script = "import time; print('still working', flush=True); time.sleep(30)"
    with pytest.raises(BenchUnavailable, match=r"(?s)did not finish within 1 s.*still working"):
        load.run_bounded([sys.executable, "-c", script], timeout=1, output=tmp_path / "out.log")


def test_run_locust_without_the_load_tool_says_so(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text("")
    with pytest.raises(BenchUnavailable, match=r"load tool .* is not installed"):
        load.run_locust(
            locustfile,
            "http://127.0.0.1:1",
            users=1,
            spawn_rate=1,
            seconds=1,
            env={},
            workdir=tmp_path,
            log=lambda _m: None,
            locust=tmp_path / "no-locust",
        )
    with pytest.raises(BenchUnavailable, match=r"locust file .* does not exist"):
        load.run_locust(
            tmp_path / "missing.py",
            "http://127.0.0.1:1",
            users=1,
            spawn_rate=1,
            seconds=1,
            env={},
            workdir=tmp_path,
            log=lambda _m: None,
            locust=tmp_path / "no-locust",
        )


def test_a_venv_whose_making_fails_is_removed_and_the_reason_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python3")
    with pytest.raises(BenchUnavailable, match="cannot start /nonexistent/python3"):
        load.ensure_venv(tmp_path / "venv-x", ["locust==2.47.0"], lambda _m: None)
    assert not (tmp_path / "venv-x").exists()


def test_a_venv_made_with_the_same_pins_is_reused_without_running_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / "venv-x"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / load.MARKER).write_text("locust==2.47.0\n")
    monkeypatch.setattr(sys, "executable", "/nonexistent/python3")  # would fail if it ran
    said: list[str] = []

    assert load.ensure_venv(venv, ["locust==2.47.0"], said.append) == venv / "bin"
    assert said == [f"reusing {venv}"]
    # Other pins: rebuilt (and here it cannot be, so it says why and leaves nothing behind).
    with pytest.raises(BenchUnavailable):
        load.ensure_venv(venv, ["locust==2.46.0"], said.append)
    assert not venv.exists()


def test_serving_on_a_port_in_use_is_refused(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with (
            pytest.raises(BenchUnavailable, match=f"port {port} .* already in use"),
            load.serve_gunicorn(
                "app:application",
                workers=1,
                port=port,
                env={},
                cwd=tmp_path,
                python=Path(sys.executable),
                log=lambda _m: None,
            ),
        ):
            pass


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    with (
        pytest.raises(BenchUnavailable, match=r"(?s)gunicorn exited.*No module named 'nosuchapp'"),
        load.serve_gunicorn(
            "nosuchapp:application",
            workers=1,
            port=load.free_port(),
            env={},
            cwd=tmp_path,
            python=Path(sys.executable),
            log=lambda _m: None,
            log_file=tmp_path / "gunicorn.log",
        ),
    ):
        pass


TINY_APP = """\
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def test_gunicorn_serves_and_reports_each_workers_peak_memory(tmp_path: Path) -> None:
    (tmp_path / "tinyapp.py").write_text(TINY_APP)
    with load.serve_gunicorn(
        "tinyapp:application",
        workers=2,
        port=load.free_port(),
        env={},
        cwd=tmp_path,
        python=Path(sys.executable),
        log=lambda _m: None,
        log_file=tmp_path / "gunicorn.log",
    ) as server:
        answer = urllib.request.urlopen(server.url + "/", timeout=5)  # noqa: S310
        assert answer.read() == b"ok"
        answer.close()

    assert len(server.worker_peak_rss_kib) == 2
    assert all(kib > 1000 for kib in server.worker_peak_rss_kib.values())
    assert server.peak_rss_summary()["workers"] == 2
    # Stopped, workers included.
    assert not Path(f"/proc/{server.pid}").exists()
    assert not any(Path(f"/proc/{pid}").exists() for pid in server.worker_peak_rss_kib)


def _locust_executable() -> Path:
    configured = os.environ.get("XINKAN_BENCH_LOCUST")
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "bench" / "venv-load" / "bin" / "locust"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/" else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stdlib_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


LOCUSTFILE = """\
from locust import HttpUser, constant, tag, task


class Visitor(HttpUser):
    wait_time = constant(0.05)

    @tag("home")
    @task(9)
    def home(self):
        self.client.get("/", name="home")

    @tag("home")
    @task(1)
    def missing(self):
        self.client.get("/missing", name="missing")

    @tag("other")
    @task
    def other(self):
        self.client.get("/", name="other")
"""


def test_a_short_locust_run_counts_requests_and_failures(
    tmp_path: Path, stdlib_server: str
) -> None:
    locust = _locust_executable()
    if not locust.exists():
        pytest.skip(f"no load tool at {locust} (made by `manage.py bench`; or XINKAN_BENCH_LOCUST)")
    locustfile = tmp_path / "visit.py"
    locustfile.write_text(LOCUSTFILE)

    result = load.run_locust(
        locustfile,
        stdlib_server,
        users=2,
        spawn_rate=2,
        seconds=3,
        env={},
        workdir=tmp_path,
        log=lambda _m: None,
        tags=["home"],
        locust=locust,
    )

    home = result.require("home")
    assert home.requests > 10 and home.failures == 0 and home.rps > 3
    assert home.p50_ms is not None and home.p50_ms < 1000
    missing = result.stats["missing"]
    assert missing.requests == missing.failures > 0
    assert "other" not in result.stats  # only the tagged operation ran
    assert any(f.name == "missing" and "404" in f.error for f in result.failures)
    assert any(w.startswith("missing:") for w in result.warnings)
