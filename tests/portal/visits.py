"""What a resident does on the portal, as requests: submit, track, and what a page shows."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.test import Client

from tests.matters import factories as mf
from xinkan.matters.models import Matter
from xinkan.portal.views import SESSION_KEY

HOME = "/portal/"
SUBMIT = "/portal/submit/"
SUBMITTED = "/portal/submitted/"
TRACK = "/portal/track/"
MATTER = "/portal/matter/"
RATE = "/portal/matter/rate/"
REVIEW = "/portal/matter/review/"
LEAVE = "/portal/leave/"

PHONE = "13900139000"
DESCRIPTION = "幸福路上的路灯坏了一个月了，晚上走路看不清，孩子放学回家很危险。"


def submission(cast: Any, **values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": mf.category("roads.lights", "路灯损坏").pk,
        "community": cast.community.pk,
        "address": "幸福路12号",
        "description": DESCRIPTION,
        "name": "孙桂兰",
        "phone": PHONE,
        "idempotency_key": uuid.uuid4().hex,
    }
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}


def track(client: Client, matter: Matter, secret: str = "13800138000") -> Any:
    """Follow `matter` with its code and the phone (or key) it was registered with."""
    return client.post(TRACK, {"code": matter.code, "secret": secret})


def session_matter(client: Client) -> int | None:
    return client.session.get(SESSION_KEY)


def codes_on(response: Any) -> set[str]:
    return set(re.findall(r"XK-\d{4}-\d{6}", response.content.decode()))
