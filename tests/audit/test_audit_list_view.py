"""The audit log page: who may read it, what each reader sees, filters, paging, query count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests import factories
from tests.conftest import Cast, login_as
from tests.scope import Probe, assert_scope
from xinkan.accounts.models import User
from xinkan.audit import services as audit
from xinkan.audit.models import AuditEntry
from xinkan.org.models import Unit
from xinkan.org.roles import Role

URL = "/audit/"


def ids_on(response: Any) -> list[int]:
    assert response.status_code == 200
    return [entry.pk for entry in response.context["entries"]]


def unit_entry(unit: Unit, action: str = "test.unit_event", **extra: Any) -> AuditEntry:
    return audit.record(actor=None, actor_label="system:test", action=action, unit=unit, **extra)


def test_administrator_and_leader_may_read_others_are_refused(client: Client, cast: Cast) -> None:
    assert_scope(
        client,
        Probe("get", URL),
        allowed=[cast.admin, cast.leader],
        denied=[cast.grid_worker, cast.community_worker, cast.cadre, cast.handler, cast.outsider],
        state=lambda: AuditEntry.objects.count(),
        allowed_statuses=[200],
    )


def test_anonymous_visitor_is_sent_to_login(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_leader_sees_only_entries_of_units_in_their_subtree(client: Client, cast: Cast) -> None:
    sub_leader = factories.member(Role.LEADER, unit=cast.subdistrict, username="subleader")
    inside = [
        unit_entry(cast.subdistrict),
        unit_entry(cast.grid),
        unit_entry(cast.neighbour_community),
    ]
    outside = [unit_entry(cast.other_grid), unit_entry(cast.district)]
    no_unit = audit.record(actor=cast.grid_worker, action="accounts.login.succeeded")
    login_as(client, sub_leader)

    seen = set(ids_on(client.get(URL, {"action": "test.unit_event"})))
    everything = set(ids_on(client.get(URL)))

    assert seen == {entry.pk for entry in inside}
    assert not {entry.pk for entry in outside} & everything
    assert no_unit.pk not in everything
    expected = set(
        AuditEntry.objects.filter(unit__path__startswith=cast.subdistrict.path).values_list(
            "pk", flat=True
        )
    )
    assert everything == expected


def test_district_leader_sees_every_unit_but_no_entries_without_a_unit(
    client: Client, cast: Cast
) -> None:
    entries = [unit_entry(cast.other_grid), unit_entry(cast.grid), unit_entry(cast.district)]
    login = audit.record(actor=cast.grid_worker, action="accounts.login.succeeded")
    login_as(client, cast.leader)

    seen = ids_on(client.get(URL))

    assert {entry.pk for entry in entries} <= set(seen)
    assert login.pk not in seen
    assert not AuditEntry.objects.filter(pk__in=seen, unit__isnull=True).exists()


def test_administrator_also_sees_entries_without_a_unit(client: Client, cast: Cast) -> None:
    login = audit.record(actor=cast.grid_worker, action="accounts.login.succeeded")
    in_unit = unit_entry(cast.other_grid)
    login_as(client, cast.admin)

    seen = ids_on(client.get(URL))

    assert {login.pk, in_unit.pk} <= set(seen)


def test_entries_are_listed_newest_first(client: Client, cast: Cast) -> None:
    login_as(client, cast.admin)

    seen = ids_on(client.get(URL))

    assert seen == sorted(seen, reverse=True)


@pytest.fixture
def varied(cast: Cast) -> dict[str, AuditEntry]:
    return {
        "login_ok": audit.record(actor=cast.grid_worker, action="accounts.login.succeeded"),
        "login_bad": audit.record_failure(
            actor=None, actor_label="grid", action="accounts.login.failed"
        ),
        "unit_change": audit.record(
            actor=cast.admin, action="org.unit.updated", obj=cast.grid, unit=cast.grid
        ),
        "denied": audit.record_failure(
            actor=cast.outsider, action="residents.manage.denied", unit=cast.grid
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "accounts.login"}, {"login_ok", "login_bad"}),
        ({"action": "accounts.login.failed"}, {"login_bad"}),
        ({"action": "org."}, {"unit_change"}),
        ({"actor": "grid"}, {"login_ok", "login_bad"}),
        ({"actor": "outsider"}, {"denied"}),
        ({"outcome": "failure"}, {"login_bad", "denied"}),
        ({"actor": "grid", "outcome": "failure"}, {"login_bad"}),
    ],
)
def test_filters_narrow_the_list(
    client: Client,
    cast: Cast,
    varied: dict[str, AuditEntry],
    query: dict[str, str],
    expected: set[str],
) -> None:
    login_as(client, cast.admin)
    mine = {entry.pk: name for name, entry in varied.items()}

    seen = ids_on(client.get(URL, query))

    assert {mine[pk] for pk in seen if pk in mine} == expected
    for entry in AuditEntry.objects.filter(pk__in=seen):
        assert entry.action.startswith(query.get("action", ""))
        assert entry.actor_label == query.get("actor", entry.actor_label)
        assert entry.outcome == query.get("outcome", entry.outcome)


@pytest.fixture
def dated(cast: Cast) -> dict[str, AuditEntry]:
    """Entries either side of local (Asia/Shanghai) midnight."""
    moments = {
        "mar1_late": dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC),  # 23:30 on 1 March local
        "mar2_early": dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC),  # 00:30 on 2 March local
        "mar3": dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC),
    }
    entries = {}
    for name, moment in moments.items():
        with time_machine.travel(moment, tick=False):
            entries[name] = unit_entry(cast.grid, action="test.dated")
    return entries


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"date_to": "2026-03-01"}, {"mar1_late"}),
        ({"date_from": "2026-03-02"}, {"mar2_early", "mar3"}),
        ({"date_from": "2026-03-02", "date_to": "2026-03-02"}, {"mar2_early"}),
        ({"date_from": "2026-03-01", "date_to": "2026-03-03"}, {"mar1_late", "mar2_early", "mar3"}),
        ({"date_from": "2026-03-04", "date_to": "2026-03-05"}, set()),
    ],
)
def test_date_filters_use_whole_local_days(
    client: Client,
    cast: Cast,
    dated: dict[str, AuditEntry],
    query: dict[str, str],
    expected: set[str],
) -> None:
    login_as(client, cast.admin)
    names = {entry.pk: name for name, entry in dated.items()}

    seen = ids_on(client.get(URL, {"action": "test.dated", **query}))

    assert {names[pk] for pk in seen} == expected


def test_an_end_date_before_the_start_date_shows_an_error_and_no_entries(
    client: Client, cast: Cast, dated: dict[str, AuditEntry]
) -> None:
    login_as(client, cast.admin)

    response = client.get(URL, {"date_from": "2026-03-03", "date_to": "2026-03-01"})

    assert response.status_code == 200
    with translation.override("zh-hans"):
        message = translation.gettext("The end date is before the start date.")
    assert response.context["form"].errors == {"date_to": [message]}
    assert message in response.content.decode()
    assert list(response.context["entries"]) == []


def test_a_malformed_date_shows_an_error(client: Client, cast: Cast) -> None:
    login_as(client, cast.admin)

    response = client.get(URL, {"date_from": "yesterday"})

    assert response.status_code == 200
    assert "date_from" in response.context["form"].errors
    assert list(response.context["entries"]) == []


def test_long_lists_are_paged_by_id(client: Client, cast: Cast) -> None:
    entries = [unit_entry(cast.grid, action="test.paged") for _n in range(60)]
    newest_first = [entry.pk for entry in reversed(entries)]
    login_as(client, cast.admin)

    first = client.get(URL, {"action": "test.paged"})
    assert ids_on(first) == newest_first[:50]
    assert first.context["next_before"] == newest_first[49]
    assert f"action=test.paged&amp;before={newest_first[49]}" in first.content.decode()

    second = client.get(URL, {"action": "test.paged", "before": newest_first[49]})
    assert ids_on(second) == newest_first[50:]
    assert second.context["next_before"] is None


def make_entries(cast: Cast, count: int) -> None:
    units = [cast.grid, cast.community, cast.subdistrict, cast.other_grid, cast.district]
    actors: list[User] = [cast.admin, cast.grid_worker, cast.community_worker, cast.cadre]
    for n in range(count):
        audit.record(
            actor=actors[n % len(actors)],
            action="test.counted",
            obj=units[n % len(units)],
            unit=units[n % len(units)],
            changes={"name": ["a", "b"]},
        )


@pytest.mark.parametrize("reader", ["admin", "leader"])
def test_the_page_makes_the_same_number_of_queries_however_many_entries(
    client: Client,
    cast: Cast,
    reader: str,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    login_as(client, getattr(cast, reader))
    make_entries(cast, 5)
    client.get(URL)  # settle the session's first-request writes
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200

    make_entries(cast, 55)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(URL)

    assert len(response.context["entries"]) == 50


def test_resident_names_are_masked_in_the_list(client: Client, cast: Cast) -> None:
    household = factories.household(cast.grid, address="建设路8号2单元301")
    factories.resident(cast.grid, "张三丰", household=household)
    login_as(client, cast.admin)

    response = client.get(URL, {"action": "residents."})

    page = response.content.decode()
    assert response.status_code == 200
    assert {entry.object_repr for entry in response.context["entries"]} >= {"张三丰"}
    assert "张三丰" not in page
    assert "张**" in page
    assert "建设路8号2单元301" not in page
