"""Assertions shared by the matters tests: "nothing changed" and "refused, and the refusal audited"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from xinkan.audit.models import AuditEntry, Outcome
from xinkan.matters.models import (
    AccompaniedVisit,
    Assignment,
    Companion,
    Deadline,
    ExtensionRequest,
    FollowUp,
    Matter,
    MatterEvent,
    MatterLink,
    Notification,
    Objection,
    Reply,
    Supervision,
)


def snapshot(matter: Matter) -> dict[str, Any]:
    """Everything a matter service may write about `matter`, as stored."""
    pk = matter.pk
    return {
        "matter": Matter.objects.filter(pk=pk).values().get(),
        "events": list(MatterEvent.objects.filter(matter_id=pk).values_list("pk", flat=True)),
        "assignments": list(
            Assignment.objects.filter(matter_id=pk)
            .order_by("pk")
            .values_list("pk", "department_id", "role", "state", "report")
        ),
        "deadlines": list(
            Deadline.objects.filter(matter_id=pk)
            .order_by("pk")
            .values_list("pk", "stage", "due_at", "met_at", "cancelled", "extended_days")
        ),
        "replies": list(Reply.objects.filter(matter_id=pk).values_list("pk", flat=True)),
        "follow_ups": list(FollowUp.objects.filter(matter_id=pk).values_list("pk", flat=True)),
        "objections": list(
            Objection.objects.filter(assignment__matter_id=pk).values_list("pk", "upheld")
        ),
        "extensions": list(
            ExtensionRequest.objects.filter(matter_id=pk).values_list("pk", "approved")
        ),
        "companions": list(
            Companion.objects.filter(matter_id=pk).values_list("pk", "active", "mode")
        ),
        "visits": AccompaniedVisit.objects.filter(companion__matter_id=pk).count(),
        "links": list(MatterLink.objects.filter(matter_id=pk).values_list("other_id", "kind")),
        "supervisions": Supervision.objects.filter(matter_id=pk).count(),
        "matters": Matter.objects.count(),
        "notifications": Notification.objects.count(),
        "audit_successes": AuditEntry.objects.filter(outcome=Outcome.SUCCESS).count(),
    }


def denials(action: str) -> int:
    """Failure entries in the audit log for the refused matters action."""
    return AuditEntry.objects.filter(
        outcome=Outcome.FAILURE, action=f"matters.{action}.denied"
    ).count()


def assert_refused(
    matter: Matter,
    call: Callable[[], object],
    error: type[Exception],
    *,
    audited: str | None = None,
    match: str | None = None,
) -> pytest.ExceptionInfo[Exception]:
    """`call` raises `error` and leaves the matter exactly as it was. A PermissionDenied also
    leaves one failure entry for `audited` (the action name) in the audit log."""
    before = snapshot(matter)
    if audited is None and error is PermissionDenied:
        raise AssertionError("say which audited action a permission refusal records")
    denied_before = denials(audited) if audited else 0
    with pytest.raises(error, match=match) as info:
        call()
    assert snapshot(matter) == before
    if audited:
        assert denials(audited) == denied_before + 1
    return info
