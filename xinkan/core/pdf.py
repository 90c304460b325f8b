"""Chinese PDF documents (agreements, certificates): finding a CJK font and embedding it as a
subset, Chinese numerals and dates, line breaking without spaces, and an A4 page with numbered
pages.

Pure: text in, PDF bytes out. A document whose characters the font cannot show is refused
(FontUnavailable) rather than printed with boxes.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from fontTools.ttLib import TTCollection, TTFont, TTLibError  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import TextMode

# fontTools logs every subsetting step at INFO: a screenful per document in the server log.
if logging.getLogger("fontTools.subset").level == logging.NOTSET:
    logging.getLogger("fontTools.subset").setLevel(logging.WARNING)


class FontUnavailable(Exception):
    """No font that can show the agreement's characters; nothing is printed."""


# --- Finding a Chinese font ------------------------------------------------------------------

# Tried in order when XINKAN_PDF_FONT is not set: Debian/Ubuntu packages first (fonts-wqy-microhei
# is what the deployment installs), then the usual Fedora/Arch/macOS/Windows locations.
WELL_KNOWN_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)

# The formats fpdf2 can embed.
_FONT_SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")

# A face must have these to count as Chinese (a Latin font that fc-match returns does not).
_PROBE = "人民调解协议书当事人签名盖章按指印第页共年月日〔〕（）：，。、0123456789"


@dataclass(frozen=True)
class ChineseFont:
    path: Path
    face: int  # index inside a .ttc/.otc collection
    name: str
    codepoints: frozenset[int]


def find_chinese_font() -> ChineseFont:
    """The font for PDF documents: settings.XINKAN_PDF_FONT, else the first one found.

    A configured font that cannot be used is an error, not a reason to fall back: the operator
    asked for that font.
    """
    configured = str(getattr(settings, "XINKAN_PDF_FONT", "") or "")
    return _locate_font(configured)


@functools.lru_cache(maxsize=4)
def _locate_font(configured: str) -> ChineseFont:
    # Keyed by the setting, so a changed setting is honoured; parsing a 5 MB collection costs
    # most of a second, so each font is read once per process.
    if configured:
        font = _load_chinese_face(Path(configured))
        if font is None:
            raise FontUnavailable(
                _(
                    "The font set in XINKAN_PDF_FONT (%(path)s) cannot be read or has no "
                    "Chinese characters."
                )
                % {"path": configured}
            )
        return font
    for candidate in _candidate_paths():
        font = _load_chinese_face(candidate)
        if font is not None:
            return font
    raise FontUnavailable(
        _(
            "No Chinese font is installed for PDF documents. "
            "Install fonts-wqy-microhei or set XINKAN_PDF_FONT."
        )
    )


def _candidate_paths() -> Iterable[Path]:
    for path in WELL_KNOWN_FONTS:
        yield Path(path)
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            found = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [fc_match, "-f", "%{file}", "sans-serif:lang=zh-cn"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found:
            yield Path(found)


def _load_chinese_face(path: Path) -> ChineseFont | None:
    """The best face of the file for Simplified Chinese, or None when it has none."""
    if path.suffix.lower() not in _FONT_SUFFIXES or not path.is_file():
        return None
    try:
        if path.suffix.lower() in (".ttc", ".otc"):
            faces = list(TTCollection(str(path), lazy=True).fonts)
        else:
            faces = [TTFont(str(path), lazy=True)]
        candidates: list[tuple[int, int, ChineseFont]] = []
        for index, face in enumerate(faces):
            cmap = face.getBestCmap() or {}
            if not all(ord(char) in cmap for char in _PROBE):
                continue
            name = str(face["name"].getBestFamilyName() or path.stem)
            candidates.append(
                (_face_preference(name), index, ChineseFont(path, index, name, frozenset(cmap)))
            )
    except (OSError, TTLibError, KeyError, AssertionError, ValueError):
        return None
    if not candidates:
        return None
    return min(candidates, key=lambda item: (item[0], item[1]))[2]


def _face_preference(name: str) -> int:
    # Collections such as Noto Sans CJK hold JP, KR, SC, TC and HK faces with different glyph
    # shapes for the same characters: take the Simplified Chinese one, and proportional
    # before monospaced.
    upper = name.upper()
    rank = 0 if re.search(r"\b(SC|CN|GB|HANS)\b", upper) else 1
    if re.search(r"\b(JP|KR|TC|HK|HANT)\b", upper):
        rank = 2
    if "MONO" in upper:
        rank += 3
    return rank


# --- Chinese text helpers ----------------------------------------------------------------------

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(number: int) -> str:
    """1 → 一, 12 → 十二, 30 → 三十; Arabic digits from 100 on."""
    if not 0 < number < 100:
        return str(number)
    tens, units = divmod(number, 10)
    if tens == 0:
        return _DIGITS[units]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[units] if units else "")


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# Line breaking (a small part of the Chinese 禁则): Chinese has no spaces, so a line may break
# between any two characters, except inside a number, a date or a Latin word, before closing
# punctuation, or after opening punctuation.
_TOKEN = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日"
    r"|[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]+(?:[.,:/\-－·][0-9A-Za-z０-９Ａ-Ｚａ-ｚ]+)*"
    r"| +"
    r"|.",
    re.DOTALL,
)
_NO_LINE_START = frozenset("，。、；：！？）》」』】〕〉”’…—％%,.;:!?)]}～·")
_NO_LINE_END = frozenset("（《「『【〔〈“‘([{")


