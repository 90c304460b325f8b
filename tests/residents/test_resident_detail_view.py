"""A resident's page (/residents/<id>/): in scope only, 404 otherwise; every view and refusal audited."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import login_as
from tests.pages import text_of
from tests.scope import Probe, assert_scope
from xinkan.audit.models import AuditEntry, Outcome


@pytest.fixture
def resident(cast):
    household = factories.household(cast.grid, "建设路1号1单元101")
    head = factories.resident(cast.grid, "张东风", household=household, relation="户主")
    factories.resident(cast.grid, "张小东", household=household, relation="子女")
    return head


def resident_state(resident) -> tuple:
    resident.refresh_from_db()
    return (resident.name, resident.unit_id, resident.household_id, resident.updated_at)


def test_the_residents_area_may_open_the_page_and_others_may_not(cast, client, resident):
    assert_scope(
        client,
        Probe("get", f"/residents/{resident.pk}/"),
        allowed=[cast.grid_worker, cast.community_worker, cast.cadre, cast.leader],
        denied=[cast.outsider, cast.handler, cast.admin],
        state=lambda: resident_state(resident),
    )


def test_a_refusal_is_a_404_and_is_itself_audited(cast, client, resident):
    login_as(client, cast.outsider)
    response = client.get(f"/residents/{resident.pk}/")
    assert response.status_code == 404
    assert "张东风" not in response.content.decode()
    entry = AuditEntry.objects.get(action="residents.resident.view_denied")
    assert entry.actor == cast.outsider
    assert entry.outcome == Outcome.FAILURE
    assert entry.data == {"resident_id": resident.pk}
    assert not AuditEntry.objects.filter(action="residents.resident.viewed").exists()


def test_a_resident_that_does_not_exist_gets_the_same_answer(cast, client, resident):
    login_as(client, cast.community_worker)
    response = client.get("/residents/999999/")
    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        action="residents.resident.view_denied", actor=cast.community_worker
    ).exists()


def test_an_allowed_view_is_audited(cast, client, resident):
    login_as(client, cast.cadre)
    response = client.get(f"/residents/{resident.pk}/")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="residents.resident.viewed")
    assert entry.actor == cast.cadre
    assert entry.outcome == Outcome.SUCCESS
    assert (entry.object_type, entry.object_id) == ("residents.resident", str(resident.pk))
    assert entry.unit_id == cast.grid.pk


def test_each_view_is_a_separate_entry(cast, client, resident):
    login_as(client, cast.grid_worker)
    client.get(f"/residents/{resident.pk}/")
    client.get(f"/residents/{resident.pk}/")
    assert AuditEntry.objects.filter(action="residents.resident.viewed").count() == 2


def test_the_page_shows_the_household_and_its_other_members(cast, client, resident):
    login_as(client, cast.grid_worker)
    text = text_of(client.get(f"/residents/{resident.pk}/"))
    assert "张东风" in text
    assert "建设路1号1单元101" in text
    assert "张小东" in text
    assert cast.grid.name in text


def test_anonymous_visitors_are_sent_to_log_in_and_nothing_is_recorded(client, resident):
    entries = AuditEntry.objects.count()
    response = client.get(f"/residents/{resident.pk}/")
    assert response.status_code == 302
    assert AuditEntry.objects.count() == entries
