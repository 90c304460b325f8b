"""Idempotency keys are claimed before the work starts: a copy of a request arriving while the
first is still at work is told to retry (409) and does nothing; a claim left by a crashed worker
is taken over after a while; a refused request frees its key."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.api.conftest import bearer, issue
from xinkan.api import idempotency
from xinkan.api.models import IdempotentResponse
from xinkan.residents import services
from xinkan.residents.models import CareVisit

pytestmark = pytest.mark.django_db
BODY = {"found": "老人身体尚可，冰箱里缺少蔬菜。"}


def post(client: Client, url: str, secret: str, key: str, body: dict[str, Any] = BODY) -> Any:
    return client.post(
        url,
        json.dumps(body),
        content_type="application/json",
        **bearer(secret, HTTP_IDEMPOTENCY_KEY=key),
    )


def test_a_copy_arriving_while_the_first_is_at_work_does_nothing(cast, api_client, monkeypatch):
    person = factories.resident(cast.grid, name="李秀英")
    issued = issue(cast)
    url = f"/api/v1/residents/{person.pk}/care-visits"
    copies: list[Any] = []
    record = services.record_care_visit

    def slow_record(*args: Any, **kwargs: Any) -> Any:
        # The same request again, sent while this one is still being handled.
        copies.append(post(Client(), url, issued.secret, "same"))
        return record(*args, **kwargs)

    monkeypatch.setattr(services, "record_care_visit", slow_record)
    first = post(api_client, url, issued.secret, "same")
    assert first.status_code == 201
    (copy,) = copies
    assert copy.status_code == 409
    assert copy.json()["error"]["code"] == "idempotency_in_progress" and copy["Retry-After"]
    assert CareVisit.objects.count() == 1
    replay = post(api_client, url, issued.secret, "same")
    assert replay.json() == first.json() and CareVisit.objects.count() == 1


def test_a_claim_left_by_a_crashed_worker_is_taken_over_after_a_while(cast, api_client):
    person = factories.resident(cast.grid, name="李秀英")
    issued = issue(cast)
    url = f"/api/v1/residents/{person.pk}/care-visits"
    post(api_client, url, issued.secret, "done")
    # The same request's claim, as a worker that crashed before committing would leave it.
    claim = IdempotentResponse.objects.get(key="done")
    IdempotentResponse.objects.filter(pk=claim.pk).update(
        key="crashed", status=idempotency.PENDING, body={}
    )
    CareVisit.objects.all().delete()
    fresh = post(api_client, url, issued.secret, "crashed")
    assert fresh.status_code == 409 and not CareVisit.objects.exists()
    IdempotentResponse.objects.filter(key="crashed").update(
        created_at=timezone.now() - idempotency.CLAIM_TIMEOUT - dt.timedelta(seconds=1)
    )
    taken = post(api_client, url, issued.secret, "crashed")
    assert taken.status_code == 201 and CareVisit.objects.count() == 1
    assert IdempotentResponse.objects.get(key="crashed").status == 201


def test_a_refused_request_frees_its_key(cast, api_client):
    person = factories.resident(cast.grid, name="李秀英")
    issued = issue(cast)
    url = f"/api/v1/residents/{person.pk}/care-visits"
    future = {**BODY, "visited_on": str(timezone.localdate() + dt.timedelta(days=3))}
    refused = post(api_client, url, issued.secret, "k", future)
    assert refused.status_code == 400
    assert not IdempotentResponse.objects.exists()
    fixed = post(api_client, url, issued.secret, "k")
    assert fixed.status_code == 201 and CareVisit.objects.count() == 1