def _breakable_units(text: str) -> list[str]:
    units: list[str] = []
    glue_next = False
    for token in _TOKEN.findall(text):
        if token.isspace():
            units.append(" ")
            glue_next = False
            continue
        if units and not units[-1].isspace() and (glue_next or token[0] in _NO_LINE_START):
            units[-1] += token
        else:
            units.append(token)
        glue_next = token[-1] in _NO_LINE_END
    return units


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(char for char in text if char == "\n" or char.isprintable())


# --- The PDF -----------------------------------------------------------------------------------

FAMILY = "xinkan-cjk"
BODY_PT = 12.0  # 小四
TITLE_PT = 22.0  # 二号
SMALL_PT = 9.0
MARGIN = 25.0  # mm
SIGNATURE_RULE = 45.0  # mm, the line to sign on
SEAL_SPACE = 22.0  # mm left free above the seal line for the stamp


class DocumentPDF(FPDF):
    def __init__(self, number: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document_number = number

    def header(self) -> None:
        # Later pages carry the number, so a loose page can be put back with its agreement.
        if self.page_no() > 1:
            self.set_font(FAMILY, size=SMALL_PT)
            self.set_y(12)
            self.cell(0, 5, self.document_number, align="R")
            self.set_y(MARGIN)

    def footer(self) -> None:
        self.set_y(-17)
        self.set_font(FAMILY, size=SMALL_PT)
        self.cell(0, 5, f"第 {self.page_no()} 页 共 {self.str_alias_nb_pages} 页", align="C")


class Writer:
    """Lays out wrapped lines on the PDF and remembers any character the font lacks."""

    def __init__(self, pdf: DocumentPDF, font: ChineseFont) -> None:
        self.pdf = pdf
        self.font = font
        self.missing: set[str] = set()
        self._widths: dict[tuple[float, str], float] = {}

    # measuring

    def width(self, text: str) -> float:
        size = self.pdf.font_size_pt
        total = 0.0
        for char in text:
            key = (size, char)
            if key not in self._widths:
                self._widths[key] = self.pdf.get_string_width(char)
            total += self._widths[key]
        return total

    def line_height(self, size: float = BODY_PT) -> float:
        return size * 0.3528 * 1.75

    def wrap(self, text: str, first: float, rest: float) -> list[str]:
        """Lines of ``text`` no wider than ``first`` (first line) and ``rest`` (the others)."""
        lines: list[str] = []
        current = ""
        current_width = 0.0
        for unit in _breakable_units(text):
            available = first if not lines else rest
            unit_width = self.width(unit)
            if unit == " ":
                if current:
                    current += unit
                    current_width += unit_width
                continue
            if current_width + unit_width <= available + 0.01:
                current += unit
                current_width += unit_width
                continue
            if current.strip():
                lines.append(current.rstrip())
                current, current_width = "", 0.0
                available = rest
            if unit_width <= available + 0.01:
                current, current_width = unit, unit_width
                continue
            # Longer than a whole line (a long number or URL): break it by character.
            for char in unit:
                char_width = self.width(char)
                if current and current_width + char_width > available + 0.01:
                    lines.append(current)
                    current, current_width = "", 0.0
                    available = rest
                current += char
                current_width += char_width
        if current.strip() or not lines:
            lines.append(current.rstrip())
        return lines

    # drawing

    def check_glyphs(self, text: str) -> None:
        for char in text:
            if not char.isspace() and ord(char) not in self.font.codepoints:
                self.missing.add(char)

    def line(
        self, text: str, *, indent: float = 0.0, size: float = BODY_PT, align: str = "L"
    ) -> None:
        text = _clean(text).replace("\n", " ")
        self.check_glyphs(text)
        height = self.line_height(size)
        if self.pdf.will_page_break(height):
            self.pdf.add_page()
        self.pdf.set_font(FAMILY, size=size)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.cell(
            self.pdf.epw - indent, height, text, align=align, new_x="LMARGIN", new_y="NEXT"
        )

    def paragraph(
        self, text: str, *, indent: float = 0.0, hanging: float = 0.0, size: float = BODY_PT
    ) -> None:
        """``text`` wrapped; continuation lines start ``hanging`` mm further right."""
        self.pdf.set_font(FAMILY, size=size)
        for part in _clean(text).split("\n"):
            lines = self.wrap(part, self.pdf.epw - indent, self.pdf.epw - indent - hanging)
            for number, line in enumerate(lines):
                self.line(line, indent=indent + (hanging if number else 0.0), size=size)

    def heading(self, text: str, *, size: float = BODY_PT, align: str = "L") -> None:
        height = self.line_height(size)
        # Keep a heading with at least two lines of what follows it.
        if self.pdf.will_page_break(height + 2 * self.line_height()):
            self.pdf.add_page()
        with self.pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=size * 0.012):
            self.line(text, size=size, align=align)

    def gap(self, millimetres: float) -> None:
        if not self.pdf.will_page_break(millimetres):
            self.pdf.ln(millimetres)

    def signature(self, who: str, label: str) -> None:
        """``who`` and a line to sign on, e.g. "当事人（甲方）：张三　当事人签名（盖章或按指印）：____"."""
        who = _clean(who).replace("\n", " ")
        self.pdf.set_font(FAMILY, size=BODY_PT)
        height = self.line_height() * 1.5
        label_text = f"{label}："
        room = self.pdf.epw - SIGNATURE_RULE
        if self.width(f"{who}　　{label_text}") <= room:
            self.check_glyphs(who + label_text)
            if self.pdf.will_page_break(height):
                self.pdf.add_page()
            self.pdf.set_x(self.pdf.l_margin)
            self.pdf.cell(self.width(who) + 2, height, who)
            self.pdf.set_x(self.pdf.l_margin + room - self.width(label_text))
        else:
            self.paragraph(who)
            self.check_glyphs(label_text)
            if self.pdf.will_page_break(height):
                self.pdf.add_page()
            self.pdf.set_x(self.pdf.l_margin + room - self.width(label_text))
        self.pdf.cell(self.width(label_text), height, label_text)
        baseline = self.pdf.get_y() + height * 0.72
        x = self.pdf.l_margin + room
        self.pdf.line(x, baseline, x + SIGNATURE_RULE, baseline)
        self.pdf.ln(height)


