"""Optimistic concurrency for actions on versioned records other than matters (disputes): the
version the caller read, from the body or an If-Match header, required (docs/adr/0005). The
services compare it in their conditional UPDATE; a stale one is 409 `stale`."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from xinkan.api.errors import ApiError


def if_match(request: HttpRequest) -> int | None:
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    return int(header) if header.isascii() and header.isdigit() and len(header) < 10 else None


def required_version(request: HttpRequest, version: int | None) -> int:
    found = version if version is not None else if_match(request)
    if found is None:
        raise ApiError(
            428,
            "version_required",
            _("Send the version you read (the “version” field or an If-Match header)."),
        )
    return found
