"""Two printed documents of the volunteers feature, as Chinese A4 PDFs:

- the assistance agreement of a pairing (定向帮扶协议书): who helps whom, with what, how often,
  from when to when, the duties of each side, signatures and the community's seal;
- the volunteer service record certificate (志愿服务记录证明): the hours the issuing unit recorded,
  activity by activity, with the total ("whoever records certifies").

Pure: dataclasses in, bytes out. The documents are Chinese whatever the interface language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from xinkan.core.pdf import (
    SEAL_SPACE,
    TITLE_PT,
    chinese_date,
    chinese_numeral,
    finish,
    new_document,
)


@dataclass(frozen=True)
class AgreementFacts:
    number: str
    community: str  # the unit that witnesses and supervises the agreement
    helper: str  # the volunteer's name, or the team's
    helper_is_team: bool
    helper_leader: str  # the team's leader, who signs for it
    resident: str
    resident_address: str
    need: str
    help: str
    visit_every_days: int
    starts_on: date
    ends_on: date
    signed_on: date


@dataclass(frozen=True)
class CertificateLine:
    served_on: date
    activity: str
    hours: Decimal
    organiser: str


@dataclass(frozen=True)
class CertificateFacts:
    number: str
    issuer: str
    volunteer: str
    joined_on: date
    issued_on: date
    lines: list[CertificateLine] = field(default_factory=list)
    stars: int = 0

    @property
    def total(self) -> Decimal:
        return sum((line.hours for line in self.lines), Decimal("0"))


def _hours(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.1'))}"
    return text[:-2] if text.endswith(".0") else text


def _how_often(days: int) -> str:
    if days == 1:
        return "每天"
    if days == 7:
        return "每周"
    if days in (30, 31):
        return "每月"
    return f"每{days}天"


def render_pairing_agreement(facts: AgreementFacts) -> bytes:
    pdf, out = new_document(
        number=facts.number,
        title=f"定向帮扶协议书 {facts.number}",
        author=facts.community,
    )
    out.heading("定向帮扶协议书", size=TITLE_PT, align="C")
    out.gap(2)
    out.line(facts.number, align="R")
    out.gap(3)
    helper_role = "帮扶方（服务队）" if facts.helper_is_team else "帮扶方（志愿者）"
    out.paragraph(f"甲方 {helper_role}：{facts.helper}")
    if facts.helper_is_team and facts.helper_leader:
        out.paragraph(f"服务队负责人：{facts.helper_leader}", indent=8)
    out.paragraph(f"乙方（受帮扶居民）：{facts.resident}")
    if facts.resident_address:
        out.paragraph(f"住址：{facts.resident_address}", indent=8)
    out.paragraph(f"丙方（见证及监督单位）：{facts.community}")
    out.gap(2)
    out.paragraph(
        "为深入开展“一帮一”结对帮扶活动，经三方协商一致，在自愿、平等的基础上订立本协议。"
    )
    out.gap(2)

    clauses = [
        ("帮扶事项", f"{facts.need}。"),
        ("帮扶内容", facts.help.strip()),
        (
            "帮扶频次",
            f"甲方{_how_often(facts.visit_every_days)}至少走访乙方一次，"
            "每次走访后如实登记走访记录。",
        ),
        (
            "帮扶期限",
            f"自{chinese_date(facts.starts_on)}起至{chinese_date(facts.ends_on)}止。"
            "期满经三方同意可以续签。",
        ),
        (
            "甲方义务",
            "按约定的内容和频次提供帮扶；尊重乙方意愿；对在帮扶中知悉的乙方个人信息"
            "和家庭情况予以保密，不得向他人泄露；帮扶中发现乙方有紧急困难的，及时报告丙方。",
        ),
        (
            "乙方义务",
            "如实反映自身困难和需求，配合甲方开展帮扶；对帮扶有意见的，可以向丙方反映。",
        ),
        (
            "丙方义务",
            "为帮扶提供必要的支持和保障，跟踪帮扶进度，记录并核实甲方的志愿服务时长，"
            "协调解决帮扶中遇到的问题。",
        ),
        (
            "协议变更与终止",
            "任何一方可以提出变更或终止本协议，经丙方协调后办理；"
            "乙方需求已经解决的，本协议自然终止。",
        ),
        ("其他", "本协议为志愿帮扶，甲方不向乙方收取任何费用。本协议一式三份，三方各执一份。"),
    ]
    for number, (title, text) in enumerate(clauses, start=1):
        prefix = f"第{chinese_numeral(number)}条　{title}："
        out.paragraph(prefix + text, hanging=out.width("第一条　"))
    out.paragraph("（以下无正文）")
    body = out.line_height()
    needed = 4 * body * 1.5 + SEAL_SPACE + 4 * body
    if pdf.will_page_break(needed) and needed < pdf.eph:
        pdf.add_page()
    out.gap(6)
    out.signature(f"甲方：{facts.helper}", "签名")
    out.signature(f"乙方：{facts.resident}", "签名（或按指印）")
    out.signature(f"丙方：{facts.community}", "经办人签名")
    out.gap(SEAL_SPACE)
    out.line("（丙方盖章）", align="R")
    out.line(chinese_date(facts.signed_on), align="R")
    return finish(out)


def render_hours_certificate(facts: CertificateFacts) -> bytes:
    pdf, out = new_document(
        number=facts.number, title=f"志愿服务记录证明 {facts.number}", author=facts.issuer
    )
    out.heading("志愿服务记录证明", size=TITLE_PT, align="C")
    out.gap(2)
    out.line(facts.number, align="R")
    out.gap(3)
    first = min((line.served_on for line in facts.lines), default=None)
    last = max((line.served_on for line in facts.lines), default=None)
    period = (
        f"自{chinese_date(first)}至{chinese_date(last)}" if first and last else "截至本证明出具之日"
    )
    out.paragraph(
        f"兹证明志愿者{facts.volunteer}（{chinese_date(facts.joined_on)}登记）"
        f"{period}，参加由本单位组织或记录的志愿服务活动{len(facts.lines)}次，"
        f"累计志愿服务时长{_hours(facts.total)}小时。"
    )
    if facts.stars:
        out.paragraph(f"按累计服务时长认定为{chinese_numeral(facts.stars)}星级志愿者。")
    out.paragraph("具体记录如下：")
    out.gap(2)
    widths = (28.0, pdf.epw - 28.0 - 20.0 - 48.0, 20.0, 48.0)
    height = out.line_height()

    def row(cells: tuple[str, str, str, str], bold: bool = False) -> None:
        if pdf.will_page_break(height):
            pdf.add_page()
        for width, text, align in zip(widths, cells, ("L", "L", "C", "L"), strict=True):
            shown = out.wrap(text, width - 2, width - 2)[0]
            out.check_glyphs(shown)
            pdf.cell(width, height, shown, border="B" if bold else 0, align=align)
        pdf.ln(height)

    row(("日期", "活动", "小时", "组织单位"), bold=True)
    for line in sorted(facts.lines, key=lambda item: item.served_on):
        row((line.served_on.isoformat(), line.activity, _hours(line.hours), line.organiser))
    row(("合计", "", _hours(facts.total), ""), bold=True)
    out.gap(4)
    out.paragraph(
        "本证明依据《志愿服务条例》及志愿服务记录与证明出具的有关规定，"
        "根据本单位如实记录的志愿服务信息出具，免费提供。"
    )
    out.gap(SEAL_SPACE)
    out.line(f"出具单位：{facts.issuer}（盖章）", align="R")
    out.line(chinese_date(facts.issued_on), align="R")
    return finish(out)
