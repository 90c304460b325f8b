"""Demo disputes: settled at each of the four steps, one that goes all the way to the station, one
referred to a court after it, agreements with PDFs, an overdue one under supervision, a planned
station session, a risk of violence, and a lawyer kept off a case by a conflict of interest.

Idempotent: each demo dispute has an idempotency key ("demo:<name>"); a second run skips it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from xinkan.accounts.models import User
from xinkan.mediation import services
from xinkan.mediation.models import Dispute, DisputeType, Mediator, Referral, Source, Urgency
from xinkan.org.models import Unit

GRID = "13990100100101"
GRID_2 = "13990100100102"
COMMUNITY = "139901001001"


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _party(name: str, phone: str, statement: str, id_number: str = "") -> services.NewParty:
    return services.NewParty(name=name, phone=phone, id_number=id_number, statement=statement)


def _register(key: str, by: User, *, days_ago: float = 0, **values: Any) -> Dispute | None:
    if Dispute.objects.filter(idempotency_key=f"demo:{key}").exists():
        return None
    values.setdefault("source", Source.PATROL)
    values.setdefault("unit", Unit.objects.get(code=GRID))
    return services.register_dispute(
        services.NewDispute(
            idempotency_key=f"demo:{key}",
            registered_at=timezone.now() - dt.timedelta(days=days_ago),
            **values,
        ),
        by=by,
    )


def _session(dispute: Dispute, by: User, *, place: str, said: str, hours_ago: float = 2) -> None:
    services.record_session(
        dispute,
        by=by,
        at=timezone.now() - dt.timedelta(hours=hours_ago),
        place=place,
        attendees="双方当事人、调解员",
        statements=said,
        proposals="双方各退一步，互相谅解",
    )


def _counsel(dispute: Dispute, fallback: User) -> User:
    """The lawyer the roster assigned to the dispute's current step."""
    mediator = Mediator.objects.filter(
        step_record__dispute=dispute, step_record__outcome="ongoing", kind=Mediator.Kind.LAWYER
    ).first()
    return mediator.user if mediator else fallback


def _agreement(kind: str, facts: str, issue: str, terms: list[services.NewTerm]) -> Any:
    return services.Settlement(
        kind=kind,
        facts=facts,
        points_at_issue=issue,
        terms=terms,
        signed_on=timezone.localdate(),
        performance="按各条约定的方式和期限履行。",
    )


