"""Load over HTTP for the benchmark: a gunicorn server in its own process group, and locust
(headless) in another process driving it, both bounded in time.

- `tools_venv` installs the pinned load tool into its own virtual environment (once, reused), so
  the project's dependencies never carry it.
- `serve_gunicorn` starts a WSGI application under gunicorn (the project's own or a peer's, each
  with its own interpreter), waits until it answers, and on leaving reads every worker's peak
  resident memory (VmHWM) before stopping it.
- `run_locust` runs one locust file headless against a base URL and reads the statistics and
  errors it leaves when it exits.

Every way these can fail ends in `BenchUnavailable` with the reason and the tail of the tool's
own output; nothing is retried silently.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xinkan.bench.errors import BenchUnavailable

Log = Callable[[str], object]

LOCUST_REQUIREMENTS = ("locust==2.47.0",)
# Above this share of failed requests an operation's figures are flagged in the result.
FAILURE_WARNING_RATIO = 0.01
# Variables of the calling process that would make a child use the wrong interpreter or settings.
_CHILD_ENV_DROP = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE")
MARKER = "bench-requirements.txt"
FINAL_ERRORS = Path(__file__).resolve().parent / "locustfiles" / "final_errors.py"


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process: ours without interpreter and settings selection."""
    env = {k: v for k, v in os.environ.items() if k not in _CHILD_ENV_DROP}
    env.update(extra or {})
    return env


