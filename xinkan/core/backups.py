"""Backups of the database and the uploaded files, with a checksum manifest; restores that refuse
a damaged backup before touching anything.

A backup is a directory `xinkan-backup-<UTC time>/` holding:
- `database.dump` (PostgreSQL, `pg_dump --format=custom`) or `database.sqlite3` (SQLite, through
  SQLite's online backup API, consistent while the site runs);
- `media.tar`: the uploaded files (attachments, import uploads);
- `manifest.json`: the format, the time, the database vendor, the last migration of each app and
  the SHA-256 and size of each file.

The encrypted columns stay encrypted in the backup: keep the data keys (XINKAN_DATA_KEYS,
XINKAN_INDEX_KEY) with the backups, or the numbers cannot be read after a restore.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media.tar"
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in plain words."""


@dataclass(frozen=True)
class Made:
    path: Path
    files: dict[str, int]  # name → bytes


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore arguments and environment for the default database."""
    db = connection.settings_dict
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-500:]}")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def _dump_database(target: Path) -> None:
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        args, env = _pg_env()
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args], env)
    elif connection.vendor == "sqlite":
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
    else:
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name").order_by(
        "app", "name"
    ):
        latest[app] = name
    return latest


def make_backup(directory: Path, *, now: dt.datetime | None = None) -> Made:
    """Write a backup into a new directory under `directory`; the manifest is written last, so a
    backup without one is unfinished."""
    now = now or dt.datetime.now(dt.UTC)
    path = Path(directory) / f"xinkan-backup-{now:%Y%m%d-%H%M%S}"
    path.mkdir(parents=True, exist_ok=False)
    dump = path / DUMPS.get(connection.vendor, "database")
    _dump_database(dump)
    media = _media_root()
    with tarfile.open(path / MEDIA, "w") as archive:
        if media.is_dir():
            archive.add(media, arcname=".")
    files = {dump.name: dump, MEDIA: path / MEDIA}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "database": {"vendor": connection.vendor, "file": dump.name},
        "migrations": _migrations(),
        "files": {
            name: {"sha256": _sha256(file), "bytes": file.stat().st_size}
            for name, file in files.items()
        },
    }
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return Made(path, {name: file.stat().st_size for name, file in files.items()})


def check_backup(path: Path) -> dict[str, Any]:
    """The manifest, once every file is present and matches its checksum; BackupError otherwise."""
    path = Path(path)
    manifest_file = path / MANIFEST
    if not manifest_file.is_file():
        raise BackupError(
            f"{path} is not a complete Xinkan backup: {MANIFEST} is missing. Nothing was restored."
        )
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        files = manifest["files"]
        vendor = manifest["database"]["vendor"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{MANIFEST} cannot be read ({exc}). Nothing was restored.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"Unknown backup format {manifest.get('format')!r}. Nothing was restored."
        )
    for name, facts in files.items():
        file = path / name
        if not file.is_file():
            raise BackupError(f"The backup is damaged: {name} is missing. Nothing was restored.")
        if file.stat().st_size != facts["bytes"] or _sha256(file) != facts["sha256"]:
            raise BackupError(
                f"The backup is damaged: {name} does not match its checksum. Nothing was restored."
            )
    if vendor != connection.vendor:
        raise BackupError(
            f"This backup is of a {vendor} database; this site runs on {connection.vendor}. "
            "Nothing was restored."
        )
    return dict(manifest)


def _restore_database(dump: Path) -> None:
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        args, env = _pg_env()
        connection.close()  # pg_restore drops the tables this connection may hold open
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                *args,
                str(dump),
            ],
            env,
        )
    else:
        source = sqlite3.connect(dump)
        try:
            source.backup(connection.connection)
        finally:
            source.close()


def _restore_media(archive_path: Path) -> None:
    media = _media_root()
    media.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="media-", dir=media.parent))
    try:
        with tarfile.open(archive_path) as archive:
            archive.extractall(staging, filter="data")  # no absolute paths, no escaping
        old = media.with_name(media.name + ".before-restore")
        if old.exists():
            shutil.rmtree(old)
        if media.exists():
            media.rename(old)
        staging.rename(media)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def restore_backup(path: Path) -> dict[str, Any]:
    """Check the whole backup first, then replace the database and the uploaded files."""
    manifest = check_backup(path)
    path = Path(path)
    _restore_database(path / manifest["database"]["file"])
    _restore_media(path / MEDIA)
    return manifest
