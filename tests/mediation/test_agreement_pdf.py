"""The mediation agreement as a PDF (《人民调解法》 Art. 29, 31, 33): what it says, its font, its pages.

The text is read back out of the PDF with pypdf, so these tests see what a reader of the printed
agreement sees (the ToUnicode map of the embedded font), not what we meant to draw.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.utils import translation

from xinkan.core import pdf as core_pdf
from xinkan.mediation import agreement_pdf
from xinkan.mediation.agreement_pdf import (
    AgreedTerm,
    AgreementDocument,
    FontUnavailable,
    PartyFacts,
    find_chinese_font,
    render_agreement_pdf,
)

JIA = PartyFacts(
    role="当事人（甲方）",
    name="张三",
    gender="男",
    birth_date=date(1970, 1, 2),
    ethnicity="汉族",
    id_number="13010219700102123X",
    address="河北省邯郸市磁县高臾镇东风里社区3号楼2单元501室",
    phone="13800138000",
)
YI = PartyFacts(
    role="当事人（乙方）",
    name="李四",
    gender="女",
    ethnicity="回族",
    id_number="130102198505051234",
    address="河北省邯郸市磁县高臾镇东风里社区3号楼2单元401室",
    phone="13900139000",
    representative="王五",
)
FACTS = (
    "2026年1月起，乙方家卫生间防水层破损，渗水至甲方家，造成甲方卫生间吊顶霉变脱落。"
    "甲方多次找乙方协商未果，于2026年2月10日向社区申请调解。"
)
POINTS = "漏水损失的赔偿数额及修复责任。"
RESPONSIBILITIES = "乙方对漏水负主要责任，甲方未及时告知物业亦有一定责任。"
REPAIR = AgreedTerm(
    text="乙方修复甲方卫生间因漏水损坏的吊顶。", due=date(2026, 3, 31), how="乙方自行雇工修复"
)
PAYMENT = AgreedTerm(text="乙方赔偿甲方损失人民币2000元。", due=date(2026, 3, 15), how="一次性转账")


def agreement(**changes: Any) -> AgreementDocument:
    document = AgreementDocument(
        number="东风调字〔2026〕第12号",
        committee="东风街道人民调解委员会",
        dispute_type="邻里纠纷",
        parties=[JIA, YI],
        facts=FACTS,
        points_at_issue=POINTS,
        responsibilities=RESPONSIBILITIES,
        terms=[REPAIR, PAYMENT],
        performance="以上款项转入甲方指定的银行账户，修复完成后由社区网格员到场查看。",
        mediators=["赵六", "钱七"],
        signed_on=date(2026, 3, 5),
        place="东风街道人民调解室",
    )
    return dataclasses.replace(document, **changes)


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Text without the line breaks and spaces that wrapping puts in."""
    return re.sub(r"\s+", "", text)


def body(pages: list[str], number: str) -> str:
    """All pages' text without the page-number footers and the number repeated atop later pages."""
    kept = []
    for index, text in enumerate(pages, start=1):
        lines = text.splitlines()
        if index > 1 and lines and lines[0].strip() == number:
            lines = lines[1:]
        footer = f"第 {index} 页 共 {len(pages)} 页"
        kept.extend(line for line in lines if line.strip() != footer)
    return "\n".join(kept)


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """The refusals are compared by their English text (their msgids)."""
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def standard() -> list[str]:
    return pages_of(render_agreement_pdf(agreement()))


@pytest.fixture
def fresh_font_cache() -> Iterator[None]:
    core_pdf._locate_font.cache_clear()
    yield
    core_pdf._locate_font.cache_clear()


# --- What the agreement says -------------------------------------------------------------------


def test_the_agreement_has_its_title_number_committee_and_dispute_type(standard: list[str]) -> None:
    first_lines = standard[0].splitlines()
    assert first_lines[0].strip() == "人民调解协议书"
    assert first_lines[1].strip() == "东风调字〔2026〕第12号"
    text = flat("".join(standard))
    assert "调解组织：东风街道人民调解委员会" in text
    assert "纠纷类型：邻里纠纷" in text


