"""Reading the uploaded spreadsheet as a stream of rows, whatever its format.

CSV comes as UTF-8 (with or without the BOM Excel writes) or as GB18030 (what Chinese Excel saves
as "CSV"); .xlsx is read with openpyxl's read-only mode, one row at a time, so a million rows never
sit in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from xinkan.residents.imports.columns import cell_text, match_headers

_CHUNK = 1 << 20


class FileProblem(ValueError):
    """The file as a whole cannot be read: wrong type, not text, no usable header."""


@dataclass
class Sheet:
    keys: list[str | None]
    total: int | None  # data rows (with empty ones), when known up front
    rows: Iterator[tuple[int, dict[str, str]]]  # (spreadsheet row number, values by column key)
    _closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for closer in self._closers:
            closer()


def open_sheet(name: str, source: bytes | Path) -> Sheet:
    """The rows of the file `name` (its content, or its path on disk)."""
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return _csv_sheet(source)
    if lowered.endswith(".xlsx"):
        return _xlsx_sheet(source)
    raise FileProblem(_("Upload a .xlsx or .csv file."))


def _binary(source: bytes | Path) -> IO[bytes]:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def detect_encoding(stream: IO[bytes]) -> str:
    """utf-8-sig when the whole file decodes as UTF-8, else gb18030 when that decodes it."""
    for encoding in ("utf-8-sig", "gb18030"):
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    raise FileProblem(_("The CSV file is neither UTF-8 nor GB18030 text."))


def _csv_sheet(source: bytes | Path) -> Sheet:
    binary = _binary(source)
    encoding = detect_encoding(binary)
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    first = text.readline()
    delimiter = "\t" if "\t" in first and "," not in first else ","
    text.seek(0)
    total = sum(1 for _row in csv.reader(text, delimiter=delimiter)) - 1
    text.seek(0)
    reader = csv.reader(text, delimiter=delimiter)
    header = next(reader, None)
    keys = _header(header)
    return Sheet(keys, max(total, 0), _records(keys, reader), [text.close])


def _xlsx_sheet(source: bytes | Path) -> Sheet:
    from openpyxl import load_workbook

    binary = _binary(source)
    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
    except Exception as exc:  # a zip that is no workbook, a damaged file
        binary.close()
        raise FileProblem(_("The file is not a readable .xlsx workbook.")) from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    try:
        keys = _header([cell_text(c) for c in header] if header else None)
    except FileProblem:
        workbook.close()
        binary.close()
        raise
    max_row = sheet.max_row if isinstance(sheet.max_row, int) and sheet.max_row > 1 else None
    texts = ([cell_text(c) for c in row] for row in rows)
    return Sheet(
        keys,
        max_row - 1 if max_row else None,
        _records(keys, texts),
        [workbook.close, binary.close],  # a read-only workbook holds the file open until closed
    )


def _header(cells: list[str] | None) -> list[str | None]:
    if not cells or not any(cell.strip() for cell in cells):
        raise FileProblem(_("The file is empty: the first row must hold the column headers."))
    keys, problems = match_headers([cell.strip() for cell in cells])
    if problems:
        raise FileProblem(" ".join(problems))
    return keys


def _records(
    keys: list[str | None], lines: Iterator[list[str]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {key: text}) for each row with anything in it; row 1 is the header."""
    for number, cells in enumerate(lines, start=2):
        record = {
            key: cell_text(cell) for key, cell in zip(keys, cells, strict=False) if key and cell
        }
        if any(record.values()):
            yield number, record
