"""What the health check looks at: the database, the broker, the workers' heartbeats and how long
ago the deadline sweep last ran.

`/healthz` (load balancers) asks only the database: a web process that can reach it can serve.
`/healthz/full` (monitoring) asks everything, and answers 503 when something is wrong, saying
what.
"""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from xinkan.core.models import Heartbeat

WORKER_PREFIX = "worker:"
SWEEP = "sweep"
# A worker beats every minute and the sweep runs every five (settings.CELERY_BEAT_SCHEDULE).
WORKER_STALE = dt.timedelta(minutes=3)
SWEEP_STALE = dt.timedelta(minutes=15)


def beat(name: str, detail: str = "") -> None:
    """Record that `name` is alive now (one row per name, overwritten)."""
    Heartbeat.objects.update_or_create(
        name=name[:100], defaults={"at": timezone.now(), "detail": detail[:200]}
    )


def worker_name() -> str:
    return f"{WORKER_PREFIX}{socket.gethostname()}"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail}


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure to reach it is the answer
        return Check("database", False, type(exc).__name__)
    return Check("database", True, connection.vendor)


def broker() -> Check:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return Check("broker", True, "none: tasks run in process")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        return Check("broker", False, type(exc).__name__)
    return Check("broker", True, "redis")


def _age(at: dt.datetime, now: dt.datetime) -> str:
    return f"{int((now - at).total_seconds())} s ago"


def workers(now: dt.datetime) -> Check:
    if not getattr(settings, "REDIS_URL", ""):
        return Check("workers", True, "none: tasks run in process")
    beats = list(Heartbeat.objects.filter(name__startswith=WORKER_PREFIX))
    alive = [b for b in beats if now - b.at <= WORKER_STALE]
    if not alive:
        last = max((b.at for b in beats), default=None)
        return Check("workers", False, f"no heartbeat since {_age(last, now)}" if last else "none")
    return Check("workers", True, f"{len(alive)} alive")


def sweep(now: dt.datetime) -> Check:
    last = Heartbeat.objects.filter(name=SWEEP).first()
    if last is None:
        return Check("sweep", False, "never ran")
    return Check("sweep", now - last.at <= SWEEP_STALE, f"last ran {_age(last.at, now)}")


def full() -> list[Check]:
    first = database()
    if not first.ok:
        return [first, broker()]
    now = timezone.now()
    return [first, broker(), workers(now), sweep(now)]
