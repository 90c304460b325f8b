"""Demo square sessions: two finished ones with answers given on the spot (solved and explained)
and promises in every state (kept on time, resolved late, overdue, still being handled), a merged
and a declined question; a coming session open for questions, with questions waiting for
moderation, approved ones in the queue and a prepared answer; a session still being planned.

Idempotent: each demo session has an idempotency key ("demo:square:<name>"); a second run skips it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.matters import services as matters
from xinkan.matters.models import Category, Matter, Outcome, Rating
from xinkan.org.models import Department, Unit
from xinkan.square import services
from xinkan.square.models import Panelist, Question, Session

DISTRICT = "139901"
DONGFENGLI = "139901001001"  # 东风里社区
GUANGMING = "139901001002"  # 光明社区


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _department(short: str) -> Department:
    return Department.objects.get(code=f"{DISTRICT}-{short}")


def _category(*codes: str) -> Category:
    for code in codes:
        found = Category.objects.filter(code=code, is_active=True).first()
        if found is not None:
            return found
    return Category.objects.filter(is_active=True).order_by("sort", "code").first()  # type: ignore[return-value]


@dataclass
class Asked:
    text: str
    to: str  # department short code
    name: str = ""
    phone: str = ""
    community: str = DONGFENGLI
    # What became of it: "solved", "explained", "kept", "late", "overdue", "pending",
    # "declined", "merged", "queued", "waiting".
    outcome: str = "solved"
    answer: str = ""
    due_in_days: int = 0  # for promises: days from today (negative: in the past)
    category: tuple[str, ...] = ("other",)


@dataclass
class DemoSession:
    key: str
    theme: str
    days_from_now: int
    place: str
    panel: list[tuple[str, str, str]]  # department short code, leader, post
    questions: list[Asked] = field(default_factory=list)
    state: str = "finished"
    attendance: int = 0
    description: str = ""
    broadcast: str = "清河电视台、清河人民广播电台同步直播"
    unit: str = DISTRICT


SESSIONS = [
    DemoSession(
        key="housing",
        theme="住房保障与物业管理专场",
        days_from_now=-75,
        place="清河区人民广场主席台",
        attendance=420,
        description="区住建局、城管局、民政局负责同志现场接受群众咨询，当场能答复的当场答复，不能当场答复的限期答复。",
        panel=[("ZJJ", "王建军", "局长"), ("CGJ", "刘志刚", "局长"), ("MZJ", "陈红", "副局长")],
        questions=[
            Asked(
                "东风里小区3号楼楼顶防水层老化，一下雨顶层住户家里就漏水，物业说维修基金申请不下来，怎么办？",
                "ZJJ",
                name="王秀英",
                phone="13803110001",
                outcome="solved",
                answer="维修基金使用已开通应急通道，住建局今天现场协调物业，三日内启动维修，费用从专项维修资金中列支。",
            ),
            Asked(
                "低保户家里老人去世后，原来的低保待遇还能继续享受吗？需要办什么手续？",
                "MZJ",
                name="赵桂兰",
                outcome="explained",
                answer="家庭成员变化后需重新核定家庭人均收入，符合条件的继续享受。请携带户口簿到社区服务中心申报，民政局二十个工作日内审核完毕。",
            ),
            Asked(
                "光明社区老旧小区改造后，楼道里的声控灯一半不亮，找了几次都没人管。",
                "ZJJ",
                name="李建国",
                phone="13803110002",
                community=GUANGMING,
                outcome="late",
                answer="住建局责成改造施工单位限期整改，全部更换声控灯。",
                due_in_days=-45,
                category=("roads.lights", "other"),
            ),
            Asked(
                "建设路沿街商户占道经营，早高峰学生上学只能走机动车道，太危险了。",
                "CGJ",
                name="孙丽娟",
                phone="13803110003",
                outcome="overdue",
                answer="城管局承诺对建设路沿线开展专项整治，设置便民疏导点，三十日内彻底解决。",
                due_in_days=-40,
                category=("other",),
            ),
            Asked(
                "我们楼顶也漏雨，和3号楼是一个问题，能一起修吗？",
                "ZJJ",
                name="周大海",
                outcome="merged",
            ),
            Asked("能不能给我家孩子安排个工作？", "MZJ", outcome="declined"),
        ],
    ),
    DemoSession(
        key="city",
        theme="城市管理与生态环境专场",
        days_from_now=-20,
        place="清河区人民广场主席台",
        attendance=360,
        panel=[
            ("ZJJ", "王建军", "局长"),
            ("CGJ", "刘志刚", "局长"),
            ("HBJ", "马晓东", "分局长"),
            ("JTJ", "高峰", "副局长"),
        ],
        questions=[
            Asked(
                "胜利路与建设路口的红绿灯时间太短，老人过马路走不完。",
                "JTJ",
                outcome="solved",
                answer="交通局已现场调整配时方案，行人绿灯由25秒延长至40秒，今天下午生效。",
            ),
            Asked(
                "东风里小区5号楼电梯经常困人，业主多次反映，物业只是简单维修。",
                "ZJJ",
                name="陈淑芬",
                phone="13803110004",
                outcome="kept",
                answer="住建局会同市场监管部门对电梯进行安全评估，该换的部件一律更换，确保在限期内彻底解决。",
                due_in_days=10,
                category=("property.elevator", "other"),
            ),
            Asked(
                "新华街夜市油烟和噪音扰民，晚上十二点还很吵。",
                "HBJ",
                name="杨志明",
                phone="13803110005",
                outcome="pending",
                answer="环境分局会同城管局调整夜市经营时间，加装油烟净化设施，限期整改到位。",
                due_in_days=25,
                category=("other",),
            ),
            Asked(
                "小区里的垃圾分类桶为什么有时候被混装运走？",
                "CGJ",
                outcome="explained",
                answer="分类运输车辆按类别分时段收运，混装系个别车辆违规，已对承运单位约谈，并公布监督电话12319。",
            ),
        ],
    ),
    DemoSession(
        key="welfare",
        theme="教育医疗与社会保障专场",
        days_from_now=7,
        place="清河区人民广场主席台",
        state="open",
        description="本期政务广场邀请区教育局、卫健局、人社局主要负责同志与群众面对面，欢迎提前通过网上提交问题。",
        panel=[("JYJ", "张丽", "局长"), ("WJJ", "赵国强", "局长"), ("RSJ", "吴涛", "局长")],
        questions=[
            Asked(
                "孩子今年上小学，户口和房产不在一起，能在哪个学校报名？",
                "JYJ",
                name="刘洋",
                phone="13803110006",
                outcome="queued",
                answer="按照招生政策，房户一致优先，房户不一致的由教育局统筹安排就近入学。",
            ),
            Asked(
                "社区卫生服务站能不能开通医保门诊统筹报销？老人看病跑大医院太远了。",
                "WJJ",
                name="黄秀梅",
                outcome="queued",
            ),
            Asked(
                "灵活就业人员的养老保险缴费基数是怎么定的？今年能不能选低档缴费？",
                "RSJ",
                name="郑伟",
                phone="13803110007",
                outcome="waiting",
            ),
            Asked(
                "学校附近的小饭桌没人管，卫生条件很差，谁来监管？",
                "JYJ",
                outcome="waiting",
            ),
            Asked(
                "高龄津贴什么时候发放？我父亲今年满八十岁了。",
                "RSJ",
                name="钱玉珍",
                outcome="waiting",
            ),
        ],
    ),
    DemoSession(
        key="renewal",
        theme="东风街道老旧小区改造议事会",
        days_from_now=30,
        place="东风街道党群服务中心",
        state="planned",
        broadcast="",
        unit="139901001",
        panel=[("ZJJ", "王建军", "局长")],
    ),
]


def seed_square(ctx: Any) -> None:
    leader, cadre, handler = _user("leader"), _user("cadre"), _user("handler")
    made = 0
    for demo in SESSIONS:
        if Session.objects.filter(idempotency_key=f"demo:square:{demo.key}").exists():
            continue
        runner = cadre if demo.unit != DISTRICT else leader
        _seed_session(demo, runner=runner, follower=cadre, handler=handler)
        made += 1
    # The promises' matters are followed like any other: overdue ones are supervised now, so that
    # a second run finds nothing new to do.
    report = matters.sweep_all()
    ctx.log(f"Square sessions: {Session.objects.count()} ({made} new); sweep: {report}")


def _seed_session(demo: DemoSession, *, runner: User, follower: User, handler: User) -> None:
    starts = timezone.make_aware(
        dt.datetime.combine(
            timezone.localdate() + dt.timedelta(days=demo.days_from_now), dt.time(9)
        )
    )
    session = services.plan_session(
        services.SessionDetails(
            theme=demo.theme,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2, minutes=30),
            place=demo.place,
            unit=Unit.objects.get(code=demo.unit),
            description=demo.description,
            broadcast_media=demo.broadcast,
        ),
        by=runner,
        idempotency_key=f"demo:square:{demo.key}",
    )
    panel: dict[str, Panelist] = {}
    for short, leader_name, post in demo.panel:
        panel[short] = services.add_panelist(
            session,
            department=_department(short),
            leader_name=leader_name,
            leader_title=post,
            by=runner,
        )
    if demo.state == "planned":
        return
    services.open_for_questions(session, by=runner)
    asked: list[tuple[Asked, Question]] = []
    for index, item in enumerate(demo.questions):
        question = services.submit_question(
            session,
            services.NewQuestion(
                text=item.text,
                asker_name=item.name,
                asker_phone=item.phone,
                community=Unit.objects.get(code=item.community),
                idempotency_key=f"demo:square:{demo.key}:{index}",
            ),
        )
        asked.append((item, question))
    first = asked[0][1] if asked else None
    for item, question in asked:
        if item.outcome == "declined":
            services.decline_question(
                question,
                by=runner,
                reason="属于个人就业安置诉求，不在本期政务广场答复范围，请到区人社局就业服务窗口咨询。",
            )
        elif item.outcome == "merged" and first is not None:
            services.approve_question(first, by=runner, panelist=panel[asked[0][0].to])
            services.merge_question(question, into=first, by=runner)
        elif item.outcome != "waiting":
            services.approve_question(question, by=runner, panelist=panel[item.to])
            if item.outcome == "queued" and item.answer:
                services.prepare_answer(question, text=item.answer, by=runner)
    if demo.state == "open":
        return
    services.go_live(session, by=runner)
    for item, question in asked:
        question.refresh_from_db()
        if item.outcome in {"declined", "merged", "waiting", "queued"}:
            continue
        services.call_question(question, by=runner)
        if item.outcome in {"solved", "explained"}:
            services.answer_on_spot(question, by=runner, answer=item.answer, on_spot=item.outcome)
            continue
        services.promise(
            question,
            by=runner,
            answer=item.answer,
            due=timezone.localdate() + dt.timedelta(days=item.due_in_days),
            category=_category(*item.category),
        )
        if item.outcome in {"kept", "late"} and question.matter is not None:
            _resolve(question.matter, handler=handler, follower=follower)
    services.finish_session(session, by=runner, attendance=demo.attendance)


def _resolve(matter: Matter, *, handler: User, follower: User) -> None:
    """The department answers and the resident is satisfied: the matter is resolved today."""
    matter.refresh_from_db()
    matters.sign_for(matter, by=handler)
    matter.refresh_from_db()
    matters.reply_to_matter(
        matter,
        by=handler,
        text="经现场核查，问题已全部整改到位，居民已确认，特此答复。",
        outcome=Outcome.SUPPORTED,
    )
    matter.refresh_from_db()
    matters.record_follow_up(
        matter, rating=Rating.SATISFIED, by=follower, comment="问题解决了，满意。"
    )
