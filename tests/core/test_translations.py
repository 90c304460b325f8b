"""The translation catalogues are complete, compiled and in use (no database needed).

Chinese (zh-hans) is the default UI language: every msgid of the zh_Hans catalogue must carry a
translation, none may be fuzzy (gettext ignores fuzzy entries), and the committed .mo files must be
exactly what msgfmt makes of the committed .po files. After changing a UI string: `make messages`
(makemessages), translate the new entries in xinkan/locale/zh_Hans/LC_MESSAGES/django.po, then
`make messages` again (it ends with compilemessages) and commit the .po and .mo files.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
CATALOGUES = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po"))

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None  # pgettext's context, which tells apart one English word's senses
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # -1 for a singular msgstr


def _unquote(text: str) -> str:
    return (
        text[1:-1]
        .replace("\\\\", "\0")
        .replace('\\"', '"')
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\0", "\\")
    )


def parse_po(path: Path) -> list[Entry]:
    """A minimal .po reader: enough for catalogues written by makemessages/msgmerge."""
    entries: list[Entry] = []
    entry: Entry | None = None
    current: tuple[str, int] | None = None
    keyword = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr)(?:\[(\d+)\])? (".*")$')
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, current = None, None
            continue
        if line.startswith("#~"):  # obsolete entries are not used
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif match := keyword.match(line):
            name, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if name == "msgctxt":
                entry.msgctxt, current = value, ("msgctxt", 0)
            elif name == "msgid":
                entry.msgid, current = value, ("msgid", 0)
            elif name == "msgid_plural":
                entry.msgid_plural, current = value, ("msgid_plural", 0)
            else:
                slot = -1 if index is None else int(index)
                entry.msgstr[slot], current = value, ("msgstr", slot)
        elif line.startswith('"') and current is not None:
            value = _unquote(line)
            if current[0] == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            elif current[0] == "msgid":
                entry.msgid += value
            elif current[0] == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            else:
                entry.msgstr[current[1]] += value
        else:
            raise AssertionError(f"{path}:{number}: cannot read line {raw!r}")
    return [e for e in entries if e.msgstr or e.msgid]


def _messages(path: Path) -> list[Entry]:
    return [entry for entry in parse_po(path) if entry.msgid != ""]


def _header(path: Path) -> Entry:
    headers = [entry for entry in parse_po(path) if entry.msgid == ""]
    assert len(headers) == 1, f"{path}: expected one header entry"
    return headers[0]


def test_catalogues_exist() -> None:
    names = {path.parent.parent.name for path in CATALOGUES}
    assert {"zh_Hans", "en"} <= names, f"missing catalogues in {LOCALE_DIR}: found {names}"


def test_zh_hans_header() -> None:
    header = _header(ZH_PO).msgstr[-1]
    assert "Language: zh_Hans\n" in header
    assert "Content-Type: text/plain; charset=UTF-8\n" in header
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header


def test_zh_hans_every_msgid_is_translated() -> None:
    entries = _messages(ZH_PO)
    assert len(entries) > 100, "the zh_Hans catalogue looks truncated"
    untranslated = []
    for entry in entries:
        if entry.msgid_plural is not None:
            if not entry.msgstr.get(0, "").strip():
                untranslated.append(f"line {entry.line}: {entry.msgid!r} (msgstr[0])")
        elif not entry.msgstr.get(-1, "").strip():
            untranslated.append(f"line {entry.line}: {entry.msgid!r}")
    assert not untranslated, "untranslated in zh_Hans:\n" + "\n".join(untranslated)


def test_zh_hans_placeholders_are_kept() -> None:
    broken = []
    for entry in _messages(ZH_PO):
        wanted = sorted(set(PLACEHOLDER.findall(entry.msgid)))
        for translated in entry.msgstr.values():
            if sorted(set(PLACEHOLDER.findall(translated))) != wanted:
                broken.append(f"line {entry.line}: {entry.msgid!r} -> {translated!r}")
    assert not broken, "placeholders differ:\n" + "\n".join(broken)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_no_fuzzy_entries(po: Path) -> None:
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in parse_po(po) if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries in {po} (gettext ignores them):\n" + "\n".join(fuzzy)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_compiled_catalogue_matches_po(po: Path, tmp_path: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run manage.py compilemessages"
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed; cannot compare the .mo with the .po")
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check-format", "-o", str(fresh), str(po)], check=True)  # noqa: S603
    assert fresh.read_bytes() == mo.read_bytes(), (
        f"{mo} does not match {po}: run manage.py compilemessages and commit the .mo"
    )


def test_chinese_is_served() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("My work") == "我的工作"
        assert translation.gettext("Units") == "辖区单位"
        assert translation.gettext("Log in") == "登录"
        assert translation.ngettext("%(n)s resident", "%(n)s residents", 3) % {"n": 3} == (
            "3名居民"
        )
    with translation.override("en"):
        assert translation.gettext("Units") == "Units"
