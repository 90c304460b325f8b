"""The mediation agreement (人民调解协议书, 《人民调解法》 Art. 29) as an A4 PDF.

Pure: plain dataclasses in, PDF bytes out — no database, no models. The caller has already
checked who may print the agreement and written the audit entry.

The document is Chinese whatever the interface language, so the headings below are Chinese
literals, not translation strings. The font is a system CJK font, embedded as a subset: an
agreement opened on a machine without that font must still show every character, and a PDF
without a usable font is refused rather than printed with boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from xinkan.core.pdf import (
    BODY_PT,
    FAMILY,
    SEAL_SPACE,
    TITLE_PT,
    FontUnavailable,
    chinese_date,
    chinese_numeral,
    find_chinese_font,
    finish,
    new_document,
)

__all__ = [
    "AgreedTerm",
    "AgreementDocument",
    "FontUnavailable",
    "PartyFacts",
    "chinese_date",
    "chinese_numeral",
    "find_chinese_font",
    "render_agreement_pdf",
]


@dataclass(frozen=True)
class PartyFacts:
    """当事人基本情况 (Art. 29). ``role`` comes translated from the caller, e.g. "当事人（甲方）"."""

    role: str
    name: str
    gender: str = ""
    birth_date: date | None = None
    ethnicity: str = ""
    id_number: str = ""  # printed in full: the parties sign this document
    address: str = ""
    phone: str = ""
    representative: str = ""  # 委托代理人 / 代表人


@dataclass(frozen=True)
class AgreedTerm:
    text: str
    due: date | None = None
    how: str = ""


@dataclass(frozen=True)
class AgreementDocument:
    number: str
    committee: str
    dispute_type: str
    parties: list[PartyFacts]
    facts: str
    points_at_issue: str
    responsibilities: str
    terms: list[AgreedTerm]
    performance: str
    mediators: list[str]
    signed_on: date
    place: str = ""
    copies: int = 3
    language: str = "zh-hans"


def _validate(document: AgreementDocument) -> None:
    if len(document.parties) < 2:
        raise ValueError(
            _("A mediation agreement needs at least two parties; %(count)d given.")
            % {"count": len(document.parties)}
        )
    if not document.terms:
        raise ValueError(_("A mediation agreement needs at least one agreed term."))
    if any(not party.name.strip() for party in document.parties):
        raise ValueError(_("Every party to a mediation agreement needs a name."))
    if any(not term.text.strip() for term in document.terms):
        raise ValueError(_("Every term of a mediation agreement needs its text."))
    if not document.facts.strip() or not document.points_at_issue.strip():
        raise ValueError(
            _("A mediation agreement states the main facts of the dispute and the points at issue.")
        )
    if not any(name.strip() for name in document.mediators):
        raise ValueError(_("A mediation agreement needs the mediator who signs it."))
    if not document.performance.strip() and any(
        term.due is None and not term.how.strip() for term in document.terms
    ):
        raise ValueError(
            _("Say how and by when the agreement is performed: overall, or for every term.")
        )
    if document.copies < 1:
        raise ValueError(_("A mediation agreement is made in at least one copy."))


def _party_line(party: PartyFacts) -> str:
    details = [f"{party.role}：{party.name.strip()}"]
    if party.gender:
        details.append(f"性别：{party.gender}")
    if party.ethnicity:
        details.append(f"民族：{party.ethnicity}")
    if party.birth_date:
        details.append(f"出生日期：{chinese_date(party.birth_date)}")
    if party.id_number:
        details.append(f"公民身份号码：{party.id_number}")
    if party.address:
        details.append(f"住址：{party.address}")
    if party.phone:
        details.append(f"联系电话：{party.phone}")
    return "，".join(details) + "。"


def _term_performance(term: AgreedTerm) -> str:
    parts = []
    if term.how.strip():
        parts.append(f"履行方式：{term.how.strip()}")
    if term.due:
        parts.append(f"履行期限：{chinese_date(term.due)}前")
    return "；".join(parts) + "。" if parts else ""


def render_agreement_pdf(document: AgreementDocument) -> bytes:
    """The signed-paper form of an agreement: A4, Chinese, font embedded, pages numbered.

    Raises ValueError when the agreement lacks what Art. 29 requires (two parties, a term, ...)
    and FontUnavailable when no font can show its characters.
    """
    _validate(document)
    pdf, out = new_document(
        number=document.number,
        title=f"人民调解协议书 {document.number}",
        author=document.committee,
        language=document.language,
    )
    body = out.line_height()
    parties = document.parties

    out.heading("人民调解协议书", size=TITLE_PT, align="C")
    out.gap(2)
    out.line(document.number, align="R")
    out.gap(3)

    out.heading("当事人基本情况")
    for party in parties:
        out.paragraph(_party_line(party))
        if party.representative.strip():
            out.paragraph(f"委托代理人（代表人）：{party.representative.strip()}。", indent=8)
    out.gap(2)
    out.paragraph(f"调解组织：{document.committee}")
    out.paragraph(f"纠纷类型：{document.dispute_type}")
    out.gap(2)

    out.heading("纠纷主要事实、争议事项")
    out.paragraph(f"纠纷主要事实：{document.facts.strip()}")
    out.paragraph(f"争议事项：{document.points_at_issue.strip()}")
    out.gap(2)

    if document.responsibilities.strip():
        out.heading("各方当事人的责任")
        out.paragraph(document.responsibilities.strip())
        out.gap(2)

    out.heading("协议内容")
    out.paragraph("经人民调解委员会主持调解，各方当事人自愿达成如下协议：")
    pdf.set_font(FAMILY, size=BODY_PT)
    for number, term in enumerate(document.terms, start=1):
        prefix = f"{chinese_numeral(number)}、"
        hanging = out.width(prefix)
        out.paragraph(prefix + term.text.strip(), hanging=hanging)
        performance = _term_performance(term)
        if performance:
            out.paragraph(performance, indent=hanging)
    out.gap(2)

    out.heading("履行方式、时限")
    out.paragraph(document.performance.strip() or "各项协议内容按上列约定的履行方式和期限履行。")
    out.gap(2)

    out.heading("协议效力")
    copies = chinese_numeral(document.copies)
    holders = "，各方当事人和人民调解委员会各执一份" if document.copies == len(parties) + 1 else ""
    for sentence in (
        "本协议自各方当事人签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章之日起生效。",
        "经人民调解委员会调解达成的调解协议，具有法律约束力，当事人应当按照约定履行；"
        "人民调解委员会对协议的履行情况进行监督，督促当事人履行约定的义务。",
        "双方当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认"
        "（《中华人民共和国人民调解法》第三十三条）。",
        f"本协议一式{copies}份{holders}。",
    ):
        out.paragraph(sentence)
    out.paragraph("（以下无正文）")

    # The signatures stay together on one page when they fit on one.
    mediators = [name.strip() for name in document.mediators if name.strip()]
    representatives = [party for party in parties if party.representative.strip()]
    signature_height = (
        (len(parties) + len(representatives) + len(mediators)) * body * 1.5
        + SEAL_SPACE
        + 4 * body
        + 6
    )
    if pdf.will_page_break(signature_height) and signature_height < pdf.eph:
        pdf.add_page()
    out.gap(6)
    for party in parties:
        out.signature(f"{party.role}：{party.name.strip()}", "当事人签名（盖章或按指印）")
        if party.representative.strip():
            out.signature(f"委托代理人（代表人）：{party.representative.strip()}", "代理人签名")
    for name in mediators:
        out.signature(f"调解员：{name}", "调解员签名")
    out.gap(SEAL_SPACE)
    for text in (
        "人民调解委员会（印章）",
        document.committee,
        *((f"签订地点：{document.place.strip()}",) if document.place.strip() else ()),
        chinese_date(document.signed_on),
    ):
        out.line(text, align="R")

    return finish(out)
