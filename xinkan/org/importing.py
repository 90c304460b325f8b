"""Bulk import of the unit tree from a spreadsheet (.xlsx or .csv).

Columns (Chinese or English headers): 编码 code, 名称 name, 层级 level, 上级编码 parent_code, and
optionally 农村 rural, 地址 address, 电话 phone. The file is checked whole first; if any row is wrong,
nothing is written and every problem is reported with its row number. Re-importing the same file
updates units by code instead of duplicating them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xinkan.org import services
from xinkan.org.models import LEVEL_RANK, Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User

HEADERS = {
    "code": {"code", "编码", "代码", "单位编码"},
    "name": {"name", "名称", "单位名称"},
    "level": {"level", "层级", "级别"},
    "parent_code": {"parent_code", "parent", "上级编码", "上级代码"},
    "rural": {"rural", "农村", "是否农村"},
    "address": {"address", "地址", "办公地址"},
    "phone": {"phone", "电话", "办公电话"},
}
LEVEL_NAMES = {
    **{level.value: level.value for level in Level},
    "市": Level.CITY,
    "区": Level.DISTRICT,
    "县": Level.DISTRICT,
    "区县": Level.DISTRICT,
    "区/县": Level.DISTRICT,
    "街道": Level.SUBDISTRICT,
    "乡镇": Level.SUBDISTRICT,
    "镇": Level.SUBDISTRICT,
    "乡": Level.SUBDISTRICT,
    "街道/乡镇": Level.SUBDISTRICT,
    "社区": Level.COMMUNITY,
    "村": Level.COMMUNITY,
    "社区/村": Level.COMMUNITY,
    "网格": Level.GRID,
}
RURAL_LEVEL_NAMES = {"乡镇", "镇", "乡", "村"}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "对", "√"}
MAX_ROWS = 200_000


@dataclass
class UnitRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str
    rural: bool
    address: str = ""
    phone: str = ""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong type, no header, too big)."""


def read_rows(name: str, stream: IO[bytes]) -> list[dict[str, str]]:
    lowered = name.lower()
    if lowered.endswith(".csv"):
        raw = stream.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError(_("The CSV file is neither UTF-8 nor GB18030 text."))
        return _normalise(csv.reader(io.StringIO(text)))
    if lowered.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:
            raise ImportFileError(_("The file is not a readable .xlsx workbook.")) from exc
        try:
            sheet = workbook.worksheets[0]
            values = (
                ["" if c is None else str(c) for c in row]
                for row in sheet.iter_rows(values_only=True)
            )
            return _normalise(values)
        finally:
            workbook.close()  # a read-only workbook keeps the file open until closed
    raise ImportFileError(_("Upload a .xlsx or .csv file."))


def _normalise(lines: Iterable[list[str]]) -> list[dict[str, str]]:
    iterator: Iterator[list[str]] = iter(lines)
    header = next(iterator, None)
    if not header:
        raise ImportFileError(_("The file is empty."))
    columns: list[str | None] = []
    for cell in header:
        key = cell.strip().lower()
        columns.append(next((name for name, words in HEADERS.items() if key in words), None))
    missing = [name for name in ("code", "name", "level") if name not in columns]
    if missing:
        raise ImportFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    rows = []
    for number, cells in enumerate(iterator, start=2):
        if number > MAX_ROWS + 1:
            raise ImportFileError(_("Too many rows (at most %(n)d).") % {"n": MAX_ROWS})
        record = {"__line__": str(number)}
        for column, cell in zip(columns, cells, strict=False):
            if column:
                record[column] = (cell or "").strip()
        if any(value for key, value in record.items() if key != "__line__"):
            rows.append(record)
    return rows


