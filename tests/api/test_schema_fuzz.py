"""Schemathesis fuzzes every operation of the REST API's own OpenAPI schema, in-process through
the WSGI app, over a small demo-like cast (matters, a dispute, a resident with a pairing, square
sessions with questions): every operation as the district leader's token, and every write again
as a community's own system (whose role reaches the services' checks). No answer may be a server
error, use a status code the operation does not declare, or break its declared response schema.

Bounded for CI: derandomized (the same requests on every run), MAX_EXAMPLES requests per
operation drawn from the schema's examples, valid and invalid data; no shrinking; one cast for
the whole run. Under a minute on either database (docs/api.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from tests import factories
from tests.api.conftest import issue
from tests.matters import factories as mf
from tests.mediation import factories as mediation
from tests.square import factories as sf
from xinkan.api.api import api
from xinkan.matters.models import Matter
from xinkan.mediation.models import Dispute
from xinkan.org.roles import Role
from xinkan.residents import services as residents
from xinkan.volunteers import pairings
from xinkan.volunteers import services as volunteers

MAX_EXAMPLES = 20
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
BOUNDS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],
)


def _demo(cast: Any) -> dict[str, list[int]]:
    """A little of everything the API reads and acts on; the ids the path parameters use."""
    matter = mf.matter(cast.grid, cast.grid_worker)
    accepted = mf.accepted(
        cast, contact_phone="13900139000", description="路灯坏了一周，晚上行人容易摔倒。"
    )
    mediation.mediator_of(cast.grid)
    dispute = mediation.dispute(cast.grid, cast.community_worker)
    person = factories.resident(cast.grid, name="李秀英", phone="13912345678")
    helper = volunteers.register_volunteer(
        by=cast.community_worker, name="周敏", unit=cast.community, skills=["errands"]
    )
    need = residents.open_need(person, by=cast.community_worker, need_type="errands")
    today = timezone.localdate()
    pairing = pairings.pair(
        by=cast.community_worker,
        need=need,
        volunteer=helper,
        help_text="每周代购一次生活用品",
        visit_every_days=7,
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=300),
    )
    open_session = sf.session(cast, state="open", theme="养老服务专场")
    pending = sf.submitted(open_session)
    promised = sf.promised(cast)
    return {
        "matter_id": [matter.pk, accepted.pk],
        "dispute_id": [dispute.pk],
        "session_id": [open_session.pk, promised.session_id],
        "question_id": [pending.pk, promised.pk],
        "resident_id": [person.pk],
        "pairing_id": [pairing.pk],
        "unit_id": [cast.district.pk, cast.grid.pk],
        "department_id": [cast.department.pk],
    }


# The ids of the demo records, for the path parameters (filled by the fixture).
REAL_IDS: dict[str, list[int]] = {}

schema = schemathesis.openapi.from_dict(
    api.get_openapi_schema(),
    config=schemathesis.Config.from_dict({"generation": {"deterministic": True}}),
)
schema.app = get_wsgi_application()


@schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Four generated ids in five name a real record, so the operations' work is reached."""
    if not path_parameters:
        return path_parameters
    mapped = dict(path_parameters)
    for name, value in path_parameters.items():
        real = REAL_IDS.get(name)
        if real and isinstance(value, int) and value % 5 != 1:
            mapped[name] = real[value % len(real)]
    return mapped


VERSIONED = {"matter_id": Matter, "dispute_id": Dispute}


@schema.hook
def map_case(context: Any, case: Any) -> Any:
    """Actions without a version, or with an odd one, carry their record's current version, so
    they get past the version check and into the services (the rest stay stale or invalid)."""
    body, path = case.body, case.path_parameters or {}
    if not isinstance(body, dict):
        return case
    version = body.get("version")
    if version is None or (isinstance(version, int) and version % 2):
        for name, model in VERSIONED.items():
            if isinstance(path.get(name), int):
                found = model.objects.filter(pk=path[name]).values_list("version", flat=True)
                body["version"] = found.first() or version
    return case


@pytest.fixture
def demo(cast: Any, settings: Any) -> Iterator[Any]:
    # Generous limits: the fuzzer's burst is not what the rate limits are tested with.
    settings.XINKAN_API_RATE_CALLER = (100_000, 60)
    settings.XINKAN_API_RATE_ADDRESS = (100_000, 60)
    settings.XINKAN_API_RATE_ASK = (100_000, 60)
    REAL_IDS.update(_demo(cast))
    # As Django's test client does: the requests run inside the test's transaction, which the
    # end of a request must not close.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield cast
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    REAL_IDS.clear()


def _fuzz(operations: Any, secret: str) -> list[str]:
    """Each operation with requests drawn from its examples, valid and invalid data; what
    failed."""
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    failures: list[str] = []
    count = 0
    for result in operations.get_all_operations():
        operation = result.ok()
        count += 1
        cases = st.one_of(
            *operation.get_strategies_from_examples(),
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @BOUNDS
        @given(case=cases)
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:
            # Schemathesis raises a (base) exception group: every failed check, with a curl
            # to replay it. Kept, so one run reports every failing operation.
            failures.append(f"{operation.label}: {exc}")
    assert count > 10, "the schema's operations were not found"
    return failures


def test_no_operation_answers_a_leader_with_a_server_error_or_off_schema(demo: Any) -> None:
    """Every operation, as the district's leader (reads everywhere, runs the square)."""
    secret = issue(demo, role=Role.LEADER, unit=demo.district, name="大屏").secret
    failures = _fuzz(schema, secret)
    assert not failures, "\n\n".join(failures)


def test_no_write_answers_a_community_system_with_a_server_error_or_off_schema(
    demo: Any,
) -> None:
    """The writes again, as a community's own system: its role registers and mediates disputes,
    keeps the archive and the pairings, so the services' own checks are reached."""
    secret = issue(demo, name="社区系统").secret
    failures = _fuzz(schema.include(method="POST"), secret)
    assert not failures, "\n\n".join(failures)
