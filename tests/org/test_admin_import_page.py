"""The unit-tree import page of the administration (/admin/org/unit/import/)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.org.spreadsheets import CHINESE_HEADERS, csv_bytes, upload
from tests.pages import has_chinese, in_english, text_of
from xinkan.audit.models import AuditEntry
from xinkan.org.models import Unit

URL = "/admin/org/unit/import/"


def tree_state() -> list[tuple]:
    return list(Unit.objects.order_by("pk").values_list("pk", "code", "name", "parent_id", "path"))


def error_rows(response) -> list[str]:
    """Row numbers in the errors table, as shown."""
    table = re.search(r'<table id="import-errors">(.*?)</table>', response.content.decode(), re.S)
    assert table, "no errors table"
    return re.findall(r"<tr><td>([^<]*)</td>", table.group(1))


@pytest.fixture
def admin_client(cast, login):
    return login(cast.admin)


def rows_under(cast) -> list[list[str]]:
    return [
        ["139901003", "新华街道", "街道", cast.district.code],
        ["139901003001", "新华社区", "社区", "139901003"],
        ["13990100300101", "新华社区第一网格", "网格", "139901003001"],
    ]


def test_the_page_offers_the_upload_form(cast, admin_client):
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()
    # And the unit list links to it.
    assert URL in admin_client.get("/admin/org/unit/").content.decode()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_upload_imports_the_units_and_says_how_many(cast, admin_client, kind):
    in_english(admin_client)
    response = admin_client.post(URL, {"file": upload(kind, CHINESE_HEADERS, rows_under(cast))})

    assert response.status_code == 200
    assert "Imported: 3 created, 0 updated, 0 unchanged." in text_of(response)
    grid = Unit.objects.get(code="13990100300101")
    assert grid.path.startswith(cast.district.path)
    assert AuditEntry.objects.filter(action="org.unit.created", actor=cast.admin).count() == 3


def test_a_bad_file_shows_each_row_to_fix_and_imports_nothing(cast, admin_client):
    rows = [
        *rows_under(cast),
        ["B1", "未知层级", "县级市", cast.district.code],  # row 5
        ["B2", "孤儿社区", "社区", "NOPE"],  # row 6
    ]
    before, entries = tree_state(), AuditEntry.objects.count()
    response = admin_client.post(URL, {"file": upload("csv", CHINESE_HEADERS, rows)})

    assert response.status_code == 200
    assert error_rows(response) == ["5", "6"]
    assert has_chinese(text_of(response))  # the page speaks Chinese by default
    assert tree_state() == before
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("单位.txt", csv_bytes(CHINESE_HEADERS, [["1", "甲区", "区", ""]])),
        ("单位.xls", b"\xd0\xcf\x11\xe0old excel"),
    ],
    ids=["text file", "old excel"],
)
def test_files_other_than_xlsx_or_csv_are_refused(cast, admin_client, name, content):
    before = tree_state()
    in_english(admin_client)
    response = admin_client.post(URL, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Upload a .xlsx or .csv file."]
    assert tree_state() == before


def test_an_unreadable_workbook_is_a_form_error(cast, admin_client):
    before = tree_state()
    response = admin_client.post(URL, {"file": SimpleUploadedFile("单位.xlsx", b"garbage")})
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert tree_state() == before


def test_posting_without_a_file_asks_for_one(cast, admin_client):
    response = admin_client.post(URL, {"csrfmiddlewaretoken": "x"})
    assert response.status_code == 200
    assert "file" in response.context["form"].errors


def test_a_top_level_row_is_reported_not_refused_with_a_server_error(cast, admin_client):
    rows = [["139909", "新区", "区", ""]]
    before = tree_state()
    response = admin_client.post(URL, {"file": upload("csv", CHINESE_HEADERS, rows)})
    assert response.status_code == 200
    assert error_rows(response) == ["2"]
    assert tree_state() == before
