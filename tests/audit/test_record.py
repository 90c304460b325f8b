"""audit.services.record: one entry per fact, chained to the one before by its hash."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import uuid

import pytest
from django.db import transaction

from tests.audit.chain import record_some
from tests.conftest import Cast
from xinkan.audit import services as audit
from xinkan.audit.models import AuditEntry, Outcome
from xinkan.core import context


def test_first_entry_starts_from_the_genesis_hash(db: None) -> None:
    entry = audit.record(actor=None, action="test.first")

    assert entry.prev_hash == audit.GENESIS_HASH
    assert len(entry.hash) == 64


def test_each_entry_carries_the_hash_of_the_one_before(db: None) -> None:
    entries = record_some(5)

    stored = list(AuditEntry.objects.order_by("id"))
    assert [entry.pk for entry in stored] == [entry.pk for entry in entries]
    for before, after in itertools.pairwise(stored):
        assert after.prev_hash == before.hash
    assert len({entry.hash for entry in stored}) == 5


def test_stored_entry_hashes_to_its_recorded_hash(cast: Cast) -> None:
    """Values go through a database round trip (JSON, times, ids) and still hash the same."""
    entry = audit.record(
        actor=cast.admin,
        action="test.round_trip",
        obj=cast.grid_worker,
        unit=cast.grid,
        changes={"display_name": ["旧名", "新名"], "when": [None, dt.date(2026, 3, 1)]},
        data={
            "at": dt.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC),
            "amount": decimal.Decimal("12.50"),
            "ratio": 0.25,
            "ids": {3, 1, 2},
            "nested": {"b": [1, "二"], "a": None},
            "key": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        },
    )

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert audit.compute_hash(stored) == stored.hash == entry.hash
    assert stored.data["ids"] == [1, 2, 3]
    assert stored.data["at"] == "2026-03-01T08:30:15.123456+00:00"
    assert stored.changes == {"display_name": ["旧名", "新名"], "when": [None, "2026-03-01"]}


def test_entry_names_actor_object_and_unit(cast: Cast) -> None:
    entry = audit.record(actor=cast.admin, action="test.facts", obj=cast.grid, unit=cast.grid)

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.actor_id == cast.admin.pk
    assert stored.actor_label == "admin"
    assert (stored.object_type, stored.object_id, stored.object_repr) == (
        "org.unit",
        str(cast.grid.pk),
        str(cast.grid),
    )
    assert stored.unit_id == cast.grid.pk
    assert stored.outcome == Outcome.SUCCESS


def test_entry_without_an_actor_is_the_systems(db: None) -> None:
    assert audit.record(actor=None, action="test.system").actor_label == "system"
    labelled = audit.record(actor=None, actor_label="system:job", action="test.job")
    assert (labelled.actor_id, labelled.actor_label) == (None, "system:job")


def test_record_failure_keeps_a_refused_attempt(cast: Cast) -> None:
    entry = audit.record_failure(actor=cast.outsider, action="test.denied", unit=cast.grid)

    assert AuditEntry.objects.get(pk=entry.pk).outcome == Outcome.FAILURE


def test_entry_carries_the_request_id_and_client_address(db: None) -> None:
    token = context.activate(
        context.RequestContext(request_id="req-12345678", client_ip="10.1.2.3")
    )
    try:
        entry = audit.record(actor=None, action="test.in_request")
    finally:
        context.reset(token)

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.request_id, stored.client_ip) == ("req-12345678", "10.1.2.3")
    assert audit.compute_hash(stored) == stored.hash  # both are covered by the hash


def test_an_entry_written_in_a_rolled_back_transaction_leaves_the_chain_intact(
    db: None,
) -> None:
    record_some(2)

    class Abort(Exception):
        pass

    def write_then_fail() -> None:
        with transaction.atomic():
            audit.record(actor=None, action="test.rolled_back")
            raise Abort

    with pytest.raises(Abort):
        write_then_fail()

    record_some(2, prefix="test.after")
    assert not AuditEntry.objects.filter(action="test.rolled_back").exists()
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == 4


def test_long_object_names_and_labels_are_cut_to_fit(db: None) -> None:
    entry = audit.record(actor=None, actor_label="x" * 400, action="test.long")

    assert len(AuditEntry.objects.get(pk=entry.pk).actor_label) == 150


def test_snapshot_and_diff_describe_a_change(cast: Cast) -> None:
    before = audit.snapshot(cast.grid, ["name", "parent"])
    after = {**before, "name": "新网格"}

    assert before == {"name": cast.grid.name, "parent": cast.community.pk}
    assert audit.diff(before, after) == {"name": [cast.grid.name, "新网格"]}
    assert audit.diff(before, before) == {}
