"""The fixed cast shared by all tests (DESIGN.md §7).

    清河区 (district) ── department 住建局
    ├── 东风街道 (subdistrict)
    │   ├── 东风里社区 ── 第一网格
    │   └── 光明社区 ── 第一网格
    └── 胜利街道 (subdistrict)
        └── 和平社区 ── 第一网格

People: a grid worker and a community worker of 东风里社区, the cadre of 东风街道, a handler of
住建局, the district's leader and administrator, and an "outsider": the community worker of 光明社区
(a neighbouring community under the same subdistrict).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from xinkan.accounts.models import User
from xinkan.org.models import Department, Level, Unit
from xinkan.org.roles import Role


@dataclass
class Cast:
    district: Unit
    subdistrict: Unit
    community: Unit
    grid: Unit
    neighbour_community: Unit
    neighbour_grid: Unit
    other_subdistrict: Unit
    other_community: Unit
    other_grid: Unit
    department: Department
    grid_worker: User
    community_worker: User
    cadre: User
    handler: User
    leader: User
    admin: User
    outsider: User


@pytest.fixture
def cast(db: None) -> Cast:
    district = factories.unit("清河区", Level.DISTRICT, code="139901")
    subdistrict = factories.unit("东风街道", Level.SUBDISTRICT, district, code="139901001")
    community = factories.unit("东风里社区", Level.COMMUNITY, subdistrict, code="139901001001")
    grid = factories.unit("东风里社区第一网格", Level.GRID, community, code="13990100100101")
    neighbour = factories.unit("光明社区", Level.COMMUNITY, subdistrict, code="139901001002")
    neighbour_grid = factories.unit(
        "光明社区第一网格", Level.GRID, neighbour, code="13990100100201"
    )
    other_sub = factories.unit("胜利街道", Level.SUBDISTRICT, district, code="139901002")
    other_community = factories.unit("和平社区", Level.COMMUNITY, other_sub, code="139901002001")
    other_grid = factories.unit(
        "和平社区第一网格", Level.GRID, other_community, code="13990100200101"
    )
    department = factories.department("清河区住房和城乡建设局", district, code="139901-ZJJ")
    return Cast(
        district=district,
        subdistrict=subdistrict,
        community=community,
        grid=grid,
        neighbour_community=neighbour,
        neighbour_grid=neighbour_grid,
        other_subdistrict=other_sub,
        other_community=other_community,
        other_grid=other_grid,
        department=department,
        grid_worker=factories.member(
            Role.GRID_WORKER, unit=grid, username="grid", display_name="陈志强"
        ),
        community_worker=factories.member(
            Role.COMMUNITY_WORKER, unit=community, username="community", display_name="刘芳"
        ),
        cadre=factories.member(
            Role.SUBDISTRICT_CADRE, unit=subdistrict, username="cadre", display_name="张伟"
        ),
        handler=factories.member(
            Role.DEPARTMENT_HANDLER, department=department, username="handler", display_name="赵磊"
        ),
        leader=factories.member(
            Role.LEADER, unit=district, username="leader", display_name="李明华"
        ),
        admin=factories.member(Role.ADMIN, unit=district, username="admin", display_name="王建国"),
        outsider=factories.member(
            Role.COMMUNITY_WORKER, unit=neighbour, username="outsider", display_name="吴静"
        ),
    )


def login_as(client: Client, user: User) -> Client:
    """Log `client` in as `user`, with a verified second factor when the user's role needs one."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def login(client: Client):  # type: ignore[no-untyped-def]
    def _login(user: User) -> Client:
        client.logout()
        return login_as(client, user)

    return _login
