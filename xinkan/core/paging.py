"""Counting and paging long lists without counting all of them.

An exact COUNT over a district's hundreds of thousands of matters costs a second on PostgreSQL;
nobody pages that far. Lists count up to a cap (a bounded query) and say "1,000+" beyond it;
filtering narrows a long list to an exact count again.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet

LIST_CAP = 1_000
PANEL_CAP = 1_000


def capped_count(queryset: QuerySet[Any], cap: int) -> tuple[int, bool]:
    """(count, capped): the number of rows up to `cap`, and whether there are more."""
    n = queryset.order_by()[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


class CappedPaginator(Paginator):
    """A paginator whose count stops at `cap`; `capped` says whether the list goes on."""

    def __init__(
        self, object_list: QuerySet[Any], per_page: int, *, cap: int | None = None
    ) -> None:
        super().__init__(object_list, per_page)
        self.queryset = object_list
        self.cap = LIST_CAP if cap is None else cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        n, self.capped = capped_count(self.queryset, self.cap)
        return n
