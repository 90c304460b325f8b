"""Loaded by xinkan/bench/load.py's run_locust beside every locust file (`-f file,final_errors.py`).

Locust rewrites its CSV files once a second and not when it exits, so a run that ends early (a
failed login ends it at once) or the run's last moments could lose the failures that explain
the figures. When locust quits, this writes every failure and every error raised in a task to
the JSON file named by BENCH_ERRORS_FILE: {"failures": [{method, name, error, occurrences}],
"exceptions": [{count, msg}]}.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from locust import events

_SEEN: dict[str, Any] = {}


@events.init.add_listener
def remember_environment(environment: Any, **_kwargs: Any) -> None:
    _SEEN["environment"] = environment


@events.quit.add_listener
def save_errors(**_kwargs: Any) -> None:
    target = os.environ.get("BENCH_ERRORS_FILE")
    runner = getattr(_SEEN.get("environment"), "runner", None)
    if not target or runner is None:
        return
    failures = [
        {
            "method": e["method"],
            "name": e["name"],
            "error": str(e["error"]),
            "occurrences": e["occurrences"],
        }
        for e in runner.stats.serialize_errors().values()
    ]
    exceptions = [{"count": e["count"], "msg": e["msg"]} for e in runner.exceptions.values()]
    Path(target).write_text(
        json.dumps({"failures": failures, "exceptions": exceptions}, ensure_ascii=False),
        encoding="utf-8",
    )
