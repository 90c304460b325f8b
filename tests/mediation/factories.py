"""Disputes at each point of the ladder, for tests (the cast of tests/conftest.py acts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests import factories
from xinkan.accounts.models import User
from xinkan.mediation import services
from xinkan.mediation.models import Dispute, DisputeType, Source
from xinkan.org.models import Unit
from xinkan.org.roles import Role

PARTY_A = services.NewParty(
    name="王建军", phone="13811112222", id_number="110105194912310021", statement="邻居装修占了楼道"
)
PARTY_B = services.NewParty(name="李红梅", phone="13933334444", statement="只是临时堆放材料")


def mediator_of(grid: Unit, username: str = "mediator") -> User:
    return factories.member(Role.MEDIATOR, unit=grid, username=username, display_name="赵大妈")


def lawyer_of(unit: Unit, username: str = "lawyer") -> User:
    return factories.member(Role.LAWYER, unit=unit, username=username, display_name="孙律师")


def new_dispute(unit: Unit, **values: Any) -> services.NewDispute:
    defaults: dict[str, Any] = {
        "dispute_type": DisputeType.NEIGHBOURS,
        "source": Source.PATROL,
        "title": "3号楼装修材料堆放楼道引发邻里纠纷",
        "unit": unit,
        "parties": [
            services.NewParty(**PARTY_A.__dict__),
            services.NewParty(**PARTY_B.__dict__),
        ],
        "address": "建设路1号3单元",
    }
    defaults.update(values)
    return services.NewDispute(**defaults)


def dispute(unit: Unit, by: User, **values: Any) -> Dispute:
    return services.register_dispute(new_dispute(unit, **values), by=by)


def settlement(**values: Any) -> services.Settlement:
    today = timezone.localdate()
    defaults: dict[str, Any] = {
        "kind": "written",
        "facts": "乙方装修期间将建材堆放在楼道，甲方出行受阻，双方发生争吵。",
        "points_at_issue": "建材堆放是否妨碍通行，是否赔偿甲方损失。",
        "terms": [
            services.NewTerm(
                text="乙方于三日内清理楼道建材", how="自行清理", due=today + dt.timedelta(days=3)
            ),
            services.NewTerm(text="乙方向甲方赔礼道歉", how="当面道歉"),
        ],
        "signed_on": today,
        "performance": "双方当场履行道歉，清理于期限内完成。",
    }
    defaults.update(values)
    return services.Settlement(**defaults)
