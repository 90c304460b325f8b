"""The import pages: /residents/import/ (upload and one's recent jobs), /residents/import/<id>/
(progress, polled with htmx, then the report), the report as CSV, and the template."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.conftest import login_as
from tests.residents.test_import import FAMILY, GRID, ID_A, csv_bytes
from tests.scope import Probe, assert_scope
from xinkan.residents.imports import service
from xinkan.residents.models import ImportJob, Resident

URL = "/residents/import/"
BAD_ID = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")
ROWS = [*FAMILY, ["H002", GRID, "建设路2号", "户主", "赵四", "", BAD_ID, "", ""]]


def upload(client, content: bytes, *, unit, name: str = "居民.csv"):
    return client.post(
        URL, {"unit": unit.pk, "file": SimpleUploadedFile(name, content, "text/csv")}
    )


def failed_rows(response) -> list[str]:
    return re.findall(r'<tr data-row="(\d+)">', response.content.decode())


def test_only_those_who_manage_residents_open_the_import_pages(cast, client):
    for url in (URL, f"{URL}template.xlsx"):
        assert_scope(
            client,
            Probe("get", url),
            allowed=[cast.grid_worker, cast.community_worker, cast.outsider],
            denied=[cast.cadre, cast.leader, cast.admin, cast.handler],
        )


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_upload_is_queued_and_its_page_polls_until_the_report_shows(
    cast, client, django_capture_on_commit_callbacks
):
    login_as(client, cast.community_worker)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_bytes(ROWS), unit=cast.community)
        job = ImportJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/residents/import/{job.pk}/"
        queued = client.get(response["Location"])
        page = queued.content.decode()
        assert 'data-status="queued"' in page
        assert f'hx-get="/residents/import/{job.pk}/"' in page and 'hx-trigger="every 1s"' in page
        assert "<progress" in page

    # The task ran once the upload was committed (eagerly here, by a worker in production).
    job.refresh_from_db()
    assert (job.status, job.created_count, job.failed_count) == ("done", 3, 1)
    poll = client.get(f"/residents/import/{job.pk}/", HTTP_HX_REQUEST="true")
    fragment = poll.content.decode()
    assert fragment.lstrip().startswith('<section id="import-progress"')
    assert "<html" not in fragment and "hx-trigger" not in fragment
    assert 'data-status="done"' in fragment
    assert failed_rows(poll) == ["5"]
    assert BAD_ID not in fragment and BAD_ID[:4] + "*" * 10 + BAD_ID[-4:] in fragment
    assert f'href="/residents/import/{job.pk}/report.csv"' in fragment
    assert Resident.objects.count() == 3


def test_the_report_downloads_as_csv_with_masked_values(cast, client):
    job = service.start_import(
        by=cast.community_worker, unit=cast.community, file_name="a.csv", content=csv_bytes(ROWS)
    )
    service.run_job(job.pk)
    login_as(client, cast.community_worker)
    response = client.get(f"/residents/import/{job.pk}/report.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    text = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert [line[:2] for line in lines[1:]] == [["5", "身份证号"]]
    assert BAD_ID not in text


def test_a_job_is_seen_only_by_the_person_who_uploaded_it(cast, client):
    job = service.start_import(
        by=cast.community_worker, unit=cast.community, file_name="a.csv", content=csv_bytes(ROWS)
    )
    service.run_job(job.pk)
    for url in (f"{URL}{job.pk}/", f"{URL}{job.pk}/report.csv"):
        assert_scope(
            client,
            Probe("get", url),
            allowed=[cast.community_worker],
            denied=[cast.grid_worker, cast.outsider, cast.leader, cast.admin],
        )
    login_as(client, cast.community_worker)
    assert client.get(f"{URL}{job.pk + 1}/").status_code == 404


def test_the_import_page_lists_ones_own_recent_jobs(cast, client):
    mine = service.start_import(
        by=cast.community_worker, unit=cast.community, file_name="mine.csv", content=b"x"
    )
    service.start_import(
        by=cast.outsider, unit=cast.neighbour_community, file_name="theirs.csv", content=b"x"
    )
    login_as(client, cast.community_worker)
    page = client.get(URL).content.decode()
    assert f'href="/residents/import/{mine.pk}/"' in page
    assert "mine.csv" in page and "theirs.csv" not in page


@pytest.mark.parametrize("name", ["residents.txt", "residents.xls", "residents"])
def test_a_file_of_another_type_is_refused(cast, client, name):
    login_as(client, cast.community_worker)
    response = upload(client, csv_bytes(ROWS), unit=cast.community, name=name)
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_too_large_for_the_web_is_refused(cast, client, monkeypatch):
    monkeypatch.setattr(service, "MAX_UPLOAD_BYTES", 100)
    login_as(client, cast.community_worker)
    response = upload(client, csv_bytes(ROWS), unit=cast.community)
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_unit_must_be_one_the_uploader_manages(cast, client):
    login_as(client, cast.community_worker)
    for unit in (cast.neighbour_community, cast.district):
        response = upload(client, csv_bytes(ROWS), unit=unit)
        assert response.status_code == 200
    assert not ImportJob.objects.exists()


def test_those_who_may_not_import_cannot_upload(cast, client):
    for person in (cast.cadre, cast.leader, cast.admin):
        login_as(client, person)
        assert upload(client, csv_bytes(ROWS), unit=cast.community).status_code == 403
    assert not ImportJob.objects.exists() and not Resident.objects.exists()


def test_the_template_is_a_workbook_with_the_headers_and_an_example_of_ones_unit(cast, client):
    login_as(client, cast.grid_worker)
    response = client.get(f"{URL}template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header, example = ([cell.value for cell in row] for row in sheet.iter_rows(max_row=2))
    assert header[:5] == ["户号", "网格/社区编码*", "地址", "与户主关系", "姓名*"]
    assert example[1] == cast.grid.code


def test_the_residents_list_links_to_import_for_managers_and_to_export_with_its_filters(
    cast, client
):
    login_as(client, cast.community_worker)
    page = client.get("/residents/", {"q": "王", "unit": cast.grid.pk}).content.decode()
    assert 'href="/residents/import/"' in page
    assert f'href="/residents/export/?q=%E7%8E%8B&amp;unit={cast.grid.pk}"' in page
    login_as(client, cast.leader)
    page = client.get("/residents/").content.decode()
    assert 'href="/residents/import/"' not in page and 'href="/residents/export/"' in page
