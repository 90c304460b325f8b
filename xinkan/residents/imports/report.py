"""The report of an import: the failed rows and why, for the page and as a CSV download.

It holds row numbers, column names, the reasons and at most a masked value: never a full ID
number or phone, so it can be kept with the job and downloaded without an audit of its own.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from xinkan.core.tables import safe_cell
from xinkan.residents.imports.columns import BY_KEY
from xinkan.residents.models import ImportJob


@dataclass(frozen=True)
class Failure:
    row: int
    column: str  # the header of the template, or "" for the whole row
    message: str
    value: str


def failures(job: ImportJob) -> list[Failure]:
    return [
        Failure(
            row=int(item.get("row", 0)),
            column=BY_KEY[item["column"]].header if item.get("column") in BY_KEY else "",
            message=str(item.get("message", "")),
            value=str(item.get("value", "")),
        )
        for item in job.report or []
    ]


def report_csv(job: ImportJob) -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Row"), _("Column"), _("Problem"), _("Value")])
    for failure in failures(job):
        writer.writerow(
            [failure.row, failure.column, safe_cell(failure.message), safe_cell(failure.value)]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
