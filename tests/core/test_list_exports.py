"""Exports of the list pages (volunteers, pairings, open needs, households): the rows the page
shows for the reader — their scope and filters — personal numbers masked, formulas never
written, and every export audited with its count and format, never the values."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories
from tests.conftest import login_as
from xinkan.audit.models import AuditEntry
from xinkan.core.tables import safe_cell
from xinkan.residents import services as residents
from xinkan.volunteers import services as volunteers


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def data(cast):  # type: ignore[no-untyped-def]
    volunteers.register_volunteer(
        by=cast.community_worker,
        name="周敏",
        unit=cast.community,
        skills=["errands"],
        phone="13611112222",
    )
    volunteers.register_volunteer(
        by=cast.outsider,
        name="别处的志愿者",
        unit=cast.neighbour_community,
        skills=["errands"],
    )
    person = factories.resident(
        cast.grid, name="=HYPERLINK(1)", household=factories.household(cast.grid, code="DF-1")
    )
    residents.open_need(person, by=cast.community_worker, need_type="errands")
    return cast


def test_the_volunteers_export_masks_phones_and_keeps_to_scope(client, data):
    login_as(client, data.community_worker)
    response = client.get(reverse("volunteers:list") + "?export=csv")
    assert response["Cache-Control"] == "private, no-store"
    rows = csv_rows(response)
    assert len(rows) == 2 and rows[1][0] == "周敏"
    assert "13611112222" not in str(rows) and "136****2222" in rows[1]
    entry = AuditEntry.objects.get(action="volunteers.exported")
    assert entry.data["rows"] == 1 and entry.data["format"] == "csv"


def test_a_cell_a_spreadsheet_would_evaluate_is_quoted(client, data):
    login_as(client, data.community_worker)
    rows = csv_rows(client.get(reverse("residents:needs") + "?export=csv"))
    assert rows[1][0] == safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert AuditEntry.objects.filter(action="residents.needs_exported").count() == 1


def test_households_and_pairings_export_as_xlsx(client, data):
    login_as(client, data.community_worker)
    response = client.get(reverse("residents:households") + "?export=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][0] == "DF-1" and values[1][3] == "1"
    response = client.get(reverse("volunteers:pairings") + "?show=active&export=xlsx")
    assert response.status_code == 200
    assert AuditEntry.objects.get(action="volunteers.pairings_exported").data["filters"] == {
        "show": "active"
    }


def test_those_without_the_list_cannot_export_it(client, data):
    login_as(client, data.handler)
    assert client.get(reverse("volunteers:list") + "?export=csv").status_code == 403
    assert client.get(reverse("residents:households") + "?export=csv").status_code == 403
    assert not AuditEntry.objects.filter(action__endswith="exported").exists()
