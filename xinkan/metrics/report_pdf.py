"""The monthly report (月度工作报告) as a Chinese A4 PDF: the headline figures against the month
before, the twelve-month trend drawn as line charts (fpdf2's drawing primitives, no plotting
library), the units below side by side, the ranking position, and the worst-overdue open cases.

Pure: a dataclass in, bytes out (the figures are computed and formatted by reports.py). Chinese
whatever the interface language, on the shared page machinery of xinkan/core/pdf.py.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from xinkan.core.pdf import (
    BODY_PT,
    FAMILY,
    SMALL_PT,
    DocumentPDF,
    FontUnavailable,
    Writer,
    chinese_date,
    finish,
    new_document,
)

__all__ = ["FontUnavailable", "ReportFacts", "render_monthly_report"]

TABLE_PT = 8.0
CHART_HEIGHT = 52.0  # mm, the plotting area
AXIS_GUTTER = 14.0  # mm left of the plotting area for the axis labels
# Distinct in colour and in print (dark blue, orange, green, purple).
COLOURS = ((31, 78, 140), (214, 120, 22), (40, 140, 70), (120, 60, 150))
GRID_GREY = (200, 200, 200)


@dataclass(frozen=True)
class FigureLine:
    label: str
    current: str
    previous: str
    change: str


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Chart:
    title: str
    months: Sequence[str]
    series: Sequence[Series]
    rates: bool  # 0–100 % on the axis; counts otherwise


@dataclass(frozen=True)
class OverdueLine:
    code: str
    category: str
    unit: str
    days: int


@dataclass(frozen=True)
class ReportFacts:
    number: str
    unit: str
    month: dt.date
    previous_month: dt.date
    generated_at: dt.datetime  # local time
    figures: Sequence[FigureLine]
    charts: Sequence[Chart]
    children_headers: Sequence[str] = field(default_factory=list)
    children: Sequence[Sequence[str]] = field(default_factory=list)
    ranking: str = ""
    overdue: Sequence[OverdueLine] = field(default_factory=list)
    overdue_total: int = 0
    notes: Sequence[str] = field(default_factory=list)


def _month(day: dt.date) -> str:
    return f"{day.year}年{day.month}月"


def title_of(facts: ReportFacts) -> str:
    return f"{facts.unit}{_month(facts.month)}月度工作报告"


# --- Tables ------------------------------------------------------------------------------------


def _table(
    pdf: DocumentPDF,
    out: Writer,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    aligns: Sequence[str],
) -> None:
    """A ruled table whose cells wrap; the header is repeated on each new page."""
    line = out.line_height(TABLE_PT) * 0.8

    def draw(cells: Sequence[str], *, header: bool) -> None:
        pdf.set_font(FAMILY, size=TABLE_PT)  # a new page's header line leaves another size
        wrapped = [
            out.wrap(text, width - 1.5, width - 1.5)
            for text, width in zip(cells, widths, strict=True)
        ]
        height = max(len(lines) for lines in wrapped) * line + 1.5
        if pdf.will_page_break(height):
            pdf.add_page()
            if not header:
                draw(headers, header=True)
        pdf.set_font(FAMILY, size=TABLE_PT)
        x, y = pdf.l_margin, pdf.get_y()
        if header:
            with pdf.local_context(fill_color=(236, 240, 246)):
                pdf.rect(x, y, sum(widths), height, style="F")
        for lines, width, align in zip(wrapped, widths, aligns, strict=True):
            for number, text in enumerate(lines):
                out.check_glyphs(text)
                pdf.set_xy(x + 0.75, y + 0.75 + number * line)
                pdf.cell(width - 1.5, line, text, align="C" if header else align)
            x += width
        with pdf.local_context(draw_color=GRID_GREY, line_width=0.2):
            pdf.line(pdf.l_margin, y + height, pdf.l_margin + sum(widths), y + height)
        pdf.set_xy(pdf.l_margin, y + height)

    draw(headers, header=True)
    for row in rows:
        draw(row, header=False)
    pdf.ln(2)


# --- Charts ------------------------------------------------------------------------------------


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k not below `value` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def _chart(pdf: DocumentPDF, out: Writer, chart: Chart) -> None:
    """A line chart: one line per series over the months, a gap where a value is undefined."""
    legend_rows = 1
    needed = out.line_height(BODY_PT) + CHART_HEIGHT + 12 + legend_rows * 6
    if pdf.will_page_break(needed):
        pdf.add_page()
    out.line(chart.title, size=BODY_PT)
    top = pdf.get_y() + 2
    left = pdf.l_margin + AXIS_GUTTER
    width = pdf.epw - AXIS_GUTTER
    bottom = top + CHART_HEIGHT
    values = [v for series in chart.series for v in series.values if v is not None]
    ceiling = 1.0 if chart.rates else _nice_ceiling(max(values, default=0))
    ticks = 4

    def y_of(value: float) -> float:
        return bottom - (value / ceiling) * CHART_HEIGHT

    count = max(len(chart.months), 1)
    step = width / count

    def x_of(index: int) -> float:
        return left + step * (index + 0.5)

    pdf.set_font(FAMILY, size=SMALL_PT - 1)
    with pdf.local_context(draw_color=GRID_GREY, line_width=0.15):
        for tick in range(ticks + 1):
            level = ceiling * tick / ticks
            y = y_of(level)
            pdf.line(left, y, left + width, y)
            label = f"{level * 100:.0f}%" if chart.rates else f"{level:,.0f}"
            out.check_glyphs(label)
            pdf.text(left - 1.5 - out.width(label), y + 1.1, label)
    with pdf.local_context(draw_color=(90, 90, 90), line_width=0.3):
        pdf.line(left, bottom, left + width, bottom)
    for index, month in enumerate(chart.months):
        out.check_glyphs(month)
        pdf.text(x_of(index) - out.width(month) / 2, bottom + 4, month)

    for number, series in enumerate(chart.series):
        colour = COLOURS[number % len(COLOURS)]
        with pdf.local_context(draw_color=colour, fill_color=colour, line_width=0.5):
            segment: list[tuple[float, float]] = []
            for index, value in enumerate(series.values):
                if value is None:
                    if len(segment) > 1:
                        pdf.polyline(segment)
                    segment = []
                    continue
                point = (x_of(index), y_of(min(max(float(value), 0.0), ceiling)))
                segment.append(point)
                pdf.circle(point[0], point[1], 0.7, style="F")
            if len(segment) > 1:
                pdf.polyline(segment)

    # The legend: a short line in the series' colour, then its name.
    x = left
    y = bottom + 9
    pdf.set_font(FAMILY, size=SMALL_PT)
    for number, series in enumerate(chart.series):
        colour = COLOURS[number % len(COLOURS)]
        with pdf.local_context(draw_color=colour, line_width=0.8):
            pdf.line(x, y - 1.2, x + 6, y - 1.2)
        out.check_glyphs(series.name)
        pdf.text(x + 7.5, y, series.name)
        x += 7.5 + out.width(series.name) + 8
    pdf.set_xy(pdf.l_margin, y + 4)


# --- The document ------------------------------------------------------------------------------


def render_monthly_report(facts: ReportFacts) -> bytes:
    pdf, out = new_document(number=facts.number, title=title_of(facts), author=facts.unit)
    # The unit on its own line: a name ending in a digit ("…1") would run into the year.
    pdf.set_font(FAMILY, size=18)
    for text in (facts.unit, f"{_month(facts.month)}月度工作报告"):
        for line in out.wrap(text, pdf.epw, pdf.epw):
            out.heading(line, size=18, align="C")
    out.gap(1)
    out.line(facts.number, size=SMALL_PT, align="R")
    out.paragraph(
        f"统计期间：{chinese_date(facts.month)}至"
        f"{chinese_date(_last_day(facts.month))}；对比期间：{_month(facts.previous_month)}。"
        f"生成时间：{chinese_date(facts.generated_at.date())} {facts.generated_at:%H:%M}。",
        size=SMALL_PT,
    )
    out.gap(3)

    out.heading("一、主要指标")
    widths = (pdf.epw - 3 * 30.0, 30.0, 30.0, 30.0)
    _table(
        pdf,
        out,
        ("指标", _month(facts.month), _month(facts.previous_month), "变化"),
        [(f.label, f.current, f.previous, f.change) for f in facts.figures],
        widths,
        ("L", "R", "R", "R"),
    )
    out.gap(2)

    out.heading("二、近十二个月趋势")
    for chart in facts.charts:
        _chart(pdf, out, chart)
    out.gap(2)

    number = 3
    if facts.children:
        out.heading(f"{_numeral(number)}、下级单位情况")
        count = len(facts.children_headers) - 1
        first = max(pdf.epw - count * 14.0, 24.0)
        rest = (pdf.epw - first) / count
        _table(
            pdf,
            out,
            facts.children_headers,
            facts.children,
            (first, *([rest] * count)),
            ("L", *(["R"] * count)),
        )
        out.gap(2)
        number += 1

    out.heading(f"{_numeral(number)}、排名情况")
    out.paragraph(facts.ranking or "本单位没有参加排名的同级单位。")
    out.gap(2)
    number += 1

    out.heading(f"{_numeral(number)}、超期未办结事项")
    as_of = f"{chinese_date(facts.generated_at.date())} {facts.generated_at:%H:%M}"
    if facts.overdue:
        shown = len(facts.overdue)
        more = (
            f"共{facts.overdue_total}件，以下为超期时间最长的{shown}件"
            if facts.overdue_total > shown
            else f"共{facts.overdue_total}件"
        )
        out.paragraph(f"截至{as_of}，仍未办结且已超过办理期限的事项{more}：", size=BODY_PT)
        _table(
            pdf,
            out,
            ("编号", "类别", "承办单位", "超期天数"),
            [
                (line.code, line.category, line.unit, f"{line.days}" if line.days else "不足1")
                for line in facts.overdue
            ],
            (38.0, 42.0, pdf.epw - 38.0 - 42.0 - 24.0, 24.0),
            ("L", "L", "L", "R"),
        )
    else:
        out.paragraph(f"截至{as_of}，没有超过办理期限仍未办结的事项。")
    out.gap(3)
    pdf.set_font(FAMILY, size=SMALL_PT)
    for note in facts.notes:
        # "注：1. …" and "2. …": continuation lines align with the text after the number.
        label = note.split(" ", 1)[0] + " " if " " in note[:6] else ""
        out.paragraph(note, size=SMALL_PT, hanging=out.width(label) if label else 0.0)
    return finish(out)


_NUMERALS = "一二三四五六七八九十"


def _numeral(number: int) -> str:
    return _NUMERALS[number - 1] if 0 < number <= len(_NUMERALS) else str(number)


def _last_day(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)
