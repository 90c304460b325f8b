"""Importing households and residents (imports/service.py): good rows are imported, bad rows
reported with their row number and why, re-imports update instead of duplicating, only within the
importer's area, from CSV (UTF-8, UTF-8 with BOM, GB18030) and .xlsx, audited without values."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from tests import factories
from tests.matters import factories as mf
from xinkan.audit.models import AuditEntry
from xinkan.audit.services import verify_chain
from xinkan.core.crypto import blind_index
from xinkan.residents.imports import columns, report, service
from xinkan.residents.models import Household, ImportJob, Resident

HEADER = ["户号", "网格/社区编码", "地址", "与户主关系", "姓名", "性别", "身份证号", "手机", "职业"]
GRID = "13990100100101"  # the cast's 东风里社区第一网格
NEIGHBOUR_GRID = "13990100100201"  # 光明社区第一网格: outside the community worker's area
ID_A = mf.id_number("11010519491231002")  # a woman born 1949-12-31
ID_B = mf.id_number("11010519520315001")  # a man born 1952-03-15
ID_C = mf.id_number("11010520100601002")  # a girl born 2010-06-01
ADDRESS = "建设路1号1单元101室"


def csv_bytes(
    rows: list[list[str]], *, encoding: str = "utf-8", header: list[str] = HEADER
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(by, content: bytes, *, unit, name: str = "residents.csv") -> ImportJob:
    """Upload and run at once (the test database never commits, so no on-commit queueing)."""
    job = service.start_import(by=by, unit=unit, file_name=name, content=content)
    finished = service.run_job(job.pk)
    assert finished is not None
    return finished


def problems(job: ImportJob) -> set[tuple[int, str]]:
    return {(item["row"], item["column"]) for item in job.report}


FAMILY = [
    ["H001", GRID, ADDRESS, "户主", "王秀英", "女", ID_A, "13800138000", "退休"],
    ["H001", GRID, "", "配偶", "李建国", "男", ID_B, "", "退休"],
    ["H001", GRID, "", "女", "李小红", "", ID_C, "", "学生"],
]


def test_good_rows_are_imported_and_bad_rows_reported_with_row_and_reason(cast):
    bad_check_digit = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")
    rows = [
        *FAMILY,
        ["H002", GRID, "建设路2号", "户主", "", "男", "", "", ""],  # row 5: no name
        ["H002", GRID, "建设路2号", "户主", "赵四", "", bad_check_digit, "", ""],  # 6
        ["H003", "NO-SUCH-UNIT", "建设路3号", "户主", "钱五", "", "", "", ""],  # 7
        ["H004", GRID, "建设路4号", "户主", "孙六", "", "", "12345", ""],  # 8: phone too short
        [
            "H005",
            GRID,
            "建设路5号",
            "户主",
            "周七",
            "男",
            mf.id_number("11010519800101002"),
            "",
            "",
        ],
        ["", GRID, "", "", "吴八", "", "", "", "个体"],  # 10: no household: fine
        ["H006", GRID, "", "户主", "郑九", "", "", "", ""],  # 11: a new household without address
    ]
    job = run(cast.community_worker, csv_bytes(rows), unit=cast.community)

    assert (job.status, job.error) == (ImportJob.Status.DONE, "")
    assert (job.created_count, job.updated_count, job.failed_count) == (4, 0, 6)
    assert problems(job) == {
        (5, "name"),
        (6, "id_number"),
        (7, "unit"),
        (8, "phone"),
        (9, "gender"),  # 女 by the ID number, 男 in the column
        (11, "household"),
    }
    assert set(Resident.objects.values_list("name", flat=True)) == {
        "王秀英",
        "李建国",
        "李小红",
        "吴八",
    }
    household = Household.objects.get(code="H001")
    assert (household.unit, household.address) == (cast.grid, ADDRESS)
    head = Resident.objects.get(name="王秀英")
    assert (head.household, head.relation, head.gender, head.birth_date) == (
        household,
        "户主",
        "female",
        dt.date(1949, 12, 31),
    )
    assert (head.id_number, head.phone, head.occupation) == (ID_A, "13800138000", "退休")
    assert Resident.objects.get(name="李建国").address == ADDRESS  # the household's address
    assert Resident.objects.get(name="吴八").household is None


def test_reasons_are_short_sentences_with_masked_values(cast):
    bad = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")
    with translation.override("en"):
        job = run(
            cast.community_worker,
            csv_bytes([["H1", GRID, ADDRESS, "", "赵四", "", bad, "138 00", ""]]),
            unit=cast.community,
        )
    by_column = {item["column"]: item for item in job.report}
    assert by_column["id_number"]["message"] == (
        "The ID number's last character does not match; check for a typo."
    )
    assert by_column["id_number"]["value"] == bad[:4] + "*" * 10 + bad[-4:]
    assert by_column["phone"]["message"] == "A phone number has 7 to 15 digits."
    assert job.language == "en"
    assert bad not in str(job.report) and bad not in report.report_csv(job).decode("utf-8")


def test_reimporting_the_same_file_updates_instead_of_duplicating(cast):
    content = csv_bytes(FAMILY)
    first = run(cast.community_worker, content, unit=cast.community)
    assert first.created_count == 3
    again = run(cast.community_worker, content, unit=cast.community)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert Resident.objects.count() == 3 and Household.objects.count() == 1

    changed = [row.copy() for row in FAMILY]
    changed[0][8] = "社区志愿者"
    changed[1][7] = "13900139000"
    changed[0][2] = "建设路1号1单元102室"  # the household moved flat
    third = run(cast.community_worker, csv_bytes(changed), unit=cast.community)
    assert (third.created_count, third.updated_count, third.unchanged_count) == (0, 3, 0)
    assert Resident.objects.count() == 3
    assert Resident.objects.get(name="王秀英").occupation == "社区志愿者"
    assert Resident.objects.get(name="李建国").phone == "13900139000"
    assert Household.objects.get().address == "建设路1号1单元102室"
    # Members who lived at the household's address moved with it.
    assert set(Resident.objects.values_list("address", flat=True)) == {"建设路1号1单元102室"}


def test_an_empty_cell_leaves_the_stored_value_and_a_masked_export_matches_by_name(cast):
    run(cast.community_worker, csv_bytes(FAMILY), unit=cast.community)
    masked = [
        ["H001", GRID, "", "户主", "王秀英", "", ID_A[:4] + "*" * 10 + ID_A[-4:], "138****8000", ""]
    ]
    job = run(cast.community_worker, csv_bytes(masked), unit=cast.community)
    assert (job.updated_count, job.unchanged_count, job.failed_count) == (0, 1, 0)
    head = Resident.objects.get(name="王秀英")
    assert (head.id_number, head.phone, head.occupation) == (ID_A, "13800138000", "退休")


def test_rows_without_an_id_number_match_by_name_within_the_household(cast):
    rows = [["H001", GRID, ADDRESS, "户主", "王秀英", "女", "", "", "退休"]]
    run(cast.community_worker, csv_bytes(rows), unit=cast.community)
    rows[0][8] = "社区志愿者"
    job = run(cast.community_worker, csv_bytes(rows), unit=cast.community)
    assert (job.created_count, job.updated_count) == (0, 1)
    assert Resident.objects.get().occupation == "社区志愿者"

    # Later the ID number becomes known: the same person gets it, nobody is added.
    rows[0][6] = ID_A
    job = run(cast.community_worker, csv_bytes(rows), unit=cast.community)
    assert (job.created_count, job.updated_count) == (0, 1)
    assert Resident.objects.get().id_number == ID_A


def test_without_a_household_the_name_is_matched_within_the_unit(cast):
    rows = [["", GRID, "", "", "吴八", "", "", "", "个体"]]
    run(cast.community_worker, csv_bytes(rows), unit=cast.community)
    job = run(cast.community_worker, csv_bytes(rows), unit=cast.community)
    assert (job.created_count, job.unchanged_count) == (0, 1)


def test_two_people_of_one_name_without_id_numbers_are_refused_as_ambiguous(cast):
    household = factories.household(cast.grid, code="H001")
    factories.resident(cast.grid, "王芳", household=household)
    factories.resident(cast.grid, "王芳", household=household)
    job = run(
        cast.community_worker,
        csv_bytes([["H001", GRID, "", "", "王芳", "", "", "", "教师"]]),
        unit=cast.community,
    )
    assert problems(job) == {(2, "name")}
    assert not Resident.objects.filter(occupation="教师").exists()


def test_the_same_id_number_twice_in_a_file_is_refused_the_second_time(cast):
    rows = [
        ["H001", GRID, ADDRESS, "户主", "王秀英", "", ID_A, "", ""],
        ["H002", GRID, "建设路2号", "户主", "王秀英", "", ID_A.lower(), "", ""],
        ["H003", GRID, "建设路3号", "户主", "张三", "", "", "", ""],
        ["H003", GRID, "", "", "张三", "", "", "", ""],
    ]
    with translation.override("en"):
        job = run(cast.community_worker, csv_bytes(rows), unit=cast.community)
    assert problems(job) == {(3, "id_number"), (5, "name")}
    assert {item["message"] for item in job.report} == {
        "The same person is in row 2.",
        "The same person is in row 4.",
    }
    assert Resident.objects.count() == 2


def test_a_duplicate_is_found_across_batches(cast, monkeypatch):
    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    rows = [
        *FAMILY,
        ["H009", GRID, "建设路9号", "户主", "王秀英", "", ID_A, "", ""],
    ]
    job = run(cast.community_worker, csv_bytes(rows), unit=cast.community)
    assert problems(job) == {(5, "id_number")}
    # The household of rows 2-4 spans two batches and is made once.
    assert Household.objects.filter(code="H001").count() == 1
    assert Resident.objects.filter(household__code="H001").count() == 3


def test_rows_of_units_outside_the_importers_area_are_refused(cast):
    rows = [
        ["H001", GRID, ADDRESS, "户主", "王秀英", "", ID_A, "", ""],
        ["H002", NEIGHBOUR_GRID, "光明路2号", "户主", "李建国", "", ID_B, "", ""],
    ]
    job = run(cast.community_worker, csv_bytes(rows), unit=cast.community)
    assert problems(job) == {(3, "unit")}
    assert list(Resident.objects.values_list("name", flat=True)) == ["王秀英"]


def test_people_and_households_registered_outside_the_area_are_not_touched(cast):
    elsewhere = factories.household(cast.neighbour_grid, code="H777", address="光明路7号")
    factories.resident(cast.neighbour_grid, "李建国", id_number=ID_B, occupation="司机")
    rows = [
        ["H777", GRID, "", "", "王秀英", "", ID_A, "", ""],
        ["H001", GRID, ADDRESS, "", "李建国", "", ID_B, "", "厨师"],
    ]
    job = run(cast.community_worker, csv_bytes(rows), unit=cast.community)
    assert problems(job) == {(2, "household"), (3, "id_number")}
    assert Resident.objects.get(name="李建国").occupation == "司机"
    elsewhere.refresh_from_db()
    assert (elsewhere.unit, elsewhere.address) == (cast.neighbour_grid, "光明路7号")
    assert not Resident.objects.filter(name="王秀英").exists()


def test_only_those_who_manage_residents_of_the_unit_may_import(cast):
    content = csv_bytes(FAMILY)
    for person in (cast.outsider, cast.leader, cast.admin):
        with pytest.raises(PermissionDenied):
            service.start_import(by=person, unit=cast.community, file_name="a.csv", content=content)
    assert not ImportJob.objects.exists()
    assert AuditEntry.objects.filter(action="residents.import.denied").count() == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030(cast, encoding):
    job = run(cast.community_worker, csv_bytes(FAMILY, encoding=encoding), unit=cast.community)
    assert (job.created_count, job.failed_count) == (3, 0)
    assert Household.objects.get().address == ADDRESS
    assert set(Resident.objects.values_list("name", flat=True)) == {"王秀英", "李建国", "李小红"}


def test_english_headers_and_header_marks_are_understood(cast):
    header = ["Household", "Unit code", "Address", "Relation", "Name*", "Gender", "ID number"]
    header += ["Phone", "Occupation（选填）"]
    job = run(cast.community_worker, csv_bytes(FAMILY, header=header), unit=cast.community)
    assert (job.created_count, job.failed_count) == (3, 0)


def test_an_xlsx_workbook_with_numbers_and_dates_as_cells(cast):
    rows: list[list[object]] = [
        ["H001", int(GRID), ADDRESS, "户主", "王秀英", "女", ID_A, 13800138000, "退休"],
        ["H001", GRID, None, "子", "李明", "男", None, None, None],
    ]
    header = [*HEADER, "出生日期"]
    rows[1].append(dt.datetime(1975, 5, 6))
    job = run(cast.community_worker, xlsx_bytes(rows, header), unit=cast.community, name="a.xlsx")
    assert (job.created_count, job.failed_count) == (2, 0), job.report
    assert Resident.objects.get(name="王秀英").phone == "13800138000"
    assert Resident.objects.get(name="李明").birth_date == dt.date(1975, 5, 6)


def test_the_template_is_imported_as_it_comes(cast):
    content = columns.template_workbook(GRID)
    workbook = load_workbook(io.BytesIO(content))
    assert [c.value for c in workbook.worksheets[0][1]][:2] == ["户号", "网格/社区编码*"]
    job = run(cast.community_worker, content, unit=cast.community, name="template.xlsx")
    assert (job.created_count, job.failed_count) == (1, 0), job.report


def test_a_file_that_cannot_be_read_fails_the_job_with_the_reason(cast):
    job = run(
        cast.community_worker, csv_bytes(FAMILY, header=["姓名", "地址"]), unit=cast.community
    )
    assert job.status == ImportJob.Status.FAILED and "网格/社区编码" in job.error
    job = run(
        cast.community_worker, b"PK\x03\x04 not a workbook", unit=cast.community, name="x.xlsx"
    )
    assert job.status == ImportJob.Status.FAILED and job.error
    job = run(cast.community_worker, b"\xff\xfe\x00\xd8\x00", unit=cast.community)
    assert job.status == ImportJob.Status.FAILED and job.error
    assert not Resident.objects.exists()
    assert AuditEntry.objects.filter(action="residents.import.failed").count() == 3


def test_the_database_column_does_not_hold_the_id_number_or_phone(cast):
    run(cast.community_worker, csv_bytes(FAMILY), unit=cast.community)
    head = Resident.objects.get(name="王秀英")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, id_number_index FROM residents_resident WHERE id = %s",
            [head.pk],
        )
        raw_id, raw_phone, index = cursor.fetchone()
    assert ID_A not in raw_id and ID_A[-6:] not in raw_id and "13800138000" not in raw_phone
    assert index == blind_index(ID_A, "resident.id_number")


def test_the_job_keeps_its_progress_and_drops_the_upload(cast, monkeypatch):
    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    job = service.start_import(
        by=cast.community_worker,
        unit=cast.community,
        file_name="c:/tmp/家.csv",
        content=csv_bytes([*FAMILY, [""] * 9]),
    )
    assert (job.status, job.file_name, job.total_rows) == (ImportJob.Status.QUEUED, "家.csv", None)
    seen: list[tuple[str, int, int | None]] = []
    finished = service.run_job(
        job.pk, progress=lambda j: seen.append((j.status, j.processed_rows, j.total_rows))
    )
    assert finished is not None
    assert seen == [("running", 2, 4), ("done", 4, 4)]
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows, job.percent) == ("done", 4, 4, 100)
    assert (job.created_count, job.updated_count, job.failed_count) == (3, 0, 0)
    assert job.content is None
    assert job.started_at <= job.finished_at
    assert service.run_job(job.pk) is None  # a finished job is not run again


def test_each_resident_and_the_whole_import_are_audited_without_values(cast):
    job = run(cast.community_worker, csv_bytes(FAMILY), unit=cast.community)
    created = AuditEntry.objects.filter(action="residents.resident.created")
    assert created.count() == 3
    assert {e.data["import"] for e in created} == {job.pk}
    summary = AuditEntry.objects.get(action="residents.import.finished")
    assert summary.data == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    assert summary.unit == cast.community

    changed = [row.copy() for row in FAMILY]
    changed[0][7] = "13900139000"
    run(cast.community_worker, csv_bytes(changed), unit=cast.community)
    updated = AuditEntry.objects.get(action="residents.resident.updated")
    assert updated.data == {"import": job.pk + 1, "fields": ["phone"]}
    everything = str(list(AuditEntry.objects.values_list("data", "changes", "object_repr")))
    for value in (ID_A, ID_B, "13800138000", "13900139000"):
        assert value not in everything
    assert verify_chain().ok


def test_the_report_csv_lists_failed_rows_with_masked_values(cast):
    rows = [["H1", GRID, ADDRESS, "", "赵四", "", ID_A[:-1] + "Y", "138", ""]]
    job = run(cast.community_worker, csv_bytes(rows), unit=cast.community)
    text = report.report_csv(job).decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [line[:2] for line in lines[1:]] == [["2", "身份证号"], ["2", "手机"]]
    assert ID_A[:-1] not in text


def test_the_command_imports_a_file_and_prints_progress_and_failures(cast, tmp_path: Path):
    path = tmp_path / "居民.csv"
    path.write_bytes(csv_bytes([*FAMILY, ["H2", "NOPE", "x", "", "钱五", "", "", "", ""]]))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_residents",
        str(path),
        unit=cast.community.code,
        user="community",
        stdout=out,
        stderr=err,
    )
    assert "rows/s" in err.getvalue() and "100%" in err.getvalue()
    assert "created 3" in out.getvalue() and "failed 1" in out.getvalue()
    assert "row 5 · 网格/社区编码" in out.getvalue()
    assert Resident.objects.count() == 3
    job = ImportJob.objects.get()
    assert (job.file_name, job.content, job.created_by) == ("居民.csv", None, cast.community_worker)


def test_the_command_refuses_a_user_who_may_not_import_there(cast, tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(FAMILY))
    with pytest.raises(CommandError):
        call_command("import_residents", str(path), unit=cast.community.code, user="outsider")
    with pytest.raises(CommandError):
        call_command("import_residents", str(tmp_path / "none.csv"), unit="x", user="community")
    assert not Resident.objects.exists()


def test_a_job_left_running_by_a_dead_worker_is_taken_again_a_live_one_is_not(cast):
    job = service.start_import(
        by=cast.community_worker, unit=cast.community, file_name="a.csv", content=csv_bytes(FAMILY)
    )
    recently = timezone.now() - dt.timedelta(minutes=1)
    ImportJob.objects.filter(pk=job.pk).update(status="running", progress_at=recently)
    assert service.run_job(job.pk) is None
    long_ago = timezone.now() - service.STALE_AFTER - dt.timedelta(minutes=1)
    ImportJob.objects.filter(pk=job.pk).update(progress_at=long_ago)
    finished = service.run_job(job.pk)
    assert finished is not None and (finished.status, finished.created_count) == ("done", 3)


def test_a_batch_that_meets_a_concurrent_registration_is_retried_row_by_row(cast, monkeypatch):
    plan = service.Importer._plan

    def plan_then_someone_registers(self, rows):  # type: ignore[no-untyped-def]
        planned = plan(self, rows)
        if len(rows) > 1 and not Resident.objects.exists():
            factories.resident(cast.grid, "王秀英", id_number=ID_A)  # meanwhile, by hand
        return planned

    monkeypatch.setattr(service.Importer, "_plan", plan_then_someone_registers)
    job = run(cast.community_worker, csv_bytes(FAMILY), unit=cast.community)
    assert (job.created_count, job.updated_count, job.failed_count) == (2, 1, 0)
    assert Resident.objects.count() == 3
    assert Resident.objects.get(id_number_index=blind_index(ID_A, "resident.id_number")).household