def validate_rows(
    records: list[dict[str, str]], *, by: User | None = None
) -> tuple[list[UnitRow], list[tuple[int, str]]]:
    errors: list[tuple[int, str]] = []
    rows: list[UnitRow] = []
    seen: dict[str, int] = {}
    for record in records:
        line = int(record["__line__"])
        code, name = record.get("code", ""), record.get("name", "")
        level_word = record.get("level", "")
        level = LEVEL_NAMES.get(level_word.lower()) or LEVEL_NAMES.get(level_word)
        problems = []
        if not code:
            problems.append(_("the code is empty"))
        elif len(code) > 32:
            problems.append(_("the code is longer than 32 characters"))
        if not name:
            problems.append(_("the name is empty"))
        elif len(name) > 100:
            problems.append(_("the name is longer than 100 characters"))
        if level is None:
            problems.append(_("unknown level “%(level)s”") % {"level": level_word})
        if code in seen:
            problems.append(
                _("code %(code)s also appears in row %(row)d") % {"code": code, "row": seen[code]}
            )
        if problems:
            errors.append((line, "; ".join(str(p) for p in problems)))
            continue
        seen[code] = line
        rural_word = record.get("rural", "").lower()
        rows.append(
            UnitRow(
                line=line,
                code=code,
                name=name,
                level=str(level),
                parent_code=record.get("parent_code", ""),
                rural=rural_word in TRUE_WORDS or level_word in RURAL_LEVEL_NAMES,
                address=record.get("address", ""),
                phone=record.get("phone", ""),
            )
        )
    by_code = {row.code: row for row in rows}
    existing = {
        unit.code: unit
        for unit in Unit.objects.filter(
            code__in={row.parent_code for row in rows if row.parent_code} | set(by_code)
        )
    }
    for row in rows:
        if not row.parent_code:
            continue
        parent_level = (
            by_code[row.parent_code].level
            if row.parent_code in by_code
            else existing[row.parent_code].level
            if row.parent_code in existing
            else None
        )
        if parent_level is None:
            errors.append(
                (
                    row.line,
                    _("parent code %(code)s is neither in the file nor in the system")
                    % {"code": row.parent_code},
                )
            )
        elif LEVEL_RANK[row.level] <= LEVEL_RANK[parent_level]:
            errors.append(
                (row.line, _("a unit of this level cannot be placed under its parent's level"))
            )
    if by is not None and not by.is_superuser:
        errors.extend(_outside_scope(rows, existing, by))
    # Cycles within the file (A under B under A) would never resolve.
    for row in rows:
        walked, current = set(), row
        while current.parent_code in by_code:
            if current.code in walked:
                errors.append((row.line, _("the parent codes form a loop")))
                break
            walked.add(current.code)
            current = by_code[current.parent_code]
    return rows, sorted(set(errors))


def _outside_scope(
    rows: list[UnitRow], existing: dict[str, Unit], by: User
) -> list[tuple[int, str]]:
    """Rows an administrator may not write: a unit, or an existing parent, outside their scope; a
    new top-level unit. (A parent that is itself a new row of the file is checked on its own row.)"""
    scope = get_scope(by)
    errors = []
    for row in rows:
        unit = existing.get(row.code)
        parent = existing.get(row.parent_code) if row.parent_code else None
        if unit is not None and not scope.covers_unit(unit, Perm.ORG_MANAGE):
            problem = _("unit %(code)s lies outside your area") % {"code": row.code}
        elif parent is not None and not scope.covers_unit(parent, Perm.ORG_MANAGE):
            problem = _("parent unit %(code)s lies outside your area") % {"code": row.parent_code}
        elif not row.parent_code and (unit is None or unit.parent_id is not None):
            problem = _("only the system administrator adds a top-level unit")
        else:
            continue
        errors.append((row.line, problem))
    return errors


def _ordered(rows: list[UnitRow]) -> list[UnitRow]:
    """Parents before children: by level rank, then file order."""
    return sorted(rows, key=lambda row: (LEVEL_RANK[row.level], row.line))


def import_unit_tree(records: list[dict[str, str]], *, by: User | None) -> ImportReport:
    rows, errors = validate_rows(records, by=by)
    report = ImportReport(errors=errors)
    if errors:
        return report
    try:
        with transaction.atomic():
            for row in _ordered(rows):
                parent = Unit.objects.get(code=row.parent_code) if row.parent_code else None
                unit = Unit.objects.filter(code=row.code).first()
                if unit is None:
                    services.create_unit(
                        code=row.code,
                        name=row.name,
                        level=row.level,
                        parent=parent,
                        by=by,
                        rural=row.rural,
                        address=row.address,
                        phone=row.phone,
                    )
                    report.created += 1
                    continue
                wanted = {
                    "name": row.name,
                    "level": row.level,
                    "rural": row.rural,
                    "address": row.address or unit.address,
                    "phone": row.phone or unit.phone,
                }
                same_parent = (parent.pk if parent else None) == unit.parent_id
                if same_parent and all(getattr(unit, k) == v for k, v in wanted.items()):
                    report.unchanged += 1
                    continue
                services.update_unit(unit, by=by, parent=parent, **wanted)
                report.updated += 1
    except ValidationError as exc:
        report.created = report.updated = report.unchanged = 0
        report.errors.append((0, "; ".join(exc.messages)))
    return report