def seed_disputes(ctx: Any) -> None:
    grid, community, cadre, lawyer = (
        _user("grid"),
        _user("community"),
        _user("cadre"),
        _user("lawyer"),
    )
    today = timezone.localdate()
    made = 0

    # ① Settled by the ten-household mediator with an oral agreement.
    noise = _register(
        "noise",
        grid,
        dispute_type=DisputeType.NEIGHBOURS,
        title="楼上深夜跳绳噪音扰民",
        address="建设路1号2单元",
        parties=[
            _party("周国庆", "13700001111", "楼上每天晚上十点后还在跳绳，老人睡不着。"),
            _party("吴晓燕", "13700002222", "孩子要考体育，只能晚上练，已经铺了垫子。"),
        ],
    )
    if noise:
        _session(noise, grid, place="2单元楼道口", said="甲方：影响休息。乙方：愿意调整时间。")
        services.settle(
            noise,
            by=grid,
            settlement=_agreement(
                "oral",
                "乙方孩子晚间跳绳，甲方休息受影响。",
                "练习时间。",
                [services.NewTerm(text="乙方晚上九点后不再跳绳，改到小区广场练习。")],
            ),
        )
        made += 1

    # ② Not settled by the mediator; settled by the residents' committee, written agreement.
    parking = _register(
        "parking",
        grid,
        days_ago=6,
        dispute_type=DisputeType.PROPERTY,
        title="车位被长期占用引发争执",
        address="建设路3号地面车位",
        parties=[
            _party(
                "郑海涛", "13700003333", "我租的车位被邻居的车占了半个月。", "130102198003150012"
            ),
            _party("冯丽娟", "13700004444", "车位划线不清，我以为是公共车位。"),
        ],
    )
    if parking:
        _session(
            parking, grid, place="建设路3号车位旁", said="双方各执一词，情绪激动。", hours_ago=30
        )
        services.escalate(parking, by=grid, reason="双方对车位归属分歧较大，需居委会协调物业核实。")
        _session(parking, community, place="东风里社区调解室", said="物业出示了车位租赁登记。")
        services.settle(
            parking,
            by=community,
            settlement=_agreement(
                "written",
                "乙方将车辆停放在甲方租用的车位上约十五日。",
                "车位归属及占用期间的补偿。",
                [
                    services.NewTerm(text="乙方即日起不再占用甲方车位", how="自行挪车"),
                    services.NewTerm(
                        text="物业重新施划车位标线",
                        how="物业公司施工",
                        due=today + dt.timedelta(days=7),
                    ),
                ],
            ),
        )
        made += 1

    # ③ Wages owed: up to the lawyer, settled with terms, one of them past due.
    wages = _register(
        "wages",
        community,
        unit=Unit.objects.get(code=COMMUNITY),
        source=Source.REQUEST,
        dispute_type=DisputeType.LABOUR,
        title="装修工人工资拖欠纠纷",
        start_step=2,
        start_reason="当事人直接到社区申请调解。",
        parties=[
            _party("韩志刚", "13700005555", "干了两个月装修，还欠我八千元工钱。"),
            _party("曹建设", "13700006666", "活没干完，质量也有问题。"),
        ],
    )
    if wages:
        _session(wages, community, place="东风里社区调解室", said="双方对工程质量说法不一。")
        services.escalate(
            wages, by=community, reason="涉及劳务合同与质量责任，需要律师解释法律规定。"
        )
        counsel = _counsel(wages, lawyer)
        _session(
            wages, counsel, place="东风街道公共法律服务站", said="律师释明劳务报酬的法律规定。"
        )
        services.settle(
            wages,
            by=counsel,
            settlement=_agreement(
                "written",
                "甲方为乙方装修房屋两个月，乙方尚欠劳务费八千元。",
                "欠付劳务费数额及工程质量问题的责任。",
                [
                    services.NewTerm(
                        text="乙方支付甲方劳务费人民币陆仟元", how="银行转账", due=today
                    ),
                    services.NewTerm(text="甲方返工修补卫生间防水", how="甲方自行施工"),
                ],
            ),
        )
        made += 1

    # ④ All the way up to the station, settled there.
    land = _register(
        "land",
        grid,
        days_ago=20,
        dispute_type=DisputeType.LAND,
        title="宅基地边界围墙纠纷",
        address="东风里社区后街12号",
        parties=[
            _party(
                "蒋德华", "13700007777", "邻居新砌的围墙占了我家宅基地半米。", "130102196505050017"
            ),
            _party("沈桂芝", "13700008888", "围墙是按老院墙的位置砌的。"),
        ],
    )
    if land:
        _session(land, grid, place="后街12号", said="双方到现场指认边界，各不相让。", hours_ago=400)
        services.escalate(land, by=grid, reason="边界有历史遗留问题，需社区调取档案。")
        services.escalate(land, by=community, reason="双方对测量结果均不认可。")
        counsel = _counsel(land, lawyer)
        services.escalate(land, by=counsel, reason="需要国土所参与，提请联合会诊。")
        _session(land, cadre, place="东风街道调解委员会", said="国土所现场复测，律师解释相关规定。")
        services.settle(
            land,
            by=cadre,
            settlement=_agreement(
                "written",
                "乙方新砌围墙越过双方宅基地界线约零点五米。",
                "宅基地界线位置及围墙拆除费用承担。",
                [
                    services.NewTerm(
                        text="乙方按复测界线拆除越界部分围墙",
                        how="乙方自行拆除",
                        due=today + dt.timedelta(days=15),
                    ),
                    services.NewTerm(text="拆除费用由双方各承担一半", how="现金"),
                ],
            ),
        )
        made += 1

    # After the station: referred to a court.
    loan = _register(
        "loan",
        community,
        unit=Unit.objects.get(code=COMMUNITY),
        source=Source.REQUEST,
        dispute_type=DisputeType.CONTRACT,
        title="亲戚间借款五万元纠纷",
        start_step=4,
        start_reason="借款数额较大，当事人申请直接由街道调委会和律师联合调解。",
        parties=[
            _party("秦建国", "13700009999", "借给表弟五万元，三年没还。"),
            _party("许志明", "13700010000", "钱是合伙做生意的投资，不是借款。"),
        ],
    )
    if loan:
        _session(loan, cadre, place="东风街道调解委员会", said="双方对款项性质分歧无法弥合。")
        services.refer(
            loan,
            by=cadre,
            to=Referral.LITIGATION,
            note="款项性质争议需司法认定，已告知双方可向人民法院起诉。",
        )
        made += 1

    # Open at ①, past its limit: overdue and supervised by the community.
    overdue = _register(
        "overdue",
        grid,
        days_ago=10,
        dispute_type=DisputeType.NEIGHBOURS,
        title="楼道堆放杂物影响通行",
        address="建设路1号1单元",
        parties=[
            _party("杨秀兰", "13700011111", "邻居在楼道堆纸箱，消防通道不畅。"),
            _party("朱大海", "13700012222", "只是暂放几天。"),
        ],
    )
    made += overdue is not None

    # Open at the station with a session planned next week (the station calendar).
    station = _register(
        "station",
        community,
        unit=Unit.objects.get(code=COMMUNITY),
        source=Source.COURT,
        dispute_type=DisputeType.DAMAGES,
        title="楼上漏水损坏楼下装修赔偿",
        start_step=4,
        start_reason="法院委派调解，金额较大。",
        parties=[
            _party("马永强", "13700013333", "楼上漏水泡坏了我家吊顶和木地板。"),
            _party("胡春梅", "13700014444", "漏水是公共管道问题，应该物业负责。"),
        ],
    )
    if station:
        services.record_session(
            station,
            by=cadre,
            at=timezone.now() + dt.timedelta(days=7, hours=1),
            place="东风街道调解委员会会议室",
            attendees="街道调委会、律师、物业公司",
        )
        made += 1

    # A risk of violence, at the committee.
    risk = _register(
        "risk",
        community,
        unit=Unit.objects.get(code=GRID_2),
        source=Source.POLICE,
        dispute_type=DisputeType.FAMILY,
        urgency=Urgency.VIOLENCE,
        title="离婚财产分割争吵，一方扬言动手",
        start_step=2,
        start_reason="派出所转来，有冲突风险，社区直接调解。",
        parties=[
            _party("罗志勇", "13700015555", "房子是我父母出钱买的。"),
            _party("彭丽", "13700016666", "婚后一起还的贷款，应该平分。"),
        ],
    )
    made += risk is not None

    report = services.sweep()
    ctx.log(f"Disputes: {Dispute.objects.count()} ({made} new); sweep: {report}")
