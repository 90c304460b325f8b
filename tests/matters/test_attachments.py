"""matters.attachments: uploads are checked for size, count and type (from the content, not the name)
before anything is saved; a matter with one bad file is not registered at all."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from tests.matters import factories as mf
from xinkan.matters import services
from xinkan.matters.attachments import MAX_BYTES, MAX_FILES, check_files, sniff
from xinkan.matters.models import Attachment, Matter, MatterEvent


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def stored_files(media_root) -> list[str]:  # type: ignore[no-untyped-def]
    return (
        [str(path) for path in media_root.rglob("*") if path.is_file()]
        if media_root.exists()
        else []
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("现场.jpg", mf.JPEG, "image/jpeg"),
        ("现场.png", mf.PNG, "image/png"),
        ("材料.pdf", mf.PDF, "application/pdf"),
        ("照片", mf.JPEG, "image/jpeg"),  # no extension: the content decides
        ("scan.pdf", mf.PNG, "image/png"),  # a wrong extension: the content decides
        (
            "申请书.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("录音.mp3", b"ID3\x04\x00" + b"\x00" * 100, "audio/mpeg"),
    ],
)
def test_accepted_kinds_are_recognised_from_the_content(name, content, content_type):
    [checked] = check_files([mf.upload(name, content)])

    assert (checked.name, checked.kind.content_type, checked.size) == (
        name,
        content_type,
        len(content),
    )
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"this is plain text pretending to be a photo"),
        ("page.pdf", b"<html><body>not a pdf</body></html>"),
        ("run.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("archive.docx", plain_zip()),  # a zip that is not a Word document
        ("empty.png", b""),
    ],
)
def test_unknown_content_is_refused_whatever_its_name(name, content):
    with pytest.raises(ValidationError) as info:
        check_files([mf.upload(name, content)])

    assert name in info.value.messages[0]


def test_a_file_over_10_mb_is_refused():
    big = mf.upload("big.jpg", mf.JPEG + b"\x00" * (MAX_BYTES + 1 - len(mf.JPEG)))

    with pytest.raises(ValidationError) as info:
        check_files([big])

    assert "big.jpg" in info.value.messages[0]
    assert "10 MB" in info.value.messages[0]


def test_a_file_of_exactly_10_mb_is_accepted():
    exact = mf.upload("exact.jpg", mf.JPEG + b"\x00" * (MAX_BYTES - len(mf.JPEG)))

    assert check_files([exact])[0].size == MAX_BYTES


def test_more_than_six_files_are_refused():
    with pytest.raises(ValidationError):
        check_files([mf.upload(f"{n}.jpg", mf.JPEG) for n in range(MAX_FILES + 1)])

    assert len(check_files([mf.upload(f"{n}.jpg", mf.JPEG) for n in range(MAX_FILES)])) == MAX_FILES


def test_every_bad_file_is_named_at_once():
    with pytest.raises(ValidationError) as info:
        check_files(
            [
                mf.upload("ok.png", mf.PNG),
                mf.upload("a.jpg", b"text"),
                mf.upload("b.pdf", b"text"),
            ]
        )

    assert len(info.value.messages) == 2
    assert "a.jpg" in info.value.messages[0]
    assert "b.pdf" in info.value.messages[1]


def test_sniffing_leaves_the_file_ready_to_be_read():
    upload = mf.upload("现场.jpg", mf.JPEG)

    sniff(upload)

    assert upload.read() == mf.JPEG


# --- With a matter -----------------------------------------------------------------------------------------


def test_a_matter_is_registered_with_its_photos_and_documents(cast, media_root):
    files = [
        mf.upload("现场.jpg", mf.JPEG),
        mf.upload("现场.png", mf.PNG),
        mf.upload("材料.pdf", mf.PDF),
    ]

    matter = mf.matter(cast.grid, cast.grid_worker, attachments=files)

    attachments = list(Attachment.objects.filter(matter=matter))
    assert [(a.original_name, a.content_type, a.uploaded_by) for a in attachments] == [
        ("现场.jpg", "image/jpeg", cast.grid_worker),
        ("现场.png", "image/png", cast.grid_worker),
        ("材料.pdf", "application/pdf", cast.grid_worker),
    ]
    for attachment, content in zip(attachments, [mf.JPEG, mf.PNG, mf.PDF], strict=True):
        assert attachment.sha256 == hashlib.sha256(content).hexdigest()
        # Stored under a random name, never the uploaded one.
        assert "现场" not in attachment.file.name
        assert "材料" not in attachment.file.name
        with attachment.file.open("rb") as stored:
            assert stored.read() == content
    assert len(stored_files(media_root)) == 3
    assert MatterEvent.objects.get(matter=matter, action="registered").data["attachments"] == 3


@pytest.mark.parametrize(
    "bad",
    [
        mf.upload("photo.jpg", b"just some text"),
        mf.upload("big.png", mf.PNG + b"\x00" * MAX_BYTES),
    ],
)
def test_nothing_is_saved_when_one_file_is_bad(cast, media_root, bad):
    files = [mf.upload("现场.jpg", mf.JPEG), bad]

    with pytest.raises(ValidationError):
        services.register_matter(mf.intake(cast.grid, attachments=files), by=cast.grid_worker)

    assert Matter.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_files(media_root) == []


def test_too_many_files_register_nothing(cast, media_root):
    files = [mf.upload(f"{n}.jpg", mf.JPEG) for n in range(MAX_FILES + 1)]

    with pytest.raises(ValidationError):
        services.register_matter(mf.intake(cast.grid, attachments=files), by=cast.grid_worker)

    assert (Matter.objects.count(), Attachment.objects.count()) == (0, 0)
    assert stored_files(media_root) == []
