"""Any list as a spreadsheet: CSV streamed (UTF-8 with a BOM, so Excel reads the Chinese) or an
.xlsx written row by row to a temporary file. Cells are written as text and a cell that a
spreadsheet would evaluate (=, +, -, @) is quoted, so an export never runs a formula.

What goes in a table — which rows, masked how, audited how — is each feature's business; this
module only writes.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

FORMATS = ("xlsx", "csv")
EXPORT_CAP = 100_000
FORMULA_START = ("=", "+", "-", "@")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(text: str) -> str:
    """Text that a spreadsheet shows as written, never evaluates (CSV/formula injection)."""
    return "'" + text if text.startswith(FORMULA_START) else text


class _Line:
    """A file-like object that hands back what csv.writer writes."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[bytes]:
    """The CSV a few hundred rows at a time."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow(list(headers))).encode("utf-8")
    lines: list[str] = []
    for row in rows:
        lines.append(writer.writerow([safe_cell(str(cell)) for cell in row]))
        if len(lines) >= 500:
            yield "".join(lines).encode("utf-8")
            lines = []
    if lines:
        yield "".join(lines).encode("utf-8")


def xlsx_file(headers: Sequence[str], rows: Iterable[Sequence[str]], *, sheet: str) -> IO[bytes]:
    """The workbook in a temporary file (write-only: rows go to disk as they come)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    bold = Font(bold=True)
    header = []
    for text in headers:
        cell = WriteOnlyCell(worksheet, value=text)
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in rows:
        # Strings stay strings (an 18-digit number would lose digits); formulas are never written.
        worksheet.append([safe_cell(str(cell)) for cell in row])
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook.save(target)
    target.seek(0)
    return target


def download(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    fmt: str,
    name: str,
    sheet: str = "Sheet1",
) -> HttpResponseBase:
    """The table as an attachment named `name`-<date-time>.<fmt>, never cached."""
    filename = f"{name}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"
    response: HttpResponseBase
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_chunks(headers, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(
            xlsx_file(headers, rows, sheet=sheet),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_TYPE,
        )
    response["Cache-Control"] = "private, no-store"
    return response


def reports_database() -> str:
    """Where long reads (exports, dashboards) go: the read replica when one is configured
    (XINKAN_REPLICA_URL), else the primary. Counting and auditing stay on the primary."""
    from django.conf import settings

    return "replica" if "replica" in settings.DATABASES else "default"


def export_list(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action: str,
    headers: Sequence[str],
    row: Callable[[Any], Sequence[str]],
    name: str,
    sheet: str,
    filters: dict[str, Any] | None = None,
    unit: Any = None,
) -> HttpResponseBase:
    """The rows of a list page, as the page shows them (the caller's queryset: scope and filters
    applied, personal values masked by `row`), in the format asked for by `?export=`; counted up
    to EXPORT_CAP and audited with the count, format and filters — never values."""
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _

    from xinkan.audit import services as audit
    from xinkan.core.paging import capped_count

    fmt = request.GET.get("export", "")
    if fmt not in FORMATS:
        fmt = "xlsx"
    count, capped = capped_count(queryset, EXPORT_CAP)
    if capped:
        messages.error(
            request,
            _("More than %(n)s rows: narrow the list, then export it.") % {"n": f"{EXPORT_CAP:,}"},
        )
        params = request.GET.copy()
        params.pop("export", None)
        return redirect(f"{request.path}?{params.urlencode()}")
    audit.record(
        actor=request.user,
        action=action,
        unit=unit,
        data={"rows": count, "format": fmt, "filters": filters or {}},
    )
    rows = (row(item) for item in queryset.using(reports_database()).iterator(chunk_size=2000))
    return download(headers, rows, fmt=fmt, name=name, sheet=sheet)
