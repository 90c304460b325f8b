"""Unit-tree spreadsheets for the import tests, as the uploads an administrator would make."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

CHINESE_HEADERS = ["编码", "名称", "层级", "上级编码"]
ENGLISH_HEADERS = ["code", "name", "level", "parent_code", "rural"]

# A new district: two subdistricts, a town with two villages, communities and grids. Some children
# come before their parents in the file, as they do in real spreadsheets.
NEW_DISTRICT_ROWS = [
    ["13990300100101", "东城社区第一网格", "网格", "139903001001"],
    ["139903", "清水区", "区", ""],
    ["139903001", "东城街道", "街道", "139903"],
    ["139903002", "西城街道", "街道", "139903"],
    ["139903101", "柳镇", "镇", "139903"],
    ["139903101001", "柳村", "村", "139903101"],
    ["139903101002", "杨村", "村", "139903101"],
    ["139903001001", "东城社区", "社区", "139903001"],
    ["13990310100101", "柳村第一村民小组", "网格", "139903101001"],
]
ENGLISH_LEVELS = {"区": "district", "街道": "subdistrict", "镇": "subdistrict", "村": "community"}
ENGLISH_LEVELS |= {"社区": "community", "网格": "grid"}


def in_english(rows: list[list[str]]) -> list[list[str]]:
    """The same rows with English level names and a `rural` column for the town and villages."""
    return [
        [code, name, ENGLISH_LEVELS[level], parent, "yes" if level in {"镇", "村"} else ""]
        for code, name, level, parent in rows
    ]


def csv_bytes(headers: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(headers: list[str], rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(
    kind: str, headers: list[str], rows: list[list[str]], **options: str
) -> SimpleUploadedFile:
    if kind == "xlsx":
        return SimpleUploadedFile("单位.xlsx", xlsx_bytes(headers, rows))
    return SimpleUploadedFile("单位.csv", csv_bytes(headers, rows, **options))