def test_the_agreement_names_every_party_with_their_details(standard: list[str]) -> None:
    text = flat("".join(standard))
    assert (
        "当事人（甲方）：张三，性别：男，民族：汉族，出生日期：1970年1月2日，"
        "公民身份号码：13010219700102123X，住址：河北省邯郸市磁县高臾镇东风里社区3号楼2单元501室，"
        "联系电话：13800138000。"
    ) in text
    assert (
        "当事人（乙方）：李四，性别：女，民族：回族，公民身份号码：130102198505051234，"
        "住址：河北省邯郸市磁县高臾镇东风里社区3号楼2单元401室，联系电话：13900139000。"
    ) in text
    assert "委托代理人（代表人）：王五。" in text


def test_a_party_with_only_a_name_is_printed_without_empty_fields() -> None:
    bare = PartyFacts(role="当事人（乙方）", name="某某物业服务有限公司")
    text = flat("".join(pages_of(render_agreement_pdf(agreement(parties=[JIA, bare])))))
    assert "当事人（乙方）：某某物业服务有限公司。" in text
    assert "公民身份号码：，" not in text


def test_the_agreement_states_the_facts_points_at_issue_and_responsibilities(
    standard: list[str],
) -> None:
    text = flat("".join(standard))
    assert f"纠纷主要事实、争议事项纠纷主要事实：{FACTS}争议事项：{POINTS}" in text
    assert f"各方当事人的责任{RESPONSIBILITIES}" in text


def test_the_responsibilities_section_is_left_out_when_none_are_given() -> None:
    text = flat("".join(pages_of(render_agreement_pdf(agreement(responsibilities=" ")))))
    assert "各方当事人的责任" not in text
    assert f"争议事项：{POINTS}协议内容" in text


def test_every_term_is_numbered_with_how_and_by_when_it_is_performed(standard: list[str]) -> None:
    text = flat("".join(standard))
    assert (
        "各方当事人自愿达成如下协议："
        "一、乙方修复甲方卫生间因漏水损坏的吊顶。履行方式：乙方自行雇工修复；履行期限：2026年3月31日前。"
        "二、乙方赔偿甲方损失人民币2000元。履行方式：一次性转账；履行期限：2026年3月15日前。"
        "履行方式、时限以上款项转入甲方指定的银行账户，修复完成后由社区网格员到场查看。"
    ) in text


def test_a_term_without_its_own_performance_relies_on_the_overall_paragraph() -> None:
    plain = AgreedTerm(text="双方今后和睦相处。")
    text = flat("".join(pages_of(render_agreement_pdf(agreement(terms=[plain, PAYMENT])))))
    assert "一、双方今后和睦相处。二、乙方赔偿甲方" in text
    assert "履行方式、时限以上款项转入甲方指定的银行账户" in text


def test_without_an_overall_performance_the_terms_own_are_referred_to() -> None:
    text = flat("".join(pages_of(render_agreement_pdf(agreement(performance="")))))
    assert "履行方式、时限各项协议内容按上列约定的履行方式和期限履行。" in text


def test_the_agreement_says_when_it_takes_effect_and_how_to_have_it_confirmed(
    standard: list[str],
) -> None:
    text = flat("".join(standard))
    assert (
        "本协议自各方当事人签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章之日起生效。"
    ) in text
    assert "双方当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认" in text
    assert "《中华人民共和国人民调解法》第三十三条" in text
    assert "本协议一式三份，各方当事人和人民调解委员会各执一份。" in text


@pytest.mark.parametrize(
    ("parties", "copies", "sentence"),
    [
        (3, 4, "本协议一式四份，各方当事人和人民调解委员会各执一份。"),
        (2, 5, "本协议一式五份。"),
        (2, 12, "本协议一式十二份。"),
    ],
)
def test_the_number_of_copies_is_written_in_chinese(
    parties: int, copies: int, sentence: str
) -> None:
    third = PartyFacts(role="当事人（丙方）", name="孙八")
    document = agreement(parties=[JIA, YI, third][:parties], copies=copies)
    assert sentence in flat("".join(pages_of(render_agreement_pdf(document))))


def test_every_party_and_mediator_has_a_line_to_sign_on(standard: list[str]) -> None:
    lines = [line.strip() for line in "\n".join(standard).splitlines()]
    party_lines = [line for line in lines if "当事人签名（盖章或按指印）：" in line]
    mediator_lines = [line for line in lines if "调解员签名：" in line]
    assert [flat(line) for line in party_lines] == [
        "当事人（甲方）：张三当事人签名（盖章或按指印）：",
        "当事人（乙方）：李四当事人签名（盖章或按指印）：",
    ]
    assert [flat(line) for line in mediator_lines] == [
        "调解员：赵六调解员签名：",
        "调解员：钱七调解员签名：",
    ]
    assert any(flat(line) == "委托代理人（代表人）：王五代理人签名：" for line in lines)


