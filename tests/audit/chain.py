"""Helpers for the audit tests: tampering with stored entries behind the application's back.

On PostgreSQL a trigger refuses UPDATE and DELETE on the audit table; an attacker with the
database owner's rights could still switch triggers off, which is what these helpers do (for the
current transaction only), so that the hash chain can be shown to catch what the trigger did not.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from xinkan.audit import services as audit
from xinkan.audit.models import AuditEntry


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Run raw SQL on the audit table with the append-only trigger out of the way."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            cursor.execute(sql, params or [])
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def record_some(count: int, *, prefix: str = "test.event") -> list[AuditEntry]:
    return [
        audit.record(actor=None, actor_label="system:test", action=f"{prefix}.{n}", data={"n": n})
        for n in range(count)
    ]
