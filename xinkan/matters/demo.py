"""Demo matters: one in every state, a full dissatisfied → review → re-review → concluded path,
overdue and supervised ones, a folded repeat and a shared problem, an accompanied case, a portal
submission, a skip-level visit — plus a spread of ordinary matters for the lists.

Idempotent: each demo matter has an idempotency key ("demo:<name>"); a second run skips it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.matters import services
from xinkan.matters.models import Category, Channel, CompanionMode, Matter, Outcome, Rating
from xinkan.org.models import Department, Unit

DISTRICT = "139901"


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def _department(short: str) -> Department:
    return Department.objects.get(code=f"{DISTRICT}-{short}")


def _category(code: str) -> Category:
    return Category.objects.get(code=code)


def _register(key: str, by: User | None, *, days_ago: float = 0, **values: Any) -> Matter | None:
    """Register once; None when this demo matter exists already (nothing more to do for it)."""
    if Matter.objects.filter(idempotency_key=f"demo:{key}").exists():
        return None
    values.setdefault("channel", Channel.VISIT)
    intake = services.Intake(
        idempotency_key=f"demo:{key}",
        registered_at=timezone.now() - dt.timedelta(days=days_ago),
        **values,
    )
    result = services.register_matter(intake, by=by)
    return result.matter if result.created else None


def seed_matters(ctx: Any) -> None:
    grid, cadre, community, handler, leader = (
        _user("grid"),
        _user("cadre"),
        _user("community"),
        _user("handler"),
        _user("leader"),
    )
    g1 = _unit("13990100100101")  # 东风里社区第1网格
    g2 = _unit("13990100100102")
    guangming = _unit("139901001002")  # 光明社区
    zjj, cgj, hbj = _department("ZJJ"), _department("CGJ"), _department("HBJ")

    steps: list[tuple[str, Callable[[], None]]] = []

    def add(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
        def wrap(fn: Callable[[], None]) -> Callable[[], None]:
            steps.append((name, fn))
            return fn

        return wrap

    @add("to-accept")
    def _() -> None:
        _register(
            "to-accept",
            grid,
            channel=Channel.PATROL,
            category=_category("roads.lights"),
            unit=g1,
            description="东风里小区北门外两盏路灯不亮已经一周，晚上居民出行摸黑，存在安全隐患。",
            address="东风路与建设路交叉口北侧",
        )

    @add("accepted")
    def _() -> None:
        m = _register(
            "accepted",
            community,
            category=_category("sanitation.waste"),
            unit=g2,
            channel=Channel.PHONE,
            description="5号楼垃圾桶满了三天没人清运，味道很大，夏天容易招苍蝇。",
            contact_name="赵桂英",
            contact_phone="13603112233",
        )
        if m:
            services.accept_matter(m, by=community)

    @add("dispatched")
    def _() -> None:
        m = _register(
            "dispatched",
            community,
            category=_category("property.elevator"),
            unit=g1,
            description="3号楼2单元电梯坏了三天，楼里有好几位八十多岁的老人，上下楼非常困难，物业说在等配件。",
            contact_name="王秀英",
            contact_phone="13800138000",
            days_ago=2,
        )
        if m:
            services.dispatch_matter(
                m, lead=zjj, by=community, note="请住建局督促物业尽快修复，三日内回复。"
            )

    @add("handling")
    def _() -> None:
        m = _register(
            "handling",
            community,
            category=_category("sanitation.noise"),
            unit=g2,
            channel=Channel.PHONE,
            description="小区南侧工地夜间施工到凌晨一两点，噪音很大，孩子第二天要上学，睡不好觉。",
            contact_name="刘建军",
            contact_phone="13930112345",
            days_ago=3,
        )
        if m:
            services.dispatch_matter(
                m, lead=cgj, co=[hbj], by=community, note="城管牵头，环境分局配合监测噪音。"
            )

    @add("replied")
    def _() -> None:
        m = _register(
            "replied",
            community,
            category=_category("property.heating"),
            unit=g1,
            description="家里暖气不热，室温只有十四度，家里有卧床老人，请尽快处理。",
            contact_name="陈淑华",
            contact_phone="13785001122",
            days_ago=6,
        )
        if m:
            services.dispatch_matter(m, lead=zjj, by=community)
            services.sign_for(m, by=handler)
            services.reply_to_matter(
                m,
                by=handler,
                outcome=Outcome.SUPPORTED,
                text="已协调供热公司入户检查，更换了堵塞的阀门，室温已恢复到二十度以上。",
            )

    @add("resolved")
    def _() -> None:
        m = _register(
            "resolved",
            grid,
            channel=Channel.PATROL,
            category=_category("sanitation.drains"),
            unit=g1,
            description="7号楼前下水道堵塞，雨后积水没过脚面，居民进出不便。",
            days_ago=12,
        )
        if m:
            services.handle_by_unit(m, by=community, note="社区联系疏通队处理")
            services.reply_to_matter(
                m,
                by=community,
                outcome=Outcome.SUPPORTED,
                text="已请市政疏通队疏通下水道，积水已排净。",
            )
            services.record_follow_up(
                m, rating=Rating.SATISFIED, by=community, comment="居民表示满意"
            )

    @add("concluded")
    def _() -> None:
        m = _register(
            "concluded",
            community,
            category=_category("property.fees"),
            unit=g2,
            description="物业今年物业费每平米涨了五毛钱，没有开业主大会，也没有公示，要求退还多收的费用。",
            contact_name="孙德胜",
            contact_phone="13512345678",
            days_ago=40,
        )
        if m:
            services.dispatch_matter(m, lead=zjj, by=community)
            services.sign_for(m, by=handler)
            services.reply_to_matter(
                m,
                by=handler,
                outcome=Outcome.EXPLAINED,
                text="经核查，物业费调整已在物价部门备案，但公示不到位，已责令物业补充公示。",
            )
            services.record_follow_up(
                m, rating=Rating.DISSATISFIED, by=community, comment="认为应当退费"
            )
            services.request_review(m, by=community, reason="仍要求退还多收的物业费")
            services.decide_review(
                m,
                by=cadre,
                outcome=Outcome.EXPLAINED,
                text="经街道复查，调价程序合规，维持原处理意见；物业已补充公示并向业主说明。",
            )
            services.record_follow_up(
                m, rating=Rating.DISSATISFIED, by=community, comment="仍不满意"
            )
            services.request_review(m, by=community, reason="申请复核")
            services.decide_review(
                m,
                by=leader,
                outcome=Outcome.EXPLAINED,
                text="经区里复核，维持复查意见。本事项信访程序终结，同一事实和理由不再受理。",
            )

    @add("review")
    def _() -> None:
        m = _register(
            "review",
            community,
            category=_category("housing.repair"),
            unit=g1,
            description="楼顶漏水，下雨天家里墙皮脱落，找物业多次没有维修。",
            contact_name="周国庆",
            contact_phone="13611223344",
            days_ago=20,
        )
        if m:
            services.handle_by_unit(m, by=community)
            services.reply_to_matter(
                m,
                by=community,
                outcome=Outcome.EXPLAINED,
                text="屋面防水属于专项维修资金使用范围，需业主表决，社区将协助组织。",
            )
            services.record_follow_up(
                m, rating=Rating.DISSATISFIED, by=community, comment="认为等待太久"
            )
            services.request_review(m, by=community, reason="雨季马上到来，要求先行应急维修")

    @add("declined")
    def _() -> None:
        m = _register(
            "declined",
            community,
            category=_category("other"),
            unit=g2,
            channel=Channel.PHONE,
            description="要求社区出面调解与外地公司的合同纠纷。",
            contact_name="吴海波",
            contact_phone="13700001111",
        )
        if m:
            services.decline_matter(
                m,
                by=community,
                reason="属于民事合同纠纷，应通过仲裁或诉讼解决，已告知当事人可向人民法院起诉，并可申请法律援助。",
            )

    @add("overdue")
    def _() -> None:
        _register(
            "overdue",
            grid,
            channel=Channel.PATROL,
            category=_category("safety.fire"),
            unit=g1,
            description="9号楼楼道里堆满纸箱和旧家具，堵住了消防通道。",
            days_ago=20,
        )

    @add("repeat")
    def _() -> None:
        first = _register(
            "repeat-first",
            community,
            category=_category("roads.parking"),
            unit=g1,
            channel=Channel.PHONE,
            description="小区门口有车长期占用消防通道停车，救护车进不来。",
            contact_name="李春梅",
            contact_phone="13811112222",
            days_ago=4,
        )
        if first:
            services.accept_matter(first, by=community)
            services.register_matter(
                services.Intake(
                    channel=Channel.VISIT,
                    category=_category("roads.parking"),
                    unit=g1,
                    description="门口消防通道老有车停着，救护车都进不来，上次反映了还没解决。",
                    contact_name="李春梅",
                    contact_phone="13811112222",
                    idempotency_key="demo:repeat-again",
                ),
                by=cadre,
            )

    @add("shared")
    def _() -> None:
        _register(
            "shared-1",
            community,
            category=_category("property.elevator"),
            unit=g1,
            channel=Channel.PHONE,
            description="3号楼电梯坏了好几天了，一直没修，老人下不了楼。",
            contact_name="张玉兰",
            contact_phone="13922223333",
        )

    @add("accompanied")
    def _() -> None:
        m = _register(
            "accompanied",
            cadre,
            category=_category("social.allowance"),
            unit=g2,
            description="丈夫去年去世，本人残疾，无收入，申请低保一直没有批下来，不知道该找哪个部门。",
            contact_name="马金凤",
            contact_phone="13633334444",
            days_ago=5,
        )
        if m:
            services.take_matter(m, by=cadre, mode=CompanionMode.ACCOMPANY)
            services.dispatch_matter(m, lead=_department("MZJ"), by=cadre, note="街道干部陪同办理")
            companion = m.companions.get(cadre=cadre)
            services.record_visit(
                companion,
                by=cadre,
                at=timezone.now() - dt.timedelta(days=2),
                place="区民政局社会救助科",
                department=_department("MZJ"),
                met="救助科王科长",
                summary="陪同马金凤递交低保申请补充材料（残疾证、收入证明），民政局答复十个工作日内入户核查。",
            )

    @add("proxy")
    def _() -> None:
        m = _register(
            "proxy",
            cadre,
            category=_category("social.medical"),
            unit=g1,
            description="年迈老人不会用手机，想办理医保异地就医备案，请社区帮忙代办。",
            contact_name="何长青",
            contact_phone="13544445555",
        )
        if m:
            services.take_matter(m, by=community, mode=CompanionMode.PROXY)

    @add("skip-level")
    def _() -> None:
        _register(
            "skip-level",
            cadre,
            category=_category("labour.wages"),
            unit=_unit("13990100100201"),
            description="在小区装修队干活三个月，老板拖欠工资八千元不给，找社区没人管，直接来街道反映。",
            contact_name="杨俊杰",
            contact_phone="13355556666",
        )

    @add("portal")
    def _() -> None:
        _register(
            "portal",
            None,
            channel=Channel.ONLINE,
            category=_category("sanitation.noise"),
            unit=guangming,
            description="光明社区广场舞音响太大声，每天晚上九点半以后还在跳，影响休息。",
            anonymous=True,
            portal_key="DEMO2026",
        )

    for _name, step in steps:
        step()
    _seed_spread(ctx, community, grid)
    report = services.sweep_all()
    ctx.log(f"Matters: {Matter.objects.count()} ({report})")


def _seed_spread(ctx: Any, community: User, grid: User) -> None:
    """Ordinary matters across 东风里社区 for the lists and counts (deterministic)."""
    rng = random.Random(11)
    texts = [
        ("roads.damage", "小区门口路面塌陷一个大坑，电动车经过容易摔倒。"),
        ("sanitation.waste", "楼后绿化带里有人乱倒建筑垃圾，已经堆成小山。"),
        ("property.heating", "暖气片上半部分热、下半部分凉，怀疑管道有气。"),
        ("social.elderly", "独居老人想申请社区助餐服务，不知道怎么报名。"),
        ("roads.lights", "楼道感应灯坏了，晚上上楼看不见。"),
        ("neighbours", "楼上邻居装修每天早上七点就开始砸墙。"),
        ("labour.jobs", "下岗职工想参加社区组织的技能培训。"),
        ("safety.buildings", "老旧平房外墙开裂，担心下雨倒塌。"),
    ]
    grids = list(Unit.objects.filter(parent__code="139901001001").order_by("code"))
    for index in range(24):
        code, text = texts[index % len(texts)]
        place = grids[index % len(grids)]
        # The grid worker registers on patrol in their own grid; phone calls go to the community.
        by = grid if index % 3 and place.code.endswith("01") else community
        matter = _register(
            f"spread-{index}",
            by,
            channel=Channel.PATROL if index % 3 else Channel.PHONE,
            category=_category(code),
            unit=place,
            description=f"{text}（第{index + 1}号）",
            contact_name=f"居民{index + 1}号" if index % 3 == 0 else "",
            contact_phone=f"1390311{index:04d}" if index % 3 == 0 else "",
            days_ago=rng.uniform(0, 10),
        )
        if matter is None:
            continue
        if index % 4 == 0:
            services.accept_matter(matter, by=community)
        elif index % 4 == 1:
            services.handle_by_unit(matter, by=community)
            if index % 8 == 1:
                services.reply_to_matter(
                    matter,
                    by=community,
                    outcome=Outcome.SUPPORTED,
                    text="社区已安排人员处理完毕，感谢您的反映。",
                )