def _kill_group(proc: subprocess.Popen[Any], sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def run_bounded(
    cmd: Sequence[str],
    *,
    timeout: float,
    output: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[int, str]:
    """Run a command in its own process group, output (stdout and stderr) into a file.
    Past `timeout` seconds the whole group is killed and BenchUnavailable raised.
    Returns the exit code and the tail of the output."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as sink:
        try:
            proc = subprocess.Popen(  # noqa: S603 - our own arguments, no shell
                list(cmd),
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise BenchUnavailable(f"cannot start {cmd[0]}: {exc}") from exc
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc, signal.SIGKILL)
            proc.wait()
            text = output.read_text(encoding="utf-8", errors="replace")
            raise BenchUnavailable(
                f"{Path(cmd[0]).name} did not finish within {timeout:.0f} s and was killed; "
                f"last output:\n{_tail(text)}"
            ) from None
    return code, _tail(output.read_text(encoding="utf-8", errors="replace"))


def ensure_venv(
    path: Path, requirements: Sequence[str], log: Log, *, timeout: float = 1200
) -> Path:
    """A virtual environment at `path` with exactly these pinned requirements installed: made
    once and reused while its recorded requirements match; rebuilt from scratch otherwise, and
    removed again when the install fails (no half-built environment is ever reused).
    Returns its bin directory."""
    wanted = "\n".join(requirements) + "\n"
    bin_dir = path / "bin"
    marker = path / MARKER
    if marker.is_file() and marker.read_text() == wanted and (bin_dir / "python").exists():
        log(f"reusing {path}")
        return bin_dir
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pip_log = path.parent / f"{path.name}-install.log"
    log(f"creating {path} with {', '.join(requirements)} (log: {pip_log})")
    started = time.monotonic()
    try:
        code, tail = run_bounded(
            [sys.executable, "-m", "venv", str(path)], timeout=120, output=pip_log
        )
        if code != 0:
            raise BenchUnavailable(f"python -m venv {path} failed (exit {code}):\n{tail}")
        code, tail = run_bounded(
            [
                str(bin_dir / "python"),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                *requirements,
            ],
            timeout=timeout,
            output=pip_log,
            env=child_env(),
        )
        if code != 0:
            raise BenchUnavailable(
                f"pip could not install {', '.join(requirements)} (exit {code}):\n{tail}"
            )
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    marker.write_text(wanted)
    log(f"{path} ready in {time.monotonic() - started:.0f} s")
    return bin_dir


def tools_venv(workdir: Path, log: Log) -> Path:
    """The `locust` executable of workdir/venv-load (created once with the pinned locust)."""
    executable = ensure_venv(workdir / "venv-load", LOCUST_REQUIREMENTS, log) / "locust"
    if not executable.exists():
        raise BenchUnavailable(f"{executable} is missing after installing locust")
    return executable


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestStats:
    """One request name's figures over a run (times in milliseconds; locust rounds times above
    100 ms to two significant digits)."""

    name: str
    method: str
    requests: int
    failures: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_ms: float | None

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class FailureRow:
    method: str
    name: str
    error: str
    occurrences: int


@dataclass
class LoadResult:
    users: int
    spawn_rate: float
    seconds: int
    stats: dict[str, RequestStats]
    total: RequestStats | None
    failures: list[FailureRow] = field(default_factory=list)
    # Errors raised inside the locust file's tasks ("message ×count"): a broken locust file.
    exceptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def require(self, name: str) -> RequestStats:
        """The figures of one request name; BenchUnavailable when none of them completed."""
        found = self.stats.get(name)
        if found is None or found.requests == 0:
            errors = "; ".join(
                [f"{f.error} ×{f.occurrences}" for f in self.failures[:3]] + self.exceptions[:3]
            )
            raise BenchUnavailable(
                f"no '{name}' request was made in {self.seconds} s"
                + (f" (failures: {errors})" if errors else "")
            )
        if found.failures == found.requests:
            errors = "; ".join(
                f"{f.error} ×{f.occurrences}" for f in self.failures if f.name == name
            )
            raise BenchUnavailable(f"every '{name}' request failed: {errors or 'no detail'}")
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "spawn_rate": self.spawn_rate,
            "seconds": self.seconds,
            "stats": {name: asdict(s) for name, s in self.stats.items()},
            "total": asdict(self.total) if self.total else None,
            "failures": [asdict(f) for f in self.failures],
            "exceptions": list(self.exceptions),
            "warnings": list(self.warnings),
        }


def _percentile(times: dict[int, int], count: int, share: float) -> float | None:
    """Locust's own rule (stats.calculate_response_time_percentile) over its rounded times."""
    if count <= 0:
        return None
    within = int(count * share)
    seen = 0
    for value in sorted(times, reverse=True):
        seen += times[value]
        if count - seen <= within:
            return float(value)
    return 0.0


def _entry(name: str, method: str, entries: list[dict[str, Any]], window: float) -> RequestStats:
    """One RequestStats from one or more of locust's serialized stats entries; throughput over
    `window` seconds."""
    times: dict[int, int] = {}
    for e in entries:
        for value, n in e["response_times"].items():
            times[int(value)] = times.get(int(value), 0) + int(n)
    requests = sum(int(e["num_requests"]) for e in entries)
    timed = requests - sum(int(e.get("num_none_requests") or 0) for e in entries)
    total_time = sum(float(e["total_response_time"]) for e in entries)
    return RequestStats(
        name=name,
        method=method,
        requests=requests,
        failures=sum(int(e["num_failures"]) for e in entries),
        rps=round(requests / window, 2) if window > 0 else 0.0,
        p50_ms=_percentile(times, timed, 0.50),
        p95_ms=_percentile(times, timed, 0.95),
        p99_ms=_percentile(times, timed, 0.99),
        max_ms=round(max(float(e["max_response_time"]) for e in entries), 1) if timed else None,
        mean_ms=round(total_time / timed, 1) if timed > 0 else None,
    )


def parse_stats_json(text: str) -> tuple[dict[str, RequestStats], RequestStats | None]:
    """Locust's `--json-file` output: one serialized entry per (method, name), written when
    locust exits (its CSV files are rewritten once a second only, so they miss the run's last
    moments). Keyed by name; a name used with two methods is keyed "METHOD name". Throughput is
    each name's requests over the run, from its first request to its last (as locust's own total
    rate); times are locust's (rounded to two significant digits above 100 ms)."""
    try:
        entries = json.loads(text)
        names = [str(e["name"]) for e in entries]
        window = (
            max(float(e["last_request_timestamp"] or e["start_time"]) for e in entries)
            - min(float(e["start_time"]) for e in entries)
            if entries
            else 0.0
        )
        stats = {
            (name if names.count(name) == 1 else f"{e['method']} {name}"): _entry(
                name, str(e["method"]), [e], window
            )
            for name, e in zip(names, entries, strict=True)
        }
        total = _entry("Aggregated", "", entries, window) if entries else None
    except (ValueError, KeyError, TypeError) as exc:
        raise BenchUnavailable(
            f"locust's statistics are not in the expected form: {exc!r}"
        ) from exc
    return stats, total


def parse_errors_json(text: str) -> tuple[list[FailureRow], list[str]]:
    """The failures (most frequent first) and task errors ("message ×count") written by
    locustfiles/final_errors.py when locust quits."""
    try:
        data = json.loads(text)
        failures = [
            FailureRow(
                method=str(f["method"]),
                name=str(f["name"]),
                error=str(f["error"]),
                occurrences=int(f["occurrences"]),
            )
            for f in data["failures"]
        ]
        exceptions = [f"{e['msg']} ×{e['count']}" for e in data["exceptions"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise BenchUnavailable(f"locust's error list is not in the expected form: {exc!r}") from exc
    return sorted(failures, key=lambda f: -f.occurrences), exceptions


def failure_warnings(stats: dict[str, RequestStats], failures: list[FailureRow]) -> list[str]:
    warnings = []
    for key, s in stats.items():
        if s.failure_ratio > FAILURE_WARNING_RATIO:
            top = next((f for f in failures if f.name == s.name), None)
            warnings.append(
                f"{key}: {s.failures} of {s.requests} requests failed "
                f"({s.failure_ratio:.1%})" + (f", mostly: {top.error}" if top else "")
            )
    return warnings


def run_locust(
    locustfile: Path,
    host: str,
    *,
    users: int,
    spawn_rate: float,
    seconds: int,
    env: dict[str, str],
    workdir: Path,
    log: Log,
    tags: Sequence[str] = (),
    locust: Path | None = None,
    stop_timeout: int = 10,
) -> LoadResult:
    """Run `locustfile` headless against `host` for `seconds` and read its summary. `tags`
    selects the tasks (one operation per run). `locust` defaults to the tools venv's executable.
    Killed after seconds + 60 s; BenchUnavailable if locust fails or writes no statistics."""
    if not locustfile.is_file():
        raise BenchUnavailable(f"locust file {locustfile} does not exist")
    executable = locust or tools_venv(workdir, log)
    if not Path(executable).exists():
        raise BenchUnavailable(f"the load tool {executable} is not installed")
    label = "-".join(tags) or locustfile.stem
    out_dir = workdir / "locust"
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / f"{locustfile.stem}-{label}"
    for suffix in (".json", "_errors.json"):
        Path(f"{prefix}{suffix}").unlink(missing_ok=True)
    cmd = [
        str(executable),
        "-f",
        f"{locustfile},{FINAL_ERRORS}",
        "--headless",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "-t",
        f"{seconds}s",
        "--stop-timeout",
        str(stop_timeout),
        "--json-file",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        # Failed requests are counted and reported, not turned into a failed run.
        "--exit-code-on-error",
        "0",
    ]
    if tags:
        cmd += ["--tags", *tags]
    log(f"locust {label}: {users} users for {seconds} s against {host}")
    code, tail = run_bounded(
        cmd,
        timeout=seconds + stop_timeout + 60,
        output=Path(f"{prefix}.log"),
        env=child_env({**env, "BENCH_ERRORS_FILE": f"{prefix}_errors.json"}),
    )
    if code != 0:
        raise BenchUnavailable(f"locust exited with code {code}:\n{tail}")
    stats_file = Path(f"{prefix}.json")
    if not stats_file.is_file():
        raise BenchUnavailable(f"locust wrote no statistics ({stats_file}):\n{tail}")
    stats, total = parse_stats_json(stats_file.read_text(encoding="utf-8"))
    errors_file = Path(f"{prefix}_errors.json")
    if not errors_file.is_file():
        raise BenchUnavailable(f"locust wrote no error list ({errors_file}):\n{tail}")
    failures, exceptions = parse_errors_json(errors_file.read_text(encoding="utf-8"))
    result = LoadResult(
        users=users,
        spawn_rate=spawn_rate,
        seconds=seconds,
        stats=stats,
        total=total,
        failures=failures,
        exceptions=exceptions,
        warnings=failure_warnings(stats, failures)
        + [f"the locust file raised: {e}" for e in exceptions],
    )
    for warning in result.warnings:
        log(f"warning: {warning}")
    return result


# --- The server -------------------------------------------------------------------------------


@dataclass
class Server:
    """A running gunicorn: its base URL; after the block, each worker's peak RSS in KiB."""

    url: str
    pid: int
    workers: int
    worker_peak_rss_kib: dict[int, int] = field(default_factory=dict)

    def peak_rss_summary(self) -> dict[str, float | int]:
        values = list(self.worker_peak_rss_kib.values())
        if not values:
            return {"workers": 0}
        return {
            "workers": len(values),
            "max_mib": round(max(values) / 1024, 1),
            "mean_mib": round(sum(values) / len(values) / 1024, 1),
            "sum_mib": round(sum(values) / 1024, 1),
        }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        pass
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name is in parentheses and may hold spaces: fields follow the last ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def peak_rss_kib(pid: int) -> int | None:
    """VmHWM of a process: the most resident memory it has had, in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/", headers={"Host": "127.0.0.1"})
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


@contextmanager
def serve_gunicorn(
    wsgi_module: str,
    *,
    workers: int,
    port: int,
    env: dict[str, str],
    cwd: Path,
    python: Path,
    log: Log,
    startup_timeout: float = 90,
    log_file: Path | None = None,
) -> Iterator[Server]:
    """Serve `wsgi_module` (e.g. "xinkan.wsgi:application") with `python -m gunicorn`, sync
    workers, on 127.0.0.1:`port`. Yields a Server once it answers HTTP and all workers are up;
    on leaving, records each worker's peak RSS (server.worker_peak_rss_kib), then stops it (TERM,
    then KILL of its process group after 20 s). `env` is added to the inherited environment.
    `python` is a virtual environment's interpreter as it lies (…/.venv/bin/python): resolving
    its symlink would leave the environment and its gunicorn behind."""
    if _port_in_use(port):
        raise BenchUnavailable(f"port {port} on 127.0.0.1 is already in use")
    if not Path(python).exists():
        raise BenchUnavailable(f"no interpreter at {python}")
    if log_file is None:
        handle, name = tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")
        os.close(handle)
        log_file = Path(name)
    cmd = [
        str(python),
        "-m",
        "gunicorn",
        wsgi_module,
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log_file),
        # Two servers side by side must not fight over gunicorn's default control socket.
        "--no-control-socket",
    ]
    log(f"gunicorn {wsgi_module}: {workers} workers on port {port} (log: {log_file})")

    def output() -> str:
        return _tail(log_file.read_text(encoding="utf-8", errors="replace"))

    with log_file.open("a", encoding="utf-8") as sink:
        try:
            proc = subprocess.Popen(  # noqa: S603 - our own arguments, no shell
                cmd,
                cwd=cwd,
                env=child_env(env),
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise BenchUnavailable(f"cannot start gunicorn with {python}: {exc}") from exc
    server = Server(url=f"http://127.0.0.1:{port}", pid=proc.pid, workers=workers)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise BenchUnavailable(
                    f"gunicorn exited with code {proc.returncode} while starting:\n{output()}"
                )
            if _answers(port) and len(_children(proc.pid)) >= workers:
                break
            if time.monotonic() > deadline:
                raise BenchUnavailable(
                    f"gunicorn did not answer on port {port} within {startup_timeout:.0f} s:\n"
                    f"{output()}"
                )
            time.sleep(0.3)
        log(f"gunicorn answering at {server.url}")
        yield server
        if proc.poll() is not None:
            raise BenchUnavailable(f"gunicorn died during the run:\n{output()}")
        for child in _children(proc.pid):
            peak = peak_rss_kib(child)
            if peak is not None:
                server.worker_peak_rss_kib[child] = peak
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log("gunicorn did not stop on TERM within 20 s: killing it")
        _kill_group(proc, signal.SIGKILL)  # stray workers, if any
        proc.wait()
