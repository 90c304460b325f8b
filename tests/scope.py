"""The reusable scope check: for a URL (page, action, export or API call) and a set of users, assert
that those outside the object's scope are refused (403/404) and nothing changes, while those inside
it get through.

    assert_scope(
        client,
        Probe("post", url, data),
        allowed=[cast.community_worker, cast.cadre],
        denied=[cast.outsider, cast.handler],
        state=lambda: snapshot_of_the_object(),
    )
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from tests.conftest import login_as
from xinkan.accounts.models import User

DENIED_STATUSES = frozenset({403, 404})


@dataclass(frozen=True)
class Probe:
    method: str
    url: str
    data: dict[str, Any] = field(default_factory=dict)
    content_type: str | None = None

    def send(self, client: Client) -> Any:
        call = getattr(client, self.method.lower())
        if self.content_type:
            return call(self.url, self.data, content_type=self.content_type)
        return call(self.url, self.data)


def assert_scope(
    client: Client,
    probe: Probe,
    *,
    allowed: Iterable[User],
    denied: Iterable[User],
    state: Callable[[], Any] | None = None,
    allowed_statuses: Iterable[int] = (200, 201, 204, 302),
) -> None:
    allowed_statuses = frozenset(allowed_statuses)
    for user in denied:
        client.logout()
        login_as(client, user)
        before = state() if state else None
        response = probe.send(client)
        assert response.status_code in DENIED_STATUSES, (
            f"{user.username} should be refused {probe.method.upper()} {probe.url}, "
            f"got {response.status_code}"
        )
        if state:
            assert state() == before, (
                f"{user.username}'s refused {probe.method.upper()} changed data"
            )
    for user in allowed:
        client.logout()
        login_as(client, user)
        response = probe.send(client)
        assert response.status_code in allowed_statuses, (
            f"{user.username} should reach {probe.method.upper()} {probe.url}, "
            f"got {response.status_code}"
        )
    client.logout()
