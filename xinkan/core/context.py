"""Per-request facts (request id, client address) that audit entries and log lines carry.

Kept in context variables so that service functions far from the view can read them without
threading the request through every call.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_ip: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "xinkan_request_context",
    default=RequestContext(),  # noqa: B039 - frozen, so sharing it is safe
)


def current() -> RequestContext:
    return _current.get()


def activate(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
