"""The periodic sweeps of every feature (deadlines of matters, time limits of disputes, ...), run
together by `manage.py sweep_deadlines` and by one Celery beat task. Each app registers its sweep
in its AppConfig.ready(); each sweep is idempotent and safe to run on several workers at once."""

from __future__ import annotations

from collections.abc import Callable

_SWEEPS: dict[str, Callable[[], object]] = {}


def register(name: str, sweep: Callable[[], object]) -> None:
    _SWEEPS[name] = sweep


def run_all() -> dict[str, str]:
    """Run every registered sweep; the report of each, by name. The health check reads when the
    sweeps last finished."""
    from xinkan.core import health

    reports = {name: str(sweep()) for name, sweep in _SWEEPS.items()}
    health.beat(health.SWEEP, ", ".join(sorted(reports)))
    return reports
