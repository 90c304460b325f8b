"""`manage.py backup` and `restore`: a round trip brings back the database and the uploaded files;
a damaged or incomplete backup is refused with a clear message before anything is replaced."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from xinkan.audit.models import AuditEntry
from xinkan.core.backups import MANIFEST, MEDIA
from xinkan.residents.models import Resident

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    (root / "attachments").mkdir(parents=True)
    (root / "attachments" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    settings.MEDIA_ROOT = str(root)
    return root


def backup_of(tmp_path: Path) -> Path:
    call_command("backup", str(tmp_path / "backups"), stdout=open("/dev/null", "w"))  # noqa: SIM115
    (made,) = (tmp_path / "backups").iterdir()
    return made


def test_a_round_trip_restores_the_database_and_the_files(cast, media, tmp_path):
    factories.resident(cast.grid, name="李秀英", id_number="110105195308100020")
    made = backup_of(tmp_path)
    assert {p.name for p in made.iterdir()} >= {MANIFEST, MEDIA}

    Resident.objects.all().delete()
    factories.resident(cast.grid, name="备份之后")
    (media / "attachments" / "photo.jpg").unlink()
    (media / "later.txt").write_text("made after the backup")

    call_command("restore", str(made), "--noinput", stdout=open("/dev/null", "w"))  # noqa: SIM115
    names = set(Resident.objects.values_list("name", flat=True))
    assert names == {"李秀英"}
    assert Resident.objects.get().id_number == "110105195308100020"  # still decrypts
    assert (media / "attachments" / "photo.jpg").read_bytes() == b"\xff\xd8 a photo"
    assert not (media / "later.txt").exists()
    assert AuditEntry.objects.filter(action="core.backup.restored").count() == 1


def test_a_damaged_backup_is_refused_and_nothing_changes(cast, media, tmp_path):
    made = backup_of(tmp_path)
    factories.resident(cast.grid, name="备份之后")
    archive = made / MEDIA
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(CommandError, match=r"damaged: media\.tar does not match its checksum"):
        call_command("restore", str(made), "--noinput")
    assert Resident.objects.filter(name="备份之后").exists()


def test_an_unfinished_backup_without_its_manifest_is_refused(db, media, tmp_path):
    made = backup_of(tmp_path)
    (made / MANIFEST).unlink()
    with pytest.raises(CommandError, match=r"manifest\.json is missing"):
        call_command("restore", str(made), "--noinput")


def test_check_only_changes_nothing(cast, media, tmp_path):
    made = backup_of(tmp_path)
    factories.resident(cast.grid, name="备份之后")
    call_command("restore", str(made), "--check", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Resident.objects.filter(name="备份之后").exists()
