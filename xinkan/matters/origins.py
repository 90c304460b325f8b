"""Where a matter came from in another feature — a promise at the public affairs square, a
dispute sent on to letters and visits — shown on the matter page as a link back.

The features above matters register a provider in their AppConfig.ready(); matters itself knows
none of them (the layering runs one way: square uses matters, not the reverse).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.matters.models import Matter


@dataclass(frozen=True)
class Origin:
    text: str
    url: str


Provider = Callable[["User", "Matter"], list[Origin]]
_PROVIDERS: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def origins_of(user: User, matter: Matter) -> list[Origin]:
    return [origin for provider in _PROVIDERS for origin in provider(user, matter)]
