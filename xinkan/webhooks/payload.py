"""What a matter event becomes for a receiver: its type, its stable id and its JSON body.

The body names the matter by id, code and the units and department involved — never the
requester, the description, the address or anything else a resident said (those can name people):
a receiver that needs more reads the matter through the API with its token, in its scope.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from xinkan.matters.models import Deadline, Matter
from xinkan.webhooks.models import EventType

# Fixed for ever: the same matter event has the same id on every run, worker and subscriber.
EVENT_NAMESPACE = uuid.UUID("6b1f6f3e-3c1d-4c55-9a52-1d0c3f0e7a11")


def event_type_of(action: str, from_state: str, to_state: str) -> str | None:
    if action == "registered":
        return EventType.MATTER_CREATED
    if action == "overdue":
        return EventType.MATTER_OVERDUE
    if from_state and to_state and from_state != to_state:
        return EventType.MATTER_STATUS_CHANGED
    return None


def event_id(source_event_id: int) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, f"matter-event:{source_event_id}")


def _time(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if at else None


def _ref(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.pk, "code": obj.code, "name": obj.name}


def matter_summaries(matter_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Two queries for any number of matters."""
    ids = sorted(set(matter_ids))
    matters = (
        Matter.objects.filter(pk__in=ids)
        .select_related("category", "unit", "handling_unit", "lead_department")
        .only(
            "pk",
            "state",
            "channel",
            "registered_at",
            "category__code",
            "unit__code",
            "unit__name",
            "handling_unit__code",
            "handling_unit__name",
            "lead_department__code",
            "lead_department__name",
        )
    )
    next_deadline: dict[int, Deadline] = {}
    for open_deadline in Deadline.objects.filter(
        matter_id__in=ids, met_at__isnull=True, cancelled=False
    ).order_by("matter_id", "due_at", "pk"):
        next_deadline.setdefault(open_deadline.matter_id, open_deadline)
    summaries: dict[int, dict[str, Any]] = {}
    for matter in matters:
        deadline = next_deadline.get(matter.pk)
        summaries[matter.pk] = {
            "id": matter.pk,
            "code": matter.code,
            "state": matter.state,
            "channel": matter.channel,
            "category": matter.category.code,
            "unit": _ref(matter.unit),
            "handling_unit": _ref(matter.handling_unit),
            "lead_department": _ref(matter.lead_department),
            "registered_at": _time(matter.registered_at),
            "deadline": (
                {"stage": deadline.stage, "due_at": _time(deadline.due_at)} if deadline else None
            ),
            "url": f"/api/v1/matters/{matter.pk}",
        }
    return summaries


def change_of(event_type: str, event: dict[str, Any]) -> dict[str, Any]:
    """What happened, from the history row (its note and free data are left out)."""
    if event_type == EventType.MATTER_STATUS_CHANGED:
        return {
            "action": event["action"],
            "from_state": event["from_state"],
            "to_state": event["to_state"],
        }
    if event_type == EventType.MATTER_OVERDUE:
        data = event["data"] or {}
        due_at = str(data.get("due_at") or "").replace("+00:00", "Z")  # stored as UTC ISO text
        return {"stage": data.get("stage", ""), "due_at": due_at or None}
    return {"to_state": event["to_state"]}


def build(*, event_type: str, event: dict[str, Any], matter: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(event_id(event["pk"])),
        "type": event_type,
        "occurred_at": _time(event["at"]),
        "change": change_of(event_type, event),
        "matter": matter,
    }
