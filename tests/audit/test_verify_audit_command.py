"""The verify_audit command: exit 0 on an intact chain, non-zero naming the first broken entry."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from tests.audit.chain import record_some, tamper
from xinkan.audit import services as audit
from xinkan.audit.management.commands.verify_audit import Command


def run(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def test_intact_chain_reports_the_count_and_head(db: None) -> None:
    entries = record_some(4)

    output = run()

    assert output.strip() == f"Audit chain intact: 4 entries, head {entries[-1].hash}"


def test_changed_entry_fails_the_command_naming_it(db: None) -> None:
    entries = record_some(5)
    tamper("UPDATE audit_auditentry SET action = 'test.hidden' WHERE id = %s", [entries[2].pk])

    with pytest.raises(CommandError, match=rf"broken at entry {entries[2].pk}:"):
        run()


def test_broken_chain_exits_non_zero(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = record_some(3)
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    stderr = StringIO()
    command = Command(stdout=StringIO(), stderr=stderr)
    # As from the shell; but keep the test's database connection (and its transaction) open.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    with pytest.raises(SystemExit) as exit_info:
        command.run_from_argv(["manage.py", "verify_audit"])

    assert exit_info.value.code == 1
    assert f"broken at entry {entries[2].pk}" in stderr.getvalue()


def test_expected_head_that_is_the_current_head_passes(db: None) -> None:
    entries = record_some(3)

    assert "intact" in run("--expect-head", entries[-1].hash)


def test_expected_head_from_an_earlier_run_passes_after_new_entries(db: None) -> None:
    earlier = record_some(3)[-1].hash
    record_some(2, prefix="test.later")

    assert "intact: 5 entries" in run("--expect-head", earlier)


def test_removed_tail_is_caught_with_the_expected_head(db: None) -> None:
    entries = record_some(5)
    head = entries[-1].hash
    tamper("DELETE FROM audit_auditentry WHERE id >= %s", [entries[3].pk])
    assert audit.verify_chain().ok  # what is left is a valid chain by itself

    with pytest.raises(CommandError, match="no longer in the chain"):
        run("--expect-head", head)


def test_unknown_expected_head_is_refused(db: None) -> None:
    record_some(2)

    with pytest.raises(CommandError, match="no longer in the chain"):
        run("--expect-head", "f" * 64)
