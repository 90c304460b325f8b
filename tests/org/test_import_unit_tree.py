"""org.importing: reading .csv/.xlsx unit trees, checking every row, writing all or nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext

from tests import factories
from tests.org.spreadsheets import (
    CHINESE_HEADERS,
    ENGLISH_HEADERS,
    NEW_DISTRICT_ROWS,
    csv_bytes,
    in_english,
    upload,
)
from tests.pages import has_chinese
from xinkan.audit.models import AuditEntry
from xinkan.org import importing
from xinkan.org.models import Level, Unit


def run_import(file: SimpleUploadedFile, by=None) -> importing.ImportReport:
    file.seek(0)
    return importing.import_unit_tree(importing.read_rows(file.name, file), by=by)


def tree_state() -> list[tuple]:
    return list(
        Unit.objects.order_by("pk").values_list(
            "pk", "code", "name", "level", "rural", "parent_id", "path", "depth"
        )
    )


FORMATS = [
    pytest.param("csv", CHINESE_HEADERS, NEW_DISTRICT_ROWS, id="csv-chinese-headers"),
    pytest.param("xlsx", CHINESE_HEADERS, NEW_DISTRICT_ROWS, id="xlsx-chinese-headers"),
    pytest.param("csv", ENGLISH_HEADERS, in_english(NEW_DISTRICT_ROWS), id="csv-english-headers"),
    pytest.param("xlsx", ENGLISH_HEADERS, in_english(NEW_DISTRICT_ROWS), id="xlsx-english-headers"),
]


@pytest.mark.parametrize(("kind", "headers", "rows"), FORMATS)
def test_a_spreadsheet_creates_the_whole_tree(db, kind, headers, rows):
    report = run_import(upload(kind, headers, rows))

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (9, 0, 0)
    units = {unit.code: unit for unit in Unit.objects.all()}
    district = units["139903"]
    assert district.parent is None
    assert district.level == Level.DISTRICT
    assert units["139903001"].parent == district
    assert units["139903101"].level == Level.SUBDISTRICT
    assert units["139903101"].rural
    assert units["139903101001"].level == Level.COMMUNITY
    assert units["139903101001"].rural
    assert units["139903001001"].rural is False
    assert units["13990300100101"].parent == units["139903001001"]
    assert units["13990310100101"].level == Level.GRID
    # Every path is its parent's path plus its own id.
    for unit in units.values():
        expected = (unit.parent.path if unit.parent else "") + f"{unit.pk:08d}/"
        assert unit.path == expected
    assert set(
        Unit.objects.filter(path__startswith=units["139903101"].path).values_list("code", flat=True)
    ) == {"139903101", "139903101001", "139903101002", "13990310100101"}
    assert AuditEntry.objects.filter(action="org.unit.created").count() == 9


@pytest.mark.parametrize(("kind", "headers", "rows"), FORMATS[:2])
def test_importing_the_same_file_again_creates_nothing(db, kind, headers, rows):
    run_import(upload(kind, headers, rows))
    before, entries = tree_state(), AuditEntry.objects.count()

    report = run_import(upload(kind, headers, rows))

    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (0, 0, 9)
    assert tree_state() == before
    assert AuditEntry.objects.count() == entries


def test_a_changed_name_updates_the_unit_by_its_code(db):
    run_import(upload("csv", CHINESE_HEADERS, NEW_DISTRICT_ROWS))
    renamed = [
        [code, "柳树镇" if code == "139903101" else name, level, parent]
        for code, name, level, parent in NEW_DISTRICT_ROWS
    ]
    report = run_import(upload("csv", CHINESE_HEADERS, renamed))

    assert (report.created, report.updated, report.unchanged) == (0, 1, 8)
    town = Unit.objects.get(code="139903101")
    assert town.name == "柳树镇"
    entry = AuditEntry.objects.get(action="org.unit.updated", object_id=str(town.pk))
    assert entry.changes == {"name": ["柳镇", "柳树镇"]}
    assert Unit.objects.count() == 9


def test_a_changed_parent_moves_the_unit_and_its_subtree(cast):
    rows = [[cast.neighbour_community.code, "光明社区", "社区", cast.other_subdistrict.code]]
    report = run_import(upload("csv", CHINESE_HEADERS, rows))

    assert (report.created, report.updated) == (0, 1)
    grid = Unit.objects.get(pk=cast.neighbour_grid.pk)
    assert grid.path.startswith(cast.other_subdistrict.path)
    assert grid.depth == 3


BAD_ROWS = [
    ["139903", "清水区", "区", ""],  # row 2: fine
    ["B1", "未知层级", "县级市", "139903"],  # row 3: unknown level
    ["B2", "孤儿社区", "社区", "NOPE"],  # row 4: parent nowhere
    ["139903", "重复区", "区", ""],  # row 5: duplicate of row 2
    ["B3", "倒挂街道", "街道", "B4"],  # row 6: a subdistrict under a community
    ["B4", "某社区", "社区", "139903"],  # row 7: fine
    ["L1", "环甲", "社区", "L2"],  # row 8: a loop (and a community under a grid)
    ["L2", "环乙", "网格", "L1"],  # row 9: the same loop
]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_every_bad_row_is_reported_in_chinese_and_nothing_is_written(cast, kind):
    before, entries = tree_state(), AuditEntry.objects.count()
    with translation.override("zh-hans"):
        report = run_import(upload(kind, CHINESE_HEADERS, BAD_ROWS))
        expected = {
            3: gettext("unknown level “%(level)s”") % {"level": "县级市"},
            4: gettext("parent code %(code)s is neither in the file nor in the system")
            % {"code": "NOPE"},
            5: gettext("code %(code)s also appears in row %(row)d") % {"code": "139903", "row": 2},
            6: gettext("a unit of this level cannot be placed under its parent's level"),
            9: gettext("the parent codes form a loop"),
        }

    assert not report.ok
    assert sorted({line for line, _ in report.errors}) == [3, 4, 5, 6, 8, 9]
    messages = {}
    for line, message in report.errors:
        assert has_chinese(message), message
        messages.setdefault(line, []).append(message)
    for line, message in expected.items():
        assert message in messages[line]
    assert len(messages[8]) == 2  # the wrong level and the loop
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert tree_state() == before
    assert AuditEntry.objects.count() == entries


def test_rows_with_empty_code_name_or_an_over_long_code_are_reported(db):
    rows = [["", "无码", "区", ""], ["C1", "", "区", ""], ["C" * 33, "长码", "区", ""]]
    report = run_import(upload("csv", CHINESE_HEADERS, rows))
    assert [line for line, _ in report.errors] == [2, 3, 4]
    assert Unit.objects.count() == 0


def test_a_problem_found_while_writing_undoes_the_whole_import(cast):
    """The checks pass, but a unit with children cannot become a grid: nothing at all is kept."""
    rows = [
        ["139901009", "新街道", "街道", cast.district.code],
        [cast.community.code, "东风里社区", "网格", cast.subdistrict.code],
    ]
    before, entries = tree_state(), AuditEntry.objects.count()
    report = run_import(upload("csv", CHINESE_HEADERS, rows))

    assert not report.ok
    assert report.errors[0][0] == 0  # not tied to one row
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert tree_state() == before
    assert AuditEntry.objects.count() == entries


def test_a_gb18030_encoded_csv_reads(db):
    file = upload("csv", CHINESE_HEADERS, NEW_DISTRICT_ROWS, encoding="gb18030")
    records = importing.read_rows(file.name, file)
    assert records[1]["name"] == "清水区"
    file.seek(0)
    assert run_import(file).created == 9


def test_a_utf8_csv_with_a_byte_order_mark_reads(db):
    data = "\ufeff".encode() + csv_bytes(CHINESE_HEADERS, NEW_DISTRICT_ROWS)
    records = importing.read_rows("单位.csv", SimpleUploadedFile("单位.csv", data))
    assert records[0]["code"] == "13990300100101"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("单位.txt", csv_bytes(CHINESE_HEADERS, NEW_DISTRICT_ROWS)),
        ("单位.xlsx", b"not a workbook"),
        ("单位.csv", b""),
        ("单位.csv", csv_bytes(["编码", "名称"], [["1", "甲"]])),
    ],
    ids=["wrong type", "broken workbook", "empty", "missing level column"],
)
def test_an_unreadable_file_is_refused_as_a_whole(db, name, content):
    with pytest.raises(importing.ImportFileError):
        importing.read_rows(name, SimpleUploadedFile(name, content))


def test_an_administrator_may_import_below_their_own_units(cast):
    rows = [
        ["139901003", "新华街道", "街道", cast.district.code],
        ["139901003001", "新华社区", "社区", "139901003"],
    ]
    report = run_import(upload("csv", CHINESE_HEADERS, rows), by=cast.admin)
    assert report.ok
    assert report.created == 2
    assert AuditEntry.objects.filter(action="org.unit.created", actor=cast.admin).count() == 2


def test_rows_outside_the_administrators_scope_are_reported_and_nothing_is_written(cast):
    district2 = factories.unit("临河区", Level.DISTRICT, code="139902")
    rows = [
        ["139901003", "新华街道", "街道", cast.district.code],  # row 2: fine
        ["139902001", "越界街道", "街道", district2.code],  # row 3: under another district
        ["139909", "新区", "区", ""],  # row 4: a new top-level unit
        [district2.code, "临河新区", "区", ""],  # row 5: renames another district
    ]
    before = tree_state()
    report = run_import(upload("csv", CHINESE_HEADERS, rows), by=cast.admin)
    assert [line for line, _ in report.errors] == [3, 4, 5]
    assert tree_state() == before


def test_an_administrator_may_rename_their_own_top_unit(cast):
    rows = [[cast.district.code, "清河新区", "区", ""]]
    report = run_import(upload("csv", CHINESE_HEADERS, rows), by=cast.admin)
    assert report.ok
    assert report.updated == 1
    assert Unit.objects.get(pk=cast.district.pk).name == "清河新区"
