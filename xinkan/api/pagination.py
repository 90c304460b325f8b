"""Limit/offset pages with a count capped like the staff lists (core.paging): beyond the cap the
count says `count_capped: true` instead of counting a district's every matter."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema

from xinkan.core.paging import LIST_CAP, capped_count

MAX_LIMIT = 200


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Items per page (1–200).")
    offset: int = Field(0, ge=0, le=LIST_CAP, description="Items to skip.")


def page(queryset: QuerySet[Any], params: PageParams) -> tuple[list[Any], dict[str, Any]]:
    count, capped = capped_count(queryset, LIST_CAP)
    items = list(queryset[params.offset : params.offset + params.limit])
    return items, {
        "count": count,
        "count_capped": capped,
        "limit": params.limit,
        "offset": params.offset,
    }
