"""Shared helpers of the metrics tests: snapshots of the aggregates and a local clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from xinkan.metrics.models import (
    DailyFact,
    MatterPart,
    MonthlyFact,
    SubtreeCategoryMonthFact,
    SubtreeDayFact,
    SubtreeMonthFact,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def snapshot() -> dict[str, Any]:
    """Every aggregate row by its key (ids and order do not matter)."""
    return {
        "parts": sorted(
            MatterPart.objects.values_list(
                "matter_id",
                "part",
                "seq",
                "day",
                "unit_id",
                "department_key",
                "category_id",
                "value",
            )
        ),
        "daily": sorted(
            DailyFact.objects.values_list(
                "day", "unit_id", "department_key", "category_id", "part", "value"
            )
        ),
        "monthly": sorted(
            MonthlyFact.objects.values_list("month", "unit_id", "department_key", "part", "value")
        ),
        "subtree_monthly": sorted(
            SubtreeMonthFact.objects.values_list("month", "unit_id", "part", "value")
        ),
        "subtree_daily": sorted(
            SubtreeDayFact.objects.values_list("day", "unit_id", "part", "value")
        ),
        "subtree_categories": sorted(
            SubtreeCategoryMonthFact.objects.values_list(
                "month", "unit_id", "category_id", "part", "value"
            )
        ),
    }
