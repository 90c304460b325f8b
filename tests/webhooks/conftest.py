from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from tests.webhooks.receiver import Receiver
from xinkan.api import tokens
from xinkan.webhooks import services
from xinkan.webhooks.models import EventType

ALL_EVENTS = [choice.value for choice in EventType]


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    """The API's rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def subscribe(
    issued: tokens.IssuedToken, url: str, event_types: list[str] | None = None, **extra: Any
) -> services.CreatedSubscription:
    """Subscribe as the token itself does (its service account, its scope)."""
    return services.create_subscription(
        token=issued.token,
        target_url=url,
        event_types=event_types or ALL_EVENTS,
        by=tokens.bind_scope(issued.token),
        **extra,
    )


DESCRIPTIONS = [
    "小区3号楼电梯坏了三天，老人上下楼很困难，物业一直没人来修。",
    "建设路路灯坏了一个月，晚上很黑，行人容易摔倒。",
    "楼下餐馆油烟太大，窗户都不敢开，希望有人管一管。",
    "小区门口的下水道堵了，污水漫到人行道上。",
    "菜市场早上五点就开始装卸货，噪音太大影响休息。",
]


def new_matter(unit: Any, by: Any, n: int = 0, **extra: Any) -> Any:
    """A new matter (distinct words and phone, so intake does not fold it into another)."""
    from tests.matters import factories as mf

    return mf.matter(
        unit,
        by,
        description=DESCRIPTIONS[n % len(DESCRIPTIONS)],
        contact_phone=f"1380013{n:04d}",
        contact_name=f"王秀{n}",
        **extra,
    )
