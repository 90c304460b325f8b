"""On PostgreSQL the database itself refuses to change or remove audit entries, and concurrent
appends keep one unbroken chain (the advisory lock in audit.services.record)."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from tests.audit.chain import record_some
from xinkan.audit import services as audit
from xinkan.audit.models import AuditEntry

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL triggers"),
]


def run_sql(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def stored(entry: AuditEntry) -> tuple[object, ...]:
    return AuditEntry.objects.filter(pk=entry.pk).values_list("action", "data", "hash").get()


def test_plain_update_is_refused(db: None) -> None:
    entry = record_some(2)[0]
    before = stored(entry)

    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("UPDATE audit_auditentry SET action = 'test.changed' WHERE id = %s", [entry.pk])

    assert stored(entry) == before


def test_plain_delete_is_refused(db: None) -> None:
    entry = record_some(2)[0]

    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])

    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert audit.verify_chain().ok


def test_orm_update_and_delete_are_refused(db: None) -> None:
    entries = record_some(3)

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entries[1].pk).update(action="test.changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.count() == 3
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_valid_chain() -> None:
    threads_count, per_thread = 6, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def append(worker: int) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                with transaction.atomic():
                    audit.record(actor=None, action="test.concurrent", data={"w": worker, "n": n})
        except BaseException as error:  # reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(w,)) for w in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert AuditEntry.objects.filter(action="test.concurrent").count() == threads_count * per_thread
    report = audit.verify_chain()
    assert report.ok, report
    prev_hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(prev_hashes) == len(set(prev_hashes))  # no fork: each entry has its own successor
