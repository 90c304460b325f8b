"""The benchmark's figures: each with the scale it was measured at, printed as a table and saved
as JSON (VAR_DIR/bench/bench-<time>.json)."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def latency(samples_ms: list[float]) -> dict[str, Any]:
    return {
        "n": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 50), 1),
        "p95_ms": round(percentile(samples_ms, 95), 1),
        "p99_ms": round(percentile(samples_ms, 99), 1),
        "max_ms": round(max(samples_ms), 1) if samples_ms else 0.0,
    }


def sample(fn: Callable[[], Any], n: int) -> list[float]:
    """`n` timings of `fn` in milliseconds."""
    result = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        result.append((time.perf_counter() - started) * 1000)
    return result


@dataclass
class ColdStart:
    """What "cold" means: by default the first call on a new database connection. With a
    `command` (the benchmark's --cold-command, e.g. restarting PostgreSQL and dropping the
    operating system's page cache) it is run before each of `runs` cold calls, so the cold figure
    is a p50/p95 over calls that read from disk."""

    command: str = ""
    runs: int = 1


COLD = ColdStart()


def _reconnect(timeout: float = 60.0) -> None:
    """A new connection, waiting for the database to accept it again (after a restart)."""
    from django.db.utils import OperationalError

    deadline = time.monotonic() + timeout
    while True:
        connection.close()
        try:
            connection.ensure_connection()
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def cold_warm(fn: Callable[[], Any], n: int) -> dict[str, Any]:
    """Cold calls (see ColdStart), then `n` warm calls."""
    import subprocess

    colds: list[float] = []
    for _ in range(max(1, COLD.runs)):
        if COLD.command:
            connection.close()
            subprocess.run(COLD.command, shell=True, check=True, timeout=120)  # noqa: S602 - the operator's own option
        _reconnect()
        colds.append(sample(fn, 1)[0])
    cold: dict[str, Any] = {"cold_ms": round(percentile(colds, 50), 1)}
    if len(colds) > 1:
        cold["cold_p95_ms"] = round(percentile(colds, 95), 1)
        cold["cold_n"] = len(colds)
    return {**cold, **latency(sample(fn, n))}


@dataclass
class Report:
    scale: dict[str, Any]
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: dict[str, Any], **scale: Any) -> None:
        """One figure; `scale` says what it was measured against (rows, users, workers …)."""
        self.figures[name] = {**value, **({"at": scale} if scale else {})}

    def skip(self, part: str, reason: str) -> None:
        self.unavailable[part] = reason

    def machine(self) -> dict[str, Any]:
        import os

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
        return {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": server,
            "platform": platform.platform(),
        }

    def save(self) -> Path:
        folder = Path(settings.VAR_DIR) / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"bench-{timezone.now():%Y%m%d-%H%M%S}.json"
        path.write_text(
            json.dumps(
                {
                    "machine": self.machine(),
                    "scale": self.scale,
                    "figures": self.figures,
                    "unavailable": self.unavailable,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return path

    def table(self) -> str:
        lines = [
            f"Scale: {json.dumps(self.scale, ensure_ascii=False)}",
            f"{'figure':<48} {'n':>6} {'cold':>8} {'p50':>8} {'p95':>8} {'p99':>8}  other",
        ]
        for name, value in self.figures.items():
            other = {
                k: v
                for k, v in value.items()
                if k not in {"n", "cold_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "at"}
            }
            if "p50_ms" in value:
                lines.append(
                    f"{name:<48} {value.get('n', ''):>6} {value.get('cold_ms', ''):>8} "
                    f"{value['p50_ms']:>8} {value['p95_ms']:>8} {value.get('p99_ms', ''):>8}  "
                    f"{_short(other)}"
                )
            else:
                lines.append(f"{name:<48} {'':>6} {'':>8} {'':>8} {'':>8} {'':>8}  {_short(other)}")
        for part, reason in self.unavailable.items():
            lines.append(f"{part:<44} NOT RUN: {reason}")
        if COLD.command:
            lines.append(
                f"(milliseconds; cold = p50 of {COLD.runs} calls, each after `{COLD.command}`)"
            )
        else:
            lines.append("(milliseconds; cold = first call on a new database connection)")
        return "\n".join(lines)


def _short(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())
