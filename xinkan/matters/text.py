"""Chinese text for search and duplicate detection.

Search uses jieba words (`words`, `search_text`). Duplicate detection (`features`, `similarity`,
`best_matches`) compares what two descriptions are about rather than how they are worded:

- concepts: a small lexicon of the things and problems residents bring (电梯, 暖气不热, 楼道堆物,
  拖欠工资 …), each with the many ways people say it (坏了/停运/不动了/故障), weighted heavily;
- words: every 2–3 character run of the text that is a word of jieba's dictionary (no segmenting,
  which is the slow part of jieba), weighted by how rare the word is, so "面包车" counts and "已经"
  does not; they carry matters the lexicon does not know;
- marks: building, entrance, flat, road and house numbers, and the member of a few families of
  alternatives (低保 / 临时救助 / 医保 …; 物业费 / 停车费 …). When both texts name one of these and
  each names something the other does not (3号楼 vs 5号楼, 低保 vs 临时救助), the score is cut hard.

Similarity is a weighted Jaccard over concepts and words, times the cut for each such contrast.
Measured on tests/matters/data/duplicate_pairs.json by tests/matters/test_duplicate_finder.py; the
thresholds live in xinkan/matters/services/intake.py. Descriptions outside the lexicon are compared
on their words only, which scores rewordings lower: extend CONCEPTS (and the pairs) rather than
lowering the thresholds.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_ready = False

# Words that say nothing about which matter it is.
STOP_WORDS = frozenset(
    """的 了 是 在 我 我们 你 你们 他 她 它 他们 这 那 有 和 与 及 或 也 都 就 还 又 很 太 非常 没有 没 不 吧 吗 呢 啊
    一个 一下 一些 这个 那个 什么 怎么 为什么 因为 所以 但是 可是 而且 已经 现在 今天 昨天 问题 情况 反映 希望 请 请求
    要求 帮助 解决 处理 相关 部门 领导 一直 多次 还是 能 能否 可以 需要 进行 对 把 被 给 让 从 到 上 下 里 中 去 来
    好 大 小 多 少 说 看 想 会 要 应该 居民 群众 家里 家 年 月 日 号 天""".split()  # noqa: SIM905
)
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


# High enough that jieba keeps the word whole ("路灯不亮" → 路灯 / 不亮, not 路 / 灯不亮).
DOMAIN_WORD_FREQ = 20_000
_WORDS_FILE = Path(__file__).parent / "data" / "words.txt"


def domain_words() -> list[str]:
    """The words of grassroots governance (data/words.txt) that jieba must know."""
    lines = _WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.split()[0] for line in lines if line.strip() and not line.startswith("#")]


# The general dictionary's counts of the entries the domain words changed (None: it had none),
# and its total: duplicate detection weighs words by the general dictionary's statistics, on
# which its thresholds were measured; the domain words serve segmentation (search) only.
_general_freq: dict[str, int | None] = {}
_general_total = 0


def _add_domain_words(jieba: Any) -> None:
    global _general_total
    dt = jieba.dt
    _general_total = dt.total
    for word in domain_words():
        for end in range(1, len(word) + 1):
            _general_freq.setdefault(word[:end], dt.FREQ.get(word[:end]))
        jieba.add_word(word, freq=max(dt.FREQ.get(word) or 0, DOMAIN_WORD_FREQ))


def _jieba():  # type: ignore[no-untyped-def]
    import jieba  # type: ignore[import-untyped]

    global _ready
    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _add_domain_words(jieba)
                _ready = True
    return jieba


def words(text: str) -> list[str]:
    """Meaningful jieba words of `text` (search mode), lower-cased, without stop words."""
    jieba = _jieba()
    result = []
    for token in jieba.cut_for_search(text):
        token = token.strip().lower()
        if not token or _PUNCT.fullmatch(token) or token in STOP_WORDS:
            continue
        result.append(token)
    return result


def bigrams(text: str) -> list[str]:
    compact = _PUNCT.sub("", text.lower())
    return [compact[i : i + 2] for i in range(len(compact) - 1)]


def search_text(*parts: str) -> str:
    """The space-separated words stored with a matter for full-text search."""
    seen: dict[str, None] = {}
    for part in parts:
        for word in words(part):
            seen.setdefault(word, None)
    return " ".join(seen)


# --- Duplicate detection ---------------------------------------------------------------------

# Misspellings common enough in hotline transcripts to be worth fixing before anything else.
TYPOS = {
    "电悌": "电梯",
    "暖汽": "暖气",
    "楼导": "楼道",
    "下水到": "下水道",
    "拉圾": "垃圾",
    "扰名": "扰民",
    "低包": "低保",
    "物业废": "物业费",
}
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGIT.update({"七": 7, "八": 8, "九": 9})
# One pass over the text: a misspelling, a flat written 6-1-502, or a number in words before 号楼,
# 栋, 单元, 楼 or 层 (五号楼, 二单元, 十二楼).
_NORMALISE = re.compile(
    "(?P<typo>" + "|".join(map(re.escape, TYPOS)) + ")"
    r"|(?<![\d.])(?P<building>\d{1,3})-(?P<entrance>\d{1,2})-(?P<flat>\d{3,4})(?![\d.])"
    r"|(?P<numeral>[一二两三四五六七八九十]{1,3})(?=号楼|栋|幢|单元|楼(?![上下道梯顶房])|层)"
)

_FULL_WIDTH = re.compile("[\u3000\uff03\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")  # not ，：（）

# Numbers and names that tell one place from another: 3号楼, 2单元 / 东单元, flat 402 or 1602 (a
# floor, a 0, a door — not 4500 元, 2023 年, 32000), 建设路, 幸福路28号.
_MARK = re.compile(
    r"(?<![\d.])(?P<building>\d{1,3})(?:号楼|栋|幢|#楼|#)"
    r"|(?<![\d.])(?P<entrance>\d{1,2})单元|(?P<side>[东西南北中])边?单元"
    r"|(?<![\d.])(?P<flat>[1-9]\d?0[1-9])"
    r"(?![\d.]|元|块|年|平|米|度|号楼|栋|路|个|多|万|人|次|天|公里|吨|分)"
    r"|(?P<road>[\u4e00-\u9fff]{2})(?:路|街|大道|巷|胡同)"
    r"(?=和|与|、|交叉|路口|口|上|边|旁|附近|\d|[东西南北]|段|的|沿|菜|市场|小学|[，。,.；;]|$)"
    r"|(?<=[路街巷道])(?P<house>\d{1,4})号(?!楼)"
)
_ANY_MARK = re.compile(r"\d|单元|路|街|巷|胡同")
_NOT_ROAD = set("马道走线公小大土山水铁网出门回半一那这条段些夜时")  # 走夜路, 过马路, 上学时路…
_NUMBER = re.compile(r"\d+(?:\.\d+)?")

# (tag, pattern, family): what residents bring and what is wrong, each with the ways they say it.
# A pattern is searched in the normalised text. Tags of one family are alternatives: two texts
# naming different members (and none in common) are about different matters. Family "-" marks a
# detail (坏了, 晚上, 老人): weighted less, it supports a match but does not make one. Domain
# knowledge, not fitted to single pairs; add what intake staff meet, with pairs that show it.
CONCEPTS: tuple[tuple[str, str, str], ...] = (
    # lifts
    ("电梯", r"电梯|直梯|轿厢", ""),
    ("困人", r"困人|被困|困在|关在里面|卡在", "电梯"),
    ("年检", r"年检|合格证|检验报告|维保记录", "电梯"),
    ("按钮", r"按钮|按键|按几楼", "电梯"),
    ("广告屏", r"广告屏|电梯.{0,6}广告", "电梯"),
    ("加装电梯", r"加装|增设电梯", "电梯"),
    # heating, gas, water, power
    ("供暖", r"暖气|供暖|采暖|取暖|供热|热力|地暖", ""),
    ("不热", r"不热|不够热|温度低|\d+度|冻|不达标|上热下凉|下面凉|冷(?!凝)", ""),
    ("锅炉", r"锅炉|换热站", ""),
    ("燃气", r"燃气|煤气|天然气|液化气", ""),
    ("漏气", r"漏气|泄漏|煤气味|燃气味|气味.{0,3}[大重浓]", ""),
    ("停水", r"停水|没水|断水|不来水|来水", "供水"),
    ("水压", r"水压|水流很?小|上不去水|水太小", "供水"),
    ("水质", r"水质|发黄|发浑|浑浊|铁锈|黄水", "供水"),
    ("停电", r"停电|断电|跳闸|没电", ""),
    # lights
    ("路灯", r"路灯", ""),
    ("楼道灯", r"楼道灯|声控灯|感应灯|楼梯灯", ""),
    ("不亮", r"不亮|黑乎乎|黑灯瞎火|看不见|一片黑", "灯"),
    ("常亮", r"白天.{0,4}亮|一直亮|长明", "灯"),
    ("闪烁", r"一闪一闪|忽明忽暗|闪烁|一亮一灭", "灯"),
    # stairwells, fire
    ("楼道", r"楼道|楼梯间|过道|走廊|楼梯口", ""),
    ("堆物", r"堆满|堆放|堆了|堆在|杂物|纸箱|纸壳|旧家具|旧沙发|一大堆|堆成|鞋柜", "楼道"),
    ("充电", r"充电|飞线|拉线", "楼道"),
    ("消防通道", r"消防车?通道|生命通道", ""),
    ("火灾", r"(?<!不)着火|火灾|失火|起火|消防隐患", ""),
    # waste and drains
    ("垃圾", r"垃圾", ""),
    ("装修垃圾", r"装修垃圾|建筑垃圾|碎砖|砖头|水泥块", "垃圾"),
    ("垃圾桶", r"垃圾桶|垃圾箱|分类桶", "垃圾"),
    ("没清运", r"没人拉|没清运|不清运|没人倒|没清理|不清理|没运走|没拉走|没人收", ""),
    ("下水道", r"下水道|下水管|排污|污水管|地漏|返水|排水管", ""),
    (
        "堵塞",
        r"堵塞|不通|返水|冒出来|往上返|溢出|往外冒|溢|(?:下水道|下水|管道|马桶|地漏).{0,2}堵",
        "",
    ),
    ("化粪池", r"化粪池", ""),
    ("井盖", r"井盖|窨井", ""),
    ("道路破损", r"坑洼|路面破损|路面塌陷|塌陷|大坑|路面.{0,3}坏", ""),
    # leaks
    ("漏水", r"漏水|渗水|滴水|漏雨|淌水|往下滴|水渍|进水|(?<!泄)漏(?![电气])", ""),
    ("屋面", r"屋面|漏雨|防水层|(?:屋顶|楼顶|顶楼|顶层).{0,6}漏", "漏点"),
    ("卫生间", r"卫生间|厕所|马桶|浴室", "漏点"),
    ("厨房", r"厨房", "漏点"),
    ("爆管", r"爆了|爆裂|爆管", "漏点"),
    ("积水", r"积水|被淹|淹了|水漫|泡了|被泡|泡坏", ""),
    ("发霉", r"发霉|长毛|霉", ""),
    ("裂缝", r"裂缝|裂了|开裂|裂开", ""),
    ("地下室", r"地下室|储藏室", ""),
    # noise and its sources
    ("噪音", r"噪音|噪声|吵|扰民|声音.{0,2}大|嗡嗡|咣咣|(?<!影)响(?!应)", ""),
    ("广场舞", r"广场舞|跳舞", "声源"),
    ("晨练", r"太极|舞剑|晨练|健身操", "声源"),
    ("麻将", r"麻将|棋牌", "声源"),
    ("娱乐场所", r"ktv|酒吧|歌厅|迪厅", "声源"),
    ("喇叭", r"喇叭|促销|叫卖", "声源"),
    ("空调外机", r"外机|室外机", "声源"),
    ("装修", r"装修", "声源"),
    ("工地", r"工地|施工|打桩", ""),
    ("渣土", r"渣土|篷布|撒漏|泥土", ""),
    ("扬尘", r"扬尘|灰尘|灰太大|尘土|一层土|厚厚的灰|降尘|洒水", ""),
    ("油烟", r"油烟|排烟|烟味", ""),
    ("餐饮", r"烧烤|饭馆|饭店|餐馆|小吃|大排档", ""),
    ("承重墙", r"承重墙|砸墙|拆墙|打掉.{0,2}墙", ""),
    # illegal building
    (
        "违建",
        r"违建|违章|违规搭建|私搭|私建|私自搭建|乱搭|私自.{0,2}盖|圈占|往外扩|扩建|盖了.?房|围起来",
        "",
    ),
    ("彩钢房", r"彩钢", "违建"),
    ("阳光房", r"阳光房|玻璃房", "违建"),
    ("挖地下室", r"挖.{0,3}地下", "违建"),
    ("加盖", r"加盖|加层|盖二层", "违建"),
    ("搭棚", r"搭.{0,4}棚|遮阳棚|雨棚", "违建"),
    ("防水", r"防水", ""),
    ("危房", r"下沉|沉降|倾斜|危房|倒塌|塌了|要塌|裂了好几道", ""),
    # parking, vehicles, streets
    ("车位", r"车位|停车|停放|停满", ""),
    ("僵尸车", r"僵尸车|没动过|停了半年|长期停放|落满了灰", "停车"),
    ("地锁", r"地锁|石墩|占车位|占位|锁桩", "停车"),
    ("车库", r"车库", ""),
    ("私家车", r"私家车|机动车(?!道)|汽车|轿车|面包车", "车辆"),
    ("共享单车", r"共享单车|单车", "车辆"),
    ("电动车", r"电动车|电动自行车|电瓶车", "车辆"),
    ("摊贩", r"摊贩|小摊|摆摊|占道经营|地摊|早点摊|流动摊", ""),
    ("红绿灯", r"红绿灯|信号灯|斑马线", ""),
    ("公交", r"公交|巴士", ""),
    ("站点", r"站点|车站|公交站|没站|撤站|停靠", "公交"),
    ("班次", r"发车|班次|间隔|太挤|加车", "公交"),
    # neighbours
    ("高空抛物", r"高空抛物|往下扔|往楼下扔|扔下|抛下", ""),
    ("外墙", r"外墙|瓷砖|墙皮脱落|保温", ""),
    ("摄像头", r"摄像头|监控", ""),
    ("隐私", r"隐私|对着我家|对准|正对", ""),
    ("犬", r"狗|犬", ""),
    ("犬吠", r"狗叫|犬吠|天天叫|叫个不停|乱叫", "犬"),
    ("拴绳", r"拴绳|牵绳|不拴|不牵|遛狗", "犬"),
    ("粪便", r"拉屎|粪便|狗屎|便便", "犬"),
    ("扑咬", r"扑|咬|吓唬", "犬"),
    ("树", r"树|修剪|绿化", ""),
    ("挡光", r"挡住阳光|遮挡|采光|挡光|见不到太阳|挡.{0,2}光", "树"),
    ("刮断", r"刮断|折断|树枝.{0,4}断|树.{0,3}(?:倒了|歪了)|倒伏", "树"),
    ("杨絮", r"杨絮|柳絮|飞絮", "树"),
    ("虫害", r"毛毛虫|虫害|生虫", "树"),
    ("防盗网", r"防盗网|防盗窗", ""),
    ("坠落", r"掉下来|坠落|砸下来|往下掉|掉落|要掉|松动|摇摇欲坠|晃晃悠悠", ""),
    ("绿地", r"绿地|绿化带|草坪", ""),
    ("种菜", r"种菜|毁绿|开荒", ""),
    ("鸽子", r"鸽子|养鸽", ""),
    ("广告牌", r"广告牌|招牌|灯箱", ""),
    ("光污染", r"灯光|太亮|刺眼|光污染|晃眼", ""),
    ("道路设施", r"减速带|护栏|隔离栏|路牙|路沿", ""),
    ("快递", r"快递柜|快递站|驿站|包裹|快递", ""),
    ("健身器材", r"健身器材|健身区|器材|单杠|双杠", ""),
    # wages and work
    ("工资", r"工资|工钱|薪水|薪资|讨薪|欠薪|劳务费|血汗钱", "劳动"),
    ("社保", r"社保|五险|社会保险", "劳动"),
    ("工伤", r"工伤|(?:干活|上班|工作).{0,8}伤|医药费|工亡", "劳动"),
    ("押金", r"押金|保证金", "劳动"),
    ("劳动合同", r"劳动合同|签合同|签订合同", "劳动"),
    ("经济补偿", r"经济补偿|赔偿金|辞退|开除|解除合同", "劳动"),
    ("失联", r"跑了|失联|联系不上|联系不到|找不到人", ""),
    # social security
    ("低保", r"低保|最低生活保障", "保障"),
    ("临时救助", r"临时救助|救助金|大病救助", "保障"),
    ("特困", r"特困|五保", "保障"),
    ("残疾", r"残疾", ""),
    ("残疾补贴", r"护理补贴|残疾人.{0,2}补贴|两项补贴", "保障"),
    ("高龄补贴", r"高龄补贴|高龄津贴", "保障"),
    ("医保", r"医保|医疗保险", "保障"),
    ("养老保险", r"养老保险|养老金", "保障"),
    ("养老服务", r"养老院|敬老院|助餐|老年食堂|居家养老|日间照料", "保障"),
    ("住房保障", r"公租房|廉租房|保障房|住房补贴|租房补贴", "保障"),
    ("就业", r"找工作|就业|失业(?!保险|金)|技能培训|公益岗", "保障"),
    ("失业保险", r"失业保险|失业金", "保障"),
    ("停发", r"停发|被停了|断发|取消.{0,3}资格", ""),
    ("审核", r"审核|审批|没有消息|没消息|没结果|没下来", ""),
    ("缴费", r"交不了|交不上|缴不了|缴费|怎么交", ""),
    ("入学", r"入学|一年级|上小学|上初中|就近", "学校"),
    ("转学", r"转学|插班", "学校"),
    # demolition and land
    ("拆迁", r"拆迁|征地|征收|棚改|棚户区|拆房", ""),
    ("过渡费", r"过渡费|过渡安置费|临时安置费|安置费", "拆迁"),
    ("安置房", r"安置房|回迁房|交房|回迁", "拆迁"),
    ("评估面积", r"面积|少算|只认|\d+平", "拆迁"),
    ("补偿单价", r"单价|一平米", "拆迁"),
    ("补偿款", r"补偿款|补偿金|征地款", "拆迁"),
    # fees
    ("物业费", r"物业费|物管费|物业管理费", "费用"),
    ("停车费", r"停车费|车位费|停车管理费|车位.{0,6}(?:收费|出租)", "费用"),
    ("供暖费", r"供暖费|取暖费|采暖费|暖气费", "费用"),
    ("水费", r"水费", "费用"),
    ("电费", r"电费", "费用"),
    ("燃气费", r"燃气费|煤气费", "费用"),
    ("电梯费", r"电梯(?:使用|运行)?费", "费用"),
    ("发票", r"发票|收据|票据", ""),
    ("公摊", r"公摊|分摊|公共区域", ""),
    ("不公开", r"公示|公开|明细|怎么算|不透明", ""),
    # what else goes wrong
    ("缺设施", r"缺少|缺乏|不够|没地方|没有地方|没有[^，。]{0,6}(?:桩|设施|车位|站|厕所|路灯)", ""),
    ("不退", r"不退|退不了|没退|不给退", ""),
    ("没通知", r"没通知|没有通知|没有任何通知|不通知|事先.{0,3}没", ""),
    ("承诺", r"说好|承诺|答应|保证", ""),
    ("质量", r"质量差|质量太差|质量问题|偷工减料", ""),
    ("没清理", r"没人清理|没人管|不管", ""),
    # details: they support a match but do not make one
    (
        "故障",
        r"坏|损坏|破损|断裂|锈|故障|不能用|不能使用|停运|不动|没反应|失灵|趴窝|修好|没人修|没人来修|停了",
        "-",
    ),
    ("占用", r"占用|占了|占着|挡着|堵着|堵了|堵死|乱停|占道|被.{0,4}占", "-"),
    ("拖欠", r"拖欠|欠|没发|不给|未付|没结|没拿着|没拿到|没给|不发|拖着", "-"),
    ("涨价", r"涨|上调|提价|贵|高出|太高|收费|收取|收了|交钱|价格", "-"),
    ("臭", r"臭|异味|味道|味儿|熏|呛", "-"),
    ("苍蝇", r"苍蝇|蚊子|老鼠|蟑螂", "-"),
    ("撤除", r"撤了|撤掉|拆了|拆除|取消", "-"),
    ("申请", r"申请|怎么办|咨询|材料|条件", "-"),
    ("危险", r"危险|隐患|不安全|吓人|差点|险些", "-"),
    ("擅自", r"擅自|私自|未经.{0,4}同意|没经过.{0,3}同意|业主.{0,3}不知道", "-"),
    ("结冰", r"结冰|很滑", "-"),
    ("夜间", r"晚上|夜里|夜间|深夜|凌晨|半夜|十一二点", "-"),
    ("清晨", r"早上|清晨|一早|大早", "-"),
    ("白天", r"白天", "-"),
    ("老人", r"老人|老年人|老太太|老大爷|我妈|老伴", "-"),
    ("孩子", r"孩子|小孩|学生|儿童|高考|婴儿", "-"),
)


def _triggers(pattern: str) -> frozenset[str] | None:
    """Strings one of which every match of `pattern` starts with (the first two characters of each
    alternative, or one if the second is not plain), or None if an alternative starts otherwise."""
    alternatives, depth, start, escaped = [], 0, 0, False
    for i, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            alternatives.append(pattern[start:i])
            start = i + 1
    alternatives.append(pattern[start:])
    triggers = set()
    for alternative in alternatives:
        alternative = re.sub(r"^\(\?<[!=][^()]*\)", "", alternative)
        if not alternative or not alternative[0].isalnum() or alternative[1:2] in tuple("?*{"):
            return None
        plain_second = len(alternative) > 1 and alternative[1].isalnum()
        quantified = len(alternative) > 2 and alternative[2] in "?*{"
        triggers.add(alternative[:2] if plain_second and not quantified else alternative[0])
    return frozenset(triggers)


_CONCEPTS = tuple(("#" + tag, re.compile(pattern), family) for tag, pattern, family in CONCEPTS)
# Which concepts a text could hold, by the one or two characters their matches start with, so a
# text is searched only for those (and for the few whose patterns start otherwise).
_CONCEPTS_BY_TRIGGER: dict[str, list[int]] = {}
_CONCEPTS_ALWAYS: list[int] = []
for _index, (_tag, _pattern, _family) in enumerate(CONCEPTS):
    _found = _triggers(_pattern)
    if _found is None:
        _CONCEPTS_ALWAYS.append(_index)
    else:
        for _trigger in _found:
            _CONCEPTS_BY_TRIGGER.setdefault(_trigger, []).append(_index)
_TRIGGERS = frozenset(_CONCEPTS_BY_TRIGGER)

# Weights (Counter counts are integers): a concept outweighs any word by far.
W_CONCEPT = 50
W_DETAIL = 20
W_WORD_MAX = 4
W_PLACE_WORD = 1
W_NUMBER = 1
_RARE_FROM = 8.0  # a word's weight is how far its information (-log frequency) exceeds this
# The score is multiplied by this for each contrast: different buildings, or different members of
# a family (低保 vs 临时救助).
CONTRAST = 0.25

# Words that place a matter rather than say what it is: they count, but little.
PLACE_WORDS = frozenset(
    "小区 号楼 楼 栋 单元 门口 花园 家园 苑 社区 院 院子 楼下 楼上 一楼 顶楼 附近 旁边 那边 这边".split()  # noqa: SIM905
)


class Features(Counter[str]):
    """Weighted features of a text, with its marks beside them: the buildings, entrances, flats,
    roads and house numbers it names, and the members of each family of alternatives."""

    marks: dict[str, frozenset[str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.marks = {}


def _without_repeated_start(text: str) -> str:
    """`text` without a leading title that only repeats the start of what follows ("电梯坏了…
    电梯坏了三天…", as intake compares a matter titled from its description): features are sets,
    so the repeat adds nothing but time."""
    space = text.find(" ")
    while 0 < space <= 42:
        head = text[:space].removesuffix("…")
        if head and text.startswith(head, space + 1):
            return text[space + 1 :]
        space = text.find(" ", space + 1)
    return text


def _normalise(text: str) -> str:
    if _FULL_WIDTH.search(text):  # ３号楼, ＃, ＡＢ, full-width space; NFKC is slow
        text = unicodedata.normalize("NFKC", text)
    return _NORMALISE.sub(_normalised, text.lower())


def _normalised(match: re.Match[str]) -> str:
    if match.group("typo"):
        return TYPOS[match.group("typo")]
    if match.group("flat"):
        return f"{match.group('building')}号楼{match.group('entrance')}单元{match.group('flat')}室"
    return str(_cn_number(match.group("numeral")))


def _cn_number(numeral: str) -> int | str:
    tens, ten, ones = numeral.partition("十")
    if not ten:
        return _CN_DIGIT.get(numeral, numeral) if len(numeral) == 1 else numeral
    high = _CN_DIGIT.get(tens, -1) if tens else 1
    low = _CN_DIGIT.get(ones, -1) if ones else 0
    return numeral if high < 0 or low < 0 else high * 10 + low


def _marks(norm: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    if not _ANY_MARK.search(norm):
        return found
    for match in _MARK.finditer(norm):
        kind = match.lastgroup
        value = match.group(kind) if kind else None
        if kind == "side":
            kind = "entrance"
        if kind and value and not (kind == "road" and value[-1] in _NOT_ROAD):
            found.setdefault(kind, set()).add(value)
    return found


# Weight of each run of characters seen: > 0 a word worth counting, 0 a prefix of a word or a
# common word, -1 neither (no longer run from there is a word either).
_run_weights: dict[str, int] = {}


def _run_weight(run: str) -> int:
    dt = _jieba().dt
    count = _general_freq[run] if run in _general_freq else dt.FREQ.get(run)
    total = _general_total or dt.total
    if count is None:
        weight = -1
    elif not count:
        weight = 0
    elif run in PLACE_WORDS:
        weight = W_PLACE_WORD
    else:
        weight = max(0, min(W_WORD_MAX, round(math.log(total / count) - _RARE_FROM)))
    if len(_run_weights) < 50_000:
        _run_weights[run] = weight
    return weight


def _add_dictionary_words(result: Counter[str], text: str) -> None:
    """Count every 2–3 character run of `text` that is a word of jieba's dictionary (which holds
    every prefix of its words too: a run that is no prefix cannot grow into a word)."""
    weights = _run_weights
    end = len(text)
    for i in range(end - 1):
        run = text[i : i + 2]
        weight = weights.get(run)
        if weight is None:
            weight = _run_weight(run)
        if weight < 0:
            continue
        if weight:
            result[run] = weight
        if i + 3 <= end:
            run = text[i : i + 3]
            weight = weights.get(run)
            if weight is None:
                weight = _run_weight(run)
            if weight > 0:
                result[run] = weight


def _features(text: str) -> Features:
    norm = _normalise(_without_repeated_start(text))
    result = Features()
    marks = _marks(norm)
    candidates = set(_CONCEPTS_ALWAYS)
    runs = set(norm)
    runs.update([norm[i : i + 2] for i in range(len(norm) - 1)])
    for trigger in _TRIGGERS.intersection(runs):
        candidates.update(_CONCEPTS_BY_TRIGGER[trigger])
    for index in candidates:
        key, pattern, family = _CONCEPTS[index]
        if pattern.search(norm):
            result[key] = W_DETAIL if family == "-" else W_CONCEPT
            if family and family != "-":
                marks.setdefault("family:" + family, set()).add(key)
    for number in _NUMBER.findall(norm):
        result["#" + number] = W_NUMBER
    _add_dictionary_words(result, norm)
    result.marks = {kind: frozenset(values) for kind, values in marks.items()}
    return result


_cached_features = lru_cache(maxsize=1024)(_features)


def features(text: str) -> Counter[str]:
    """What `text` is about: weighted features (a `Features` counter, with its marks)."""
    cached = _cached_features(text)
    result = Features(cached)
    result.marks = dict(cached.marks)
    return result


def _contrasts(a: Counter[str], b: Counter[str], *, places: bool = True) -> int:
    marks_a = getattr(a, "marks", {})
    marks_b = getattr(b, "marks", {})
    count = 0
    for kind in marks_a.keys() & marks_b.keys():
        if not places and not kind.startswith("family:"):
            continue
        if marks_a[kind] - marks_b[kind] and marks_b[kind] - marks_a[kind]:
            count += 1
    return count


def similarity(
    a: Counter[str] | str, b: Counter[str] | str, *, across_places: bool = False
) -> float:
    """How likely two descriptions are the same matter, 0..1 (weighted Jaccard, cut by contrasts).

    With `across_places`, how alike two problems are wherever they are: naming different
    buildings, entrances, flats, roads or house numbers no longer cuts the score (the lifts of
    building 3 and building 5 are one kind of problem in one neighbourhood: hot spots), while
    different members of a family still do (低保 vs 临时救助)."""
    fa = _cached_features(a) if isinstance(a, str) else a
    fb = _cached_features(b) if isinstance(b, str) else b
    if not fa or not fb:
        return 0.0
    if len(fb) < len(fa):
        fa, fb = fb, fa
    inter = sum(min(v, fb[k]) for k, v in fa.items() if k in fb)
    union = sum(fa.values()) + sum(fb.values()) - inter
    if union <= 0:
        return 0.0
    return inter / union * CONTRAST ** _contrasts(fa, fb, places=not across_places)


def best_matches(
    text: str, candidates: Iterable[tuple[int, str]], *, threshold: float, limit: int = 5
) -> list[tuple[int, float]]:
    """(id, score) of the candidates at least `threshold` similar to `text`, best first."""
    target = _cached_features(text)
    scored = [(pk, similarity(target, _cached_features(other))) for pk, other in candidates]
    scored = [item for item in scored if item[1] >= threshold]
    scored.sort(key=lambda item: item[1], reverse=True)
    return scored[:limit]
