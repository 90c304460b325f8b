"""Export of the residents list (/residents/export/): the list's filters and scope, numbers masked
unless asked for in full by those permitted, sensitive categories only for those permitted,
audited without values, a bounded number of queries, capped."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests import factories
from tests.conftest import login_as
from tests.matters import factories as mf
from xinkan.audit.models import AuditEntry
from xinkan.residents import exports, services
from xinkan.residents.imports import service as import_service
from xinkan.residents.models import ColourCategory, ImportJob

URL = "/residents/export/"
ID_A = mf.id_number("11010519491231002")
ID_B = mf.id_number("11010519520315001")
MASKED_A = ID_A[:4] + "*" * 10 + ID_A[-4:]


@pytest.fixture
def people(cast):
    household = factories.household(cast.grid, code="H001", address="建设路1号")
    grid = factories.resident(
        cast.grid,
        "王秀英",
        household=household,
        relation="户主",
        id_number=ID_A,
        phone="13800138000",
        occupation="退休",
    )
    return {
        "grid": grid,
        "community": factories.resident(cast.community, "李建国", id_number=ID_B),
        "neighbour": factories.resident(cast.neighbour_grid, "张光明", phone="13900139000"),
        "other": factories.resident(cast.other_grid, "赵和平"),
    }


def export_csv(client, **data) -> list[dict[str, str]]:
    response = client.post(URL, {"format": "csv", **data})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def names(rows: list[dict[str, str]]) -> set[str]:
    return {row["姓名"] for row in rows}


def test_the_export_masks_id_numbers_and_phones_by_default(cast, client, people):
    login_as(client, cast.community_worker)
    rows = export_csv(client)
    head = next(row for row in rows if row["姓名"] == "王秀英")
    assert head["身份证号"] == MASKED_A and head["手机"] == "138****8000"
    assert (head["户号"], head["网格/社区编码"], head["与户主关系"], head["性别"]) == (
        "H001",
        cast.grid.code,
        "户主",
        "女",
    )
    assert head["出生日期"] == "1949-12-31" and head["职业"] == "退休"
    entry = AuditEntry.objects.get(action="residents.exported")
    assert entry.data["full_values"] is False


def test_full_numbers_only_for_those_permitted_who_ask_and_the_audit_says_so(cast, client, people):
    login_as(client, cast.community_worker)
    head = next(row for row in export_csv(client, full="1") if row["姓名"] == "王秀英")
    assert (head["身份证号"], head["手机"]) == (ID_A, "13800138000")
    entry = AuditEntry.objects.get(action="residents.exported")
    assert entry.data["full_values"] is True and entry.actor == cast.community_worker
    assert ID_A not in str(entry.data) and "13800138000" not in str(entry.data)

    for person in (cast.leader, factories.member("mediator", unit=cast.grid)):
        login_as(client, person)
        page = client.get(URL).content.decode()
        assert 'name="full"' not in page
        assert client.post(URL, {"format": "csv", "full": "1"}).status_code == 403
    assert AuditEntry.objects.filter(action="residents.exported").count() == 1


def test_each_reader_exports_the_residents_of_their_own_area(cast, client, people):
    expected = {
        cast.grid_worker: {"王秀英"},
        cast.community_worker: {"王秀英", "李建国"},
        cast.outsider: {"张光明"},
        cast.cadre: {"王秀英", "李建国", "张光明"},
        cast.leader: {"王秀英", "李建国", "张光明", "赵和平"},
    }
    for person, wanted in expected.items():
        login_as(client, person)
        assert names(export_csv(client)) == wanted, person.username
    for person in (cast.admin, cast.handler):
        login_as(client, person)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"format": "csv"}).status_code == 403


def test_the_lists_filters_apply_and_a_unit_outside_the_area_exports_nobody(cast, client, people):
    login_as(client, cast.cadre)
    assert names(export_csv(client, unit=cast.neighbour_community.pk)) == {"张光明"}
    assert names(export_csv(client, q="秀")) == {"王秀英"}
    assert names(export_csv(client, q=ID_A)) == set()  # numbers are never searched by name
    login_as(client, cast.outsider)
    assert names(export_csv(client, unit=cast.community.pk)) == set()
    entry = AuditEntry.objects.filter(action="residents.exported").first()
    assert entry is not None and entry.data["filters"] == {
        "unit": cast.community.pk,
        "colour": "",
        "name": False,
        "tag": False,
    }


def test_sensitive_categories_appear_only_for_those_permitted(cast, client, people):
    resident = people["grid"]
    for colour, reason in (("orange", "独自居住"), ("yellow", "纳入低保")):
        services.add_colour(
            resident,
            category=ColourCategory.objects.get(colour=colour),
            reason=reason,
            by=cast.community_worker,
        )
    login_as(client, cast.community_worker)
    head = next(row for row in export_csv(client) if row["姓名"] == "王秀英")
    assert head["类别"] == "独居老人；低保及困难家庭"
    login_as(client, cast.grid_worker)  # may see personal numbers, not sensitive categories
    assert export_csv(client)[0]["类别"] == "独居老人"
    assert export_csv(client, colour="yellow") == []
    assert names(export_csv(client, colour="orange")) == {"王秀英"}


def test_the_number_of_queries_does_not_grow_with_the_rows(cast, client, people):
    orange = ColourCategory.objects.get(colour="orange")

    def count_queries() -> int:
        login_as(client, cast.community_worker)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(URL, {"format": "csv", "full": "1"})
            b"".join(response.streaming_content)
        return len(queries)

    count_queries()  # the first request of a session also renews it
    few = count_queries()
    for n in range(30):
        extra = factories.resident(cast.grid, f"居民{n}", household=people["grid"].household)
        services.add_colour(extra, category=orange, reason="独自居住", by=cast.community_worker)
    assert count_queries() == few
    assert few <= 13  # session, user, scope, count, audit (lock, head, insert), rows, colours


def test_an_xlsx_export_keeps_numbers_as_text_and_never_writes_formulas(cast, client, people):
    factories.resident(cast.grid, '=HYPERLINK("http://x")', occupation="+1")
    login_as(client, cast.community_worker)
    response = client.post(URL, {"format": "xlsx", "full": "1"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="residents-')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == exports.headers()
    head = next(row for row in rows if row[5] == "王秀英")
    assert head[8] == ID_A and isinstance(head[8], str)
    assert head[9] == "13800138000"
    odd = next(row for row in rows if str(row[5]).startswith("'"))
    assert odd[5] == '\'=HYPERLINK("http://x")' and odd[10] == "'+1"


def test_a_full_export_can_be_imported_again_without_changes(cast, client, people):
    login_as(client, cast.community_worker)
    response = client.post(URL, {"format": "csv", "full": "1"})
    content = b"".join(response.streaming_content)
    job = import_service.start_import(
        by=cast.community_worker, unit=cast.community, file_name="export.csv", content=content
    )
    job = import_service.run_job(job.pk)
    assert isinstance(job, ImportJob)
    assert (job.created_count, job.updated_count, job.failed_count) == (0, 0, 0), job.report
    assert job.unchanged_count == 2


def test_a_list_longer_than_the_cap_is_not_exported(cast, client, people, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CAP", 1)
    login_as(client, cast.community_worker)
    page = client.get(URL, {"unit": cast.community.pk})
    assert 'role="alert"' in page.content.decode() and 'data-testid="export-form"' not in (
        page.content.decode()
    )
    response = client.post(URL, {"format": "csv", "unit": cast.community.pk})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?unit={cast.community.pk}"
    assert not AuditEntry.objects.filter(action="residents.exported").exists()
    assert len(export_csv(client, unit=cast.grid.pk)) == 1


def test_the_export_page_says_how_many_and_keeps_the_filters(cast, client, people):
    login_as(client, cast.community_worker)
    page = client.get(URL, {"q": "王", "unit": cast.grid.pk, "page": "3"}).content.decode()
    assert 'name="full"' in page
    assert '<input type="hidden" name="q" value="王">' in page
    assert f'<input type="hidden" name="unit" value="{cast.grid.pk}">' in page
    assert 'name="page"' not in page
    assert 'data-count="1"' in page
