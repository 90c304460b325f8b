"""audit.services.verify_chain: recompute the chain and name the first entry that does not fit."""

from __future__ import annotations

import json

from tests.audit.chain import record_some, tamper
from xinkan.audit import services as audit
from xinkan.audit.models import AuditEntry


def test_intact_chain_is_reported_ok(db: None) -> None:
    entries = record_some(6)

    report = audit.verify_chain()

    assert report.ok
    assert report.broken_id is None
    assert report.checked == 6
    assert report.head_hash == entries[-1].hash


def test_empty_log_is_ok(db: None) -> None:
    report = audit.verify_chain()

    assert report.ok
    assert (report.checked, report.head_hash) == (0, audit.GENESIS_HASH)


def test_changed_action_is_caught_at_that_entry(db: None) -> None:
    entries = record_some(5)
    target = entries[2]

    tamper("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["test.innocent", target.pk])

    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_id == target.pk
    assert report.checked == 2
    assert "content" in report.reason


def test_changed_details_are_caught_at_that_entry(db: None) -> None:
    entries = record_some(5)
    target = entries[3]
    assert AuditEntry.objects.get(pk=target.pk).action == target.action

    tamper(
        "UPDATE audit_auditentry SET data = %s WHERE id = %s",
        [json.dumps({"n": 999}), target.pk],
    )

    report = audit.verify_chain()
    assert report.broken_id == target.pk


def test_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link(db: None) -> None:
    entries = record_some(5)
    target = entries[1]
    forged = AuditEntry.objects.get(pk=target.pk)
    forged.action = "test.forged"
    forged_hash = audit.compute_hash(forged)

    tamper(
        "UPDATE audit_auditentry SET action = %s, hash = %s WHERE id = %s",
        ["test.forged", forged_hash, target.pk],
    )

    report = audit.verify_chain()
    assert report.broken_id == entries[2].pk
    assert "previous-hash" in report.reason


def test_deleted_middle_entry_is_caught_at_the_entry_after_it(db: None) -> None:
    entries = record_some(5)

    tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[2].pk])

    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_id == entries[3].pk
    assert report.checked == 2


def test_deleted_first_entry_is_caught(db: None) -> None:
    entries = record_some(3)

    tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[0].pk])

    assert audit.verify_chain().broken_id == entries[1].pk


def test_chain_is_read_in_chunks_without_changing_the_result(db: None) -> None:
    entries = record_some(7)
    tamper("UPDATE audit_auditentry SET actor_label = 'x' WHERE id = %s", [entries[5].pk])

    report = audit.verify_chain(chunk_size=2)

    assert report.broken_id == entries[5].pk
    assert report.checked == 5
