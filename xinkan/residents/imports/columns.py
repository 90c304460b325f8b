"""The columns of the import (and export) spreadsheet: headers, their aliases, the template."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinkan.core.tables import FORMULA_START
from xinkan.residents.identity import check_digit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a development package: for the types only


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header of the template
    aliases: tuple[str, ...]
    required: bool = False
    help: StrOrPromise = ""


COLUMNS: tuple[Column, ...] = (
    Column(
        "household",
        "户号",
        ("户编号", "户籍编号", "household", "household number", "household code"),
        help=gettext_lazy("Household number; members of one household share it."),
    ),
    Column(
        "unit",
        "网格/社区编码",
        (
            "网格/社区",
            "网格社区编码",
            "单位编码",
            "网格编码",
            "社区编码",
            "所属网格",
            "unit",
            "unit code",
            "grid",
        ),
        required=True,
        help=gettext_lazy("Code of the grid or community the resident belongs to."),
    ),
    Column(
        "address",
        "地址",
        ("住址", "家庭住址", "居住地址", "address"),
        help=gettext_lazy("Needed for a new household."),
    ),
    Column(
        "relation",
        "与户主关系",
        ("关系", "relation", "relation to the head"),
        help=gettext_lazy("For example 户主, 配偶, 子, 女."),
    ),
    Column("name", "姓名", ("名字", "name"), required=True),
    Column(
        "gender",
        "性别",
        ("gender", "sex"),
        help=gettext_lazy("男 or 女; taken from the ID number when there is one."),
    ),
    Column(
        "birth_date",
        "出生日期",
        ("出生年月日", "生日", "birth date", "date of birth"),
        help=gettext_lazy("Only without an ID number; for example 1950-03-21."),
    ),
    Column(
        "id_number",
        "身份证号",
        ("身份证号码", "公民身份号码", "证件号码", "身份证", "id number", "id card number"),
        help=gettext_lazy("18 characters; checked, then stored encrypted."),
    ),
    Column("phone", "手机", ("手机号", "手机号码", "联系电话", "电话", "phone", "mobile")),
    Column("occupation", "职业", ("工作", "occupation", "job")),
)
BY_KEY = {column.key: column for column in COLUMNS}

_BRACKETS = re.compile(r"[(（][^)）]*[)）]")
_IGNORED = re.compile(r"[\s*＊_\-:：]")


def normalise_header(text: str) -> str:
    """ "姓名（必填）*" → "姓名", "Unit_Code" → "unitcode"."""
    return _IGNORED.sub("", _BRACKETS.sub("", text)).lower()


_LOOKUP = {
    normalise_header(word): column.key
    for column in COLUMNS
    for word in (column.key, column.header, *column.aliases)
}


def match_headers(cells: list[str]) -> tuple[list[str | None], list[str]]:
    """The column key of each header cell (None: ignored), and the problems with the header."""
    keys: list[str | None] = []
    problems: list[str] = []
    for cell in cells:
        key = _LOOKUP.get(normalise_header(cell)) if cell else None
        if key is not None and key in keys:
            problems.append(
                _("The column “%(column)s” appears twice.") % {"column": BY_KEY[key].header}
            )
        keys.append(key)
    missing = [c.header for c in COLUMNS if c.required and c.key not in keys]
    if missing:
        problems.append(_("Missing columns: %(columns)s.") % {"columns": "、".join(missing)})
    return keys, problems


# Spreadsheet programs run a cell starting with these as a formula; exports prefix them with "'".


def cell_text(value: object) -> str:
    """A cell as text: numbers without ".0", dates as YYYY-MM-DD, the guard quote taken off."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


def template_workbook(unit_code: str) -> bytes:
    """The .xlsx template: the headers and one example row, and a sheet explaining the columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    example_id = "11010519800101002"
    example = {
        "household": "H0001",
        "unit": unit_code,
        "address": "建设路1号1单元101室",
        "relation": "户主",
        "name": "张三",
        "gender": "女",
        "birth_date": "",
        "id_number": example_id + check_digit(example_id),
        "phone": "13800138000",
        "occupation": "退休",
    }
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "居民"
    sheet.append([c.header + ("*" if c.required else "") for c in COLUMNS])
    sheet.append([example[c.key] for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 22 if column.key in ("id_number", "address") else 14
        # Text format, so that ID numbers and phones keep every digit.
        for row in range(2, 1002):
            sheet.cell(row=row, column=index).number_format = "@"
    notes = workbook.create_sheet(_("Columns"))
    notes.append([_("Column"), _("Required"), _("Notes")])
    for column in COLUMNS:
        notes.append([column.header, _("yes") if column.required else "", str(column.help)])
    notes.append([])
    notes.append(
        [_("Delete the example row. Rows are matched by ID number, else by name in the household.")]
    )
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["C"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
