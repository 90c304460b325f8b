"""Checks on uploaded files: size, count, and type recognised from the content (not the name)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 6
# What the file picker offers (the content is checked again on arrival: see `sniff`).
ACCEPT = (
    "image/jpeg,image/png,image/heic,.heic,application/pdf,.docx,.xlsx,"
    "audio/mpeg,audio/mp4,.m4a,video/mp4"
)


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str


def _zip_kind(head: bytes, stream: IO[bytes]) -> Kind | None:
    import zipfile

    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    finally:
        stream.seek(0)
    if "word/document.xml" in names:
        return Kind(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
        )
    if "xl/workbook.xml" in names:
        return Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    return None


def sniff(stream: IO[bytes]) -> Kind | None:
    head = stream.read(16)
    stream.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return Kind("image/jpeg", "jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind("image/png", "png")
    if head.startswith(b"%PDF-"):
        return Kind("application/pdf", "pdf")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in {b"M4A ", b"M4B "}:
            return Kind("audio/mp4", "m4a")
        if brand in {b"heic", b"heix", b"mif1"}:
            return Kind("image/heic", "heic")
        return Kind("video/mp4", "mp4")
    if head.startswith(b"ID3") or head[:2] in {b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"}:
        return Kind("audio/mpeg", "mp3")
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(head, stream)
    return None


@dataclass(frozen=True)
class CheckedFile:
    upload: Any
    name: str
    kind: Kind
    size: int
    sha256: str


def check_files(uploads: list[Any]) -> list[CheckedFile]:
    """Validate every upload; raise one ValidationError listing each problem (nothing is saved)."""
    if len(uploads) > MAX_FILES:
        raise ValidationError(_("At most %(n)d files may be attached.") % {"n": MAX_FILES})
    checked, problems = [], []
    for upload in uploads:
        name = str(getattr(upload, "name", "file"))[-120:]
        if upload.size > MAX_BYTES:
            problems.append(_("%(name)s is larger than 10 MB.") % {"name": name})
            continue
        kind = sniff(upload)
        if kind is None:
            problems.append(
                _(
                    "%(name)s is not an accepted kind of file (photos, PDF, Word, Excel, audio, video)."
                )
                % {"name": name}
            )
            continue
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        checked.append(CheckedFile(upload, name, kind, upload.size, digest.hexdigest()))
    if problems:
        raise ValidationError(problems)
    return checked
