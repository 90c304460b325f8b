"""Every write of the API beyond matters (disputes, pairings, care visits, household members, the
square's questions) refuses a revoked token (401) and a caller over its rate limit (429), and
neither refusal writes anything."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.api.conftest import bearer, issue
from tests.mediation import factories as mediation
from tests.square import factories as sf
from xinkan.api import tokens
from xinkan.mediation.models import Agreement, Dispute, Session
from xinkan.residents import services as residents
from xinkan.residents.models import CareVisit, Resident
from xinkan.square.models import Question
from xinkan.volunteers import pairings
from xinkan.volunteers import services as volunteers
from xinkan.volunteers.models import Pairing, PairingVisit

pytestmark = pytest.mark.django_db


def _world(cast: Any) -> dict[str, Any]:
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    person = factories.resident(cast.grid, name="李秀英")
    helper = volunteers.register_volunteer(
        by=cast.community_worker, name="周敏", unit=cast.community, skills=["companionship"]
    )
    need = residents.open_need(person, by=cast.community_worker, need_type="daily_care")
    today = timezone.localdate()
    pairing = pairings.pair(
        by=cast.community_worker,
        need=need,
        volunteer=helper,
        help_text="每周上门陪伴老人",
        visit_every_days=7,
        starts_on=today,
        ends_on=today + dt.timedelta(days=300),
    )
    session = sf.session(cast, state="open")
    return {
        "dispute": dispute,
        "person": person,
        "household": factories.household(cast.grid),
        "pairing": pairing,
        "session": session,
        "question": sf.submitted(session),
    }


def _state() -> tuple[Any, ...]:
    return (
        list(Dispute.objects.values_list("pk", "state", "step", "version")),
        Session.objects.count(),
        Agreement.objects.count(),
        PairingVisit.objects.count(),
        list(Pairing.objects.values_list("pk", "status")),
        CareVisit.objects.count(),
        Resident.objects.count(),
        list(Question.objects.values_list("pk", "state")),
    )


WRITES: list[tuple[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]]] = [
    (
        "register a dispute",
        lambda w: (
            "/api/v1/disputes",
            {
                "dispute_type": "neighbours",
                "source": "patrol",
                "title": "楼道堆放杂物引发纠纷",
                "unit": w["person"].unit_id,
                "parties": [{"name": "王建军"}, {"name": "李红梅"}],
            },
        ),
    ),
    (
        "record a session",
        lambda w: (
            f"/api/v1/disputes/{w['dispute'].pk}/sessions",
            {
                "version": w["dispute"].version,
                "at": timezone.now().isoformat(),
                "place": "调解室",
                "statements": "双方陈述",
            },
        ),
    ),
    (
        "escalate",
        lambda w: (
            f"/api/v1/disputes/{w['dispute'].pk}/escalate",
            {"version": w["dispute"].version, "reason": "调解未果，需上报"},
        ),
    ),
    (
        "withdraw",
        lambda w: (
            f"/api/v1/disputes/{w['dispute'].pk}/withdraw",
            {"version": w["dispute"].version, "reason": "当事人撤回申请"},
        ),
    ),
    (
        "log a visit",
        lambda w: (
            f"/api/v1/pairings/{w['pairing'].pk}/visits",
            {"visited_on": str(timezone.localdate()), "notes": "陪老人聊天"},
        ),
    ),
    (
        "end a pairing",
        lambda w: (f"/api/v1/pairings/{w['pairing'].pk}/end", {"reason": "老人搬走了"}),
    ),
    (
        "record a care visit",
        lambda w: (f"/api/v1/residents/{w['person'].pk}/care-visits", {"found": "身体尚可"}),
    ),
    (
        "add a household member",
        lambda w: ("/api/v1/residents", {"household": w["household"].pk, "name": "王五"}),
    ),
    (
        "send in a question",
        lambda w: (f"/api/v1/square/sessions/{w['session'].pk}/questions", {"text": sf.TEXT}),
    ),
    (
        "decline a question",
        lambda w: (
            f"/api/v1/square/questions/{w['question'].pk}/decline",
            {"reason": "与本场主题无关"},
        ),
    ),
]


def _post(client: Client, url: str, body: dict[str, Any], secret: str) -> Any:
    return client.post(
        url,
        json.dumps(body),
        content_type="application/json",
        **bearer(secret, HTTP_IDEMPOTENCY_KEY="k-1"),
    )


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[name for name, _write in WRITES])
def test_a_revoked_token_writes_nothing(cast, api_client, name, write):
    world = _world(cast)
    issued = issue(cast)
    tokens.revoke_token(issued.token, by=cast.admin)
    before = _state()
    url, body = write(world)
    response = _post(api_client, url, body, issued.secret)
    assert response.status_code == 401, name
    assert response.json()["error"]["code"] == "unauthenticated"
    assert _state() == before


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[name for name, _write in WRITES])
def test_a_caller_over_its_rate_limit_writes_nothing(cast, api_client, settings, name, write):
    world = _world(cast)
    issued = issue(cast, name="限流")
    settings.XINKAN_API_RATE_CALLER = (1, 60)
    assert api_client.get("/api/v1/units", **bearer(issued.secret)).status_code == 200
    before = _state()
    url, body = write(world)
    response = _post(api_client, url, body, issued.secret)
    assert response.status_code == 429, name
    assert response.json()["error"]["code"] == "rate_limited" and response["Retry-After"]
    assert _state() == before


def test_text_with_a_nul_character_is_refused_as_invalid(cast, api_client):
    """PostgreSQL keeps no NUL in text: refused up front on every database, never a 500."""
    world = _world(cast)
    issued = issue(cast)
    before = _state()
    response = _post(
        api_client,
        f"/api/v1/residents/{world['person'].pk}/care-visits",
        {"found": "老人\x00身体尚可"},
        issued.secret,
    )
    assert response.status_code == 400
    assert "found" in response.json()["error"]["fields"]
    nested = _post(
        api_client,
        "/api/v1/disputes",
        {
            "dispute_type": "neighbours",
            "source": "patrol",
            "title": "楼道纠纷",
            "unit": cast.grid.pk,
            "parties": [{"name": "王\x00建军"}, {"name": "李红梅"}],
        },
        issued.secret,
    )
    assert nested.status_code == 400
    assert _state() == before
    listed = api_client.get("/api/v1/residents?q=%00", **bearer(issued.secret))
    assert listed.status_code == 400 and "q" in listed.json()["error"]["fields"]
