"""Importing residents in the browser: a community worker downloads the template, uploads a
workbook with one bad row, sees the good rows imported and the bad one explained on the page,
downloads the report; a job still running is followed on its page until the report appears."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.steps import Snap, log_in, path_is, press
from tests.conftest import Cast
from tests.matters import factories as mf
from xinkan.residents.imports import columns, service
from xinkan.residents.models import Household, ImportJob, Resident

ID_A = mf.id_number("11010519491231002")
ID_B = mf.id_number("11010519520315001")
BAD_ID = ID_B[:-1] + ("0" if ID_B[-1] != "0" else "1")


def workbook(path: Path, grid_code: str) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append([column.header for column in columns.COLUMNS])
    sheet.append(
        [
            "H001",
            grid_code,
            "建设路1号1单元101室",
            "户主",
            "王秀英",
            "女",
            "",
            ID_A,
            "13800138000",
            "退休",
        ]
    )
    sheet.append(["H001", grid_code, "", "配偶", "李建国", "男", "", BAD_ID, "", "退休"])
    sheet.append(["H002", grid_code, "建设路2号", "户主", "张三", "", "", "", "", "个体"])
    book.save(path)
    return path


def test_a_workbook_with_a_bad_row_is_imported_and_the_row_explained(
    page: Page, live_server: LiveServer, cast: Cast, snap: Snap, tmp_path: Path
) -> None:
    log_in(page, "community")
    page.goto("/residents/")
    with page.expect_navigation():
        page.get_by_test_id("import-link").click()
    expect(page).to_have_url(path_is("/residents/import/"))
    form = page.get_by_test_id("import-form")
    expect(form).to_be_visible()
    snap(page, "import-page")

    with page.expect_download() as download:
        page.get_by_test_id("import-template").click()
    assert download.value.suggested_filename == "residents-template.xlsx"
    template = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    assert template.cell(row=2, column=2).value == cast.community.code

    form.locator("input[type=file]").set_input_files(
        workbook(tmp_path / "居民.xlsx", cast.grid.code)
    )
    press(page, form.locator("button[type=submit]"))

    # Without a broker the task ran before the redirect; the page shows the finished report.
    job = ImportJob.objects.get()
    expect(page).to_have_url(path_is(f"/residents/import/{job.pk}/"))
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "done")
    expect(progress.locator("[data-count=created]")).to_have_text("2")
    expect(progress.locator("[data-count=failed]")).to_have_text("1")
    failures = page.locator("#import-failures tbody tr")
    expect(failures).to_have_count(1)
    expect(failures.first).to_have_attribute("data-row", "3")
    expect(failures.first.locator("td").nth(1)).to_have_text("身份证号")
    expect(failures.first.locator("td").nth(3)).to_have_text(BAD_ID[:4] + "*" * 10 + BAD_ID[-4:])
    assert BAD_ID not in page.content()
    snap(page, "report")

    with page.expect_download() as download:
        page.get_by_test_id("import-report").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert [row[:2] for row in csv.reader(io.StringIO(text))][1:] == [["3", "身份证号"]]

    assert set(Resident.objects.values_list("name", flat=True)) == {"王秀英", "张三"}
    assert Household.objects.count() == 2

    page.goto("/residents/import/")
    expect(page.locator("#import-jobs tbody tr")).to_have_count(1)
    expect(page.locator("#import-jobs")).to_contain_text("居民.xlsx")


def test_the_page_of_a_running_import_follows_it_until_the_report(
    page: Page, live_server: LiveServer, cast: Cast, snap: Snap, tmp_path: Path
) -> None:
    # A job waiting for a worker (made directly, so that nothing runs it yet).
    content = workbook(tmp_path / "a.xlsx", cast.grid.code).read_bytes()
    job = ImportJob.objects.create(
        created_by=cast.community_worker,
        unit=cast.community,
        file_name="a.xlsx",
        content=content,
        language="zh-hans",
    )
    log_in(page, "community")
    page.goto(f"/residents/import/{job.pk}/")
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "queued")
    expect(page.locator("progress")).to_have_attribute("value", "0")
    snap(page, "waiting")

    service.run_job(job.pk)  # the worker picks it up; the page polls and shows the outcome
    expect(progress).to_have_attribute("data-status", "done")
    expect(page.locator("#import-failures tbody tr")).to_have_count(1)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    snap(page, "done")