def pdf_language(language: str) -> str:
    # Django's "zh-hans" → BCP 47 "zh-Hans" for the PDF's /Lang.
    subtags = language.split("-")
    return "-".join(
        [subtags[0].lower()]
        + [
            tag.title() if len(tag) == 4 else tag.upper() if len(tag) == 2 else tag
            for tag in subtags[1:]
        ]
    )


def new_document(
    *, number: str, title: str, author: str, language: str = "zh-hans"
) -> tuple[DocumentPDF, Writer]:
    """An A4 document with the Chinese font loaded and the first page started."""
    font = find_chinese_font()
    pdf = DocumentPDF(number)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.c_margin = 0
    pdf.add_font(FAMILY, "", str(font.path), collection_font_number=font.face)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("Xinkan")
    pdf.set_lang(pdf_language(language or "zh-hans"))
    pdf.set_font(FAMILY, size=BODY_PT)
    pdf.add_page()
    return pdf, Writer(pdf, font)


def finish(out: Writer) -> bytes:
    """The PDF's bytes, or FontUnavailable when a character could not be shown."""
    if out.missing:
        raise FontUnavailable(
            _(
                "The font %(font)s cannot show these characters: %(chars)s. "
                "Set XINKAN_PDF_FONT to a font that has them."
            )
            % {"font": out.font.name, "chars": " ".join(sorted(out.missing))}
        )
    return bytes(out.pdf.output())