def test_the_seal_place_and_date_close_the_agreement(standard: list[str]) -> None:
    last_lines = [
        line.strip() for line in standard[-1].splitlines() if line.strip() and "页" not in line
    ]
    assert last_lines[-4:] == [
        "人民调解委员会（印章）",
        "东风街道人民调解委员会",
        "签订地点：东风街道人民调解室",
        "2026年3月5日",
    ]


@pytest.mark.parametrize("fact_lines", range(0, 31, 6))
def test_the_signatures_are_kept_on_one_page_with_the_seal(fact_lines: int) -> None:
    # Longer and longer facts push the signatures across every height of a page; some of these
    # would break inside the signatures if they were not kept together.
    facts = "\n".join(f"第{line}条事实。" for line in range(fact_lines + 1))
    last = pages_of(render_agreement_pdf(agreement(facts=facts)))[-1]
    assert last.count("当事人签名（盖章或按指印）：") == 2
    assert last.count("调解员签名：") == 2
    assert "人民调解委员会（印章）" in last


# --- The font ----------------------------------------------------------------------------------


def test_the_chinese_font_is_embedded_as_a_subset() -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_agreement_pdf(agreement())))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert fonts, "the PDF uses no font at all"
    for name, font in fonts.items():
        # No standard-14 or other non-embedded font that a viewer would have to substitute.
        assert font["/Subtype"] == "/Type0", name
        assert font["/Encoding"] == "/Identity-H", name
        assert "/ToUnicode" in font, name
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        embedded = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
        assert embedded is not None, f"{name} is not embedded"
        assert len(embedded.get_object().get_data()) > 1000, name
        assert re.fullmatch(r"/[A-Z]{6}\+.+", name), f"{name} is not a subset"


def test_the_whole_font_is_not_embedded() -> None:
    # A subset keeps an agreement at tens of kilobytes, not the 5 MB of a CJK font.
    assert len(render_agreement_pdf(agreement())) < 200_000


def test_the_configured_font_is_used(settings: Any, fresh_font_cache: None) -> None:
    path = find_chinese_font().path  # whichever font this machine has
    settings.XINKAN_PDF_FONT = str(path)
    font = find_chinese_font()
    assert font.path == path
    assert ord("调") in font.codepoints


def test_a_configured_font_that_does_not_exist_is_refused(
    settings: Any, fresh_font_cache: None
) -> None:
    settings.XINKAN_PDF_FONT = "/nonexistent/fonts/NotoSansCJK-Regular.ttc"
    with pytest.raises(FontUnavailable, match="XINKAN_PDF_FONT"):
        render_agreement_pdf(agreement())


def test_a_configured_font_without_chinese_characters_is_refused(
    settings: Any, fresh_font_cache: None, tmp_path: Path
) -> None:
    settings.XINKAN_PDF_FONT = str(latin_only_font(tmp_path / "latin.ttf"))
    with pytest.raises(FontUnavailable, match="no Chinese characters"):
        render_agreement_pdf(agreement())


def test_without_any_chinese_font_nothing_is_printed(
    settings: Any, fresh_font_cache: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings.XINKAN_PDF_FONT = ""
    latin = latin_only_font(tmp_path / "latin.ttf")
    monkeypatch.setattr(core_pdf, "WELL_KNOWN_FONTS", (str(tmp_path / "missing.ttc"),))
    monkeypatch.setattr(core_pdf.shutil, "which", lambda name: None)
    with pytest.raises(FontUnavailable) as refused:
        render_agreement_pdf(agreement())
    assert str(refused.value) == (
        "No Chinese font is installed for PDF documents. "
        "Install fonts-wqy-microhei or set XINKAN_PDF_FONT."
    )
    # fc-match's answer is only taken when it is a Chinese font.
    monkeypatch.setattr(core_pdf, "_candidate_paths", lambda: iter([latin]))
    core_pdf._locate_font.cache_clear()
    with pytest.raises(FontUnavailable):
        find_chinese_font()


def test_a_character_the_font_lacks_is_refused_rather_than_printed_as_a_box() -> None:
    font = find_chinese_font()
    rare = next(
        char for char in "𠮷䶮㐂𪚥𱁬" if ord(char) not in font.codepoints
    )  # rare characters in names; a font lacking all of them is the usual case
    named = dataclasses.replace(YI, name=f"李{rare}")
    with pytest.raises(FontUnavailable, match=rare):
        render_agreement_pdf(agreement(parties=[JIA, named]))


def latin_only_font(path: Path) -> Path:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    pen.moveTo((0, 0))
    pen.lineTo((500, 0))
    pen.lineTo((500, 700))
    pen.closePath()
    glyph = pen.glyph()
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "A"])
    builder.setupCharacterMap({ord("A"): "A"})
    builder.setupGlyf({".notdef": glyph, "A": glyph})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "A": (500, 0)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Latin Only", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(str(path))
    return path


# --- Long agreements ---------------------------------------------------------------------------


def test_a_long_agreement_runs_over_numbered_pages_and_loses_no_text() -> None:
    facts = "".join(
        f"第{i}次协商时，甲方提出乙方应当承担修复费用和误工损失，乙方认为损失系房屋老化所致。"
        for i in range(1, 41)
    )
    terms = [
        AgreedTerm(
            text=f"第{i}项：乙方向甲方支付分期款项人民币{i * 150}元，作为第{i}期补偿。",
            due=date(2026, 1 + i % 12, 1 + i % 28),
            how="银行转账",
        )
        for i in range(1, 46)
    ]
    document = agreement(facts=facts, terms=terms)
    pages = pages_of(render_agreement_pdf(document))

    assert len(pages) >= 4
    for index, text in enumerate(pages, start=1):
        assert f"第 {index} 页 共 {len(pages)} 页" in text
        if index > 1:
            assert text.splitlines()[0].strip() == document.number
    text = flat(body(pages, document.number))
    assert f"纠纷主要事实：{facts}争议事项" in text
    position = 0
    for number, term in enumerate(terms, start=1):
        printed = (
            f"{agreement_pdf.chinese_numeral(number)}、{term.text}"
            f"履行方式：银行转账；履行期限：{agreement_pdf.chinese_date(term.due)}前。"
        )
        found = text.find(printed, position)
        assert found > position, f"term {number} is missing or out of order"
        position = found
    assert text.endswith(
        "人民调解委员会（印章）东风街道人民调解委员会签订地点：东风街道人民调解室2026年3月5日"
    )


def test_wrapped_lines_never_split_a_date_or_an_id_number_nor_start_with_a_comma() -> None:
    # Fragments of every length, so that dates and ID numbers fall at every place on a line.
    facts = "".join(
        "调" * (i % 13)
        + f"于2026年{1 + i % 12}月{10 + i % 19}日核对身份证号{130102197001020000 + i}，"
        for i in range(60)
    )
    pages = pages_of(render_agreement_pdf(agreement(facts=facts)))
    lines = [line.strip() for page in pages for line in page.splitlines()]

    for pattern in (r"\d{4}年\d{1,2}月\d{1,2}日", r"\d{18}"):
        expected = re.findall(pattern, facts)
        printed = [match for line in lines for match in re.findall(pattern, line)]
        assert [item for item in printed if item in expected] == expected, pattern
    assert not [line for line in lines if line[:1] in "，。、；：）》"]


def test_text_with_line_breaks_keeps_its_paragraphs() -> None:
    facts = "第一段事实。\n第二段事实。"
    lines = [
        line.strip()
        for page in pages_of(render_agreement_pdf(agreement(facts=facts)))
        for line in page.splitlines()
    ]
    assert "纠纷主要事实：第一段事实。" in lines
    assert "第二段事实。" in lines


# --- What is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1])
def test_an_agreement_needs_at_least_two_parties(count: int) -> None:
    with pytest.raises(ValueError, match="at least two parties"):
        render_agreement_pdf(agreement(parties=[JIA][:count]))


def test_an_agreement_needs_at_least_one_term() -> None:
    with pytest.raises(ValueError, match="at least one agreed term"):
        render_agreement_pdf(agreement(terms=[]))


def test_an_agreement_needs_a_mediator_to_sign_it() -> None:
    with pytest.raises(ValueError, match="mediator"):
        render_agreement_pdf(agreement(mediators=[" "]))


def test_an_agreement_must_say_how_and_by_when_it_is_performed() -> None:
    with pytest.raises(ValueError, match="how and by when"):
        render_agreement_pdf(agreement(terms=[AgreedTerm(text="双方和睦相处。")], performance=""))
